// Several relay instances on one PostgreSQL database (design §7 "at scale"): the schema is migrated
// once, uploads of the same records to both instances at once are stored and settled once, two
// vouchers racing for the same funds on two instances cannot both pass, one outbox worker runs
// (its lease owner: host, data folder, pid and a random tag). Lease details: instances-lease.test.ts.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { startRelay } from '../../tools/relay/start-relay.ts';
import { TestClock, TestRelay } from '../support/relay-harness.ts';
import { startTestPostgres } from '../support/postgres.ts';
import { settledOnce } from '../support/relay-crash.ts';

const pg = await startTestPostgres();
const ledgerDir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-shared-ledger-'));
const ledger = await openEmbeddedLedger(ledgerDir, { deploy: true });
const clock = new TestClock();
const dirA = mkdtempSync(join(tmpdir(), 'tapcharge-relay-a-'));
const dirB = mkdtempSync(join(tmpdir(), 'tapcharge-relay-b-'));
const a = new TestRelay(await startRelay({ dataDir: dirA, port: 0, databaseUrl: pg.url, ledger, clock, log: () => undefined }), clock, dirA);
copyFileSync(join(dirA, 'relay-key.json'), join(dirB, 'relay-key.json')); // instances share the trust anchor
const b = new TestRelay(await startRelay({ dataDir: dirB, port: 0, databaseUrl: pg.url, ledger, clock, log: () => undefined }), clock, dirB);

test('the second instance finds the schema migrated and shares the relay key', async () => {
  const opened = await openRelayDb({ dataDir: dirB, databaseUrl: pg.url, nowMs: clock.nowMs() });
  try {
    assert.equal(opened.migrationsApplied, []);
    assert.is(opened.db.dialect, 'postgres');
  } finally {
    await opened.db.close();
  }
  assert.is(a.relay.relayPublicKey, b.relay.relayPublicKey);
});

test('the same records uploaded to both instances at once: held once, settled once', async () => {
  const user = await a.newUser();
  assert.is((await b.topUp(user.kidHex, 10_000)).status, 200, 'a user registered on A is known to B');
  const pile = await a.newPile();
  const c = pile.contract((await b.voucher(user, pile, { mode: 'amount', amountMinor: 3_000 })).json.authorization, clock.nowS);
  const r = pile.receipt(c.seq, { energyWh: 7_000, durationS: 2_000, endAtS: clock.nowS });
  const contractAnswers = await Promise.all([a.upload(c.signed), b.upload(c.signed), a.upload(c.signed), b.upload(c.signed)]);
  assert.equal(contractAnswers.map((x) => x.json.results[0].status).sort(), ['accepted', 'duplicate', 'duplicate', 'duplicate']);
  const receiptAnswers = await Promise.all([b.upload(r.signed), a.upload(r.signed), b.upload(r.signed)]);
  assert.equal(receiptAnswers.map((x) => x.json.results[0].status).sort(), ['accepted', 'duplicate', 'duplicate']);
  await a.relay.drainLedger();
  await b.relay.drainLedger();
  assert.is(await ledger.balanceOf((await a.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.address), BigInt(10_000 - r.amountMinor));
  const id = contractIdOf(pile.pileId, BigInt(c.seq));
  assert.is(settledOnce(await ledger.history(), id), undefined);
});

test('two vouchers racing on two instances for funds that cover one: one 201, one 402', async () => {
  const user = await b.newUser();
  await a.topUp(user.kidHex, 1_000);
  const pile = await b.newPile();
  const answers = await Promise.all([a.voucher(user, pile, { mode: 'amount', amountMinor: 800 }), b.voucher(user, pile, { mode: 'amount', amountMinor: 800 })]);
  assert.equal(answers.map((x) => x.status).sort(), [201, 402]);
});

test('one outbox worker holds the lease; the ledger audit is clean', async () => {
  const stats = await a.relay.outboxStats();
  assert.is(stats.rejected, 0);
  assert.is(stats.pending, 0);
  const opened = await openRelayDb({ dataDir: dirA, databaseUrl: pg.url, nowMs: clock.nowMs() });
  try {
    const leases = await opened.db.all<{ owner: string }>('SELECT owner FROM worker_leases');
    assert.is(leases.length, 1);
    assert.ok([dirA, dirB].some((d) => leases[0]!.owner.startsWith(`${hostname()}:${d} pid `)), leases[0]!.owner);
  } finally {
    await opened.db.close();
  }
  assert.equal((await auditLedger(ledger)).problems, []);
});

test.after(async () => {
  await a.close();
  await b.close();
  await ledger.close();
  rmSync(ledgerDir, { recursive: true, force: true });
  await pg.stop();
});
test.run();

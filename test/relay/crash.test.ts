// Crash: `tapcharge relay start` runs as a child process and is killed with SIGKILL twice — once
// while phones upload records, once while the ledger outbox is sending — and restarted on the same
// data folder. Every record covered by an Ack received before a kill is still held; phones re-upload
// everything; in the end each contract is opened and settled exactly once and every balance is exact.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { type RelayCaller, type TestPile } from '../support/relay-harness.ts';
import { type RelayProcess, killRelayProcess, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-crash-'));
const SESSIONS = 40;
const TOP_UP = 50_000;

type Child = RelayProcess;
const startChild = (): Promise<Child> => startRelayProcess(dir);
const kill = killRelayProcess;

async function outboxDrained(caller: RelayCaller): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await caller.call('GET', '/v1/relay')).json.outbox.pending === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('outbox not drained');
}

/** The sequences an Ack covers, after checking it is signed by the relay. */
function ackedSeqs(ack: string, relayPublicKey: Uint8Array): number[] {
  const opened = openSigned(base64urlToBytes(ack), { publicKey: relayPublicKey, expectType: 'Ack' });
  if (!opened.ok) throw new Error(`bad Ack: ${opened.reason}`);
  return opened.value.message.ranges.flatMap((r) => Array.from({ length: r.toSeq - r.fromSeq + 1 }, (_, i) => r.fromSeq + i));
}

test('SIGKILL during ingestion and during ledger writes: nothing acknowledged lost, nothing settled twice', async () => {
  let relay = await startChild();
  const caller = relay.caller;
  const users = await Promise.all(Array.from({ length: 4 }, () => caller.newUser()));
  for (const u of users) assert.is((await caller.topUp(u.kidHex, TOP_UP)).status, 200);
  const pile: TestPile = await caller.newPile();
  const sessions: { userKid: string; contract: Uint8Array; receipt: Uint8Array; amountMinor: number; seq: number }[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const user = users[i % users.length]!;
    const voucher = await caller.voucher(user, pile, { mode: 'amount', amountMinor: 1_000 + i });
    assert.is(voucher.status, 201);
    const c = pile.contract(voucher.json.authorization, caller.clock.nowS);
    const r = pile.receipt(c.seq, { energyWh: 1_000 + 97 * i, durationS: 600 + 13 * i, endAtS: caller.clock.nowS });
    sessions.push({ userKid: user.kidHex, contract: c.signed, receipt: r.signed, amountMinor: r.amountMinor, seq: c.seq });
  }
  const records = sessions.flatMap((s) => [s.contract, s.receipt]);
  const batches = Array.from({ length: records.length / 4 }, (_, i) => records.slice(4 * i, 4 * i + 4));

  // Kill 1: three phones upload batches; the relay dies once 6 answers came back.
  const acked = new Set<number>();
  let answers = 0;
  let next = 0;
  let killing: Promise<void> | undefined;
  const phone = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      try {
        const reply = await relay.caller.call('POST', '/v1/records', { body: { records: batch.map(bytesToBase64url) } });
        if (reply.status !== 200) continue;
        for (const a of reply.json.acks) for (const seq of ackedSeqs(a.ack, caller.relayPublicKey)) acked.add(seq);
        if (++answers === 6) killing = kill(relay);
      } catch {
        return; // the relay is gone: this phone keeps its records for a later tap
      }
    }
  };
  await Promise.all([phone(), phone(), phone()]);
  await killing;
  assert.ok(acked.size >= 24 && acked.size < records.length, `killed mid-ingestion (${acked.size} of ${records.length} acknowledged)`);

  relay = await startChild();
  const held = (await relay.caller.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.held as { fromSeq: number; toSeq: number }[];
  for (const seq of acked) assert.ok(held.some((r) => seq >= r.fromSeq && seq <= r.toSeq), `acknowledged record ${seq} is still held after the crash`);

  // Kill 2: every phone re-uploads everything, then the relay dies while the outbox sends.
  for (const batch of batches) {
    const reply = await relay.caller.call('POST', '/v1/records', { body: { records: batch.map(bytesToBase64url) } });
    assert.is(reply.status, 200);
    for (const r of reply.json.results) assert.ok(r.status === 'accepted' || r.status === 'duplicate', `re-upload: ${JSON.stringify(r)}`);
  }
  const pendingAtKill = (await relay.caller.call('GET', '/v1/relay')).json.outbox.pending;
  await kill(relay);
  assert.ok(pendingAtKill > 0, 'killed while ledger writes were still queued');
  console.log(`kill 1 after ${acked.size} of ${records.length} records acknowledged; kill 2 with ${pendingAtKill} ledger writes pending`);

  relay = await startChild();
  await outboxDrained(relay.caller);
  const expected = new Map(users.map((u) => [u.kidHex, TOP_UP]));
  for (const s of sessions) expected.set(s.userKid, expected.get(s.userKid)! - s.amountMinor);
  for (const u of users) {
    const shown = (await relay.caller.call('GET', `/v1/users/${u.kidHex}`, { signer: u })).json;
    assert.equal([shown.balanceMinor, shown.escrowMinor, shown.openContracts, shown.pendingLedgerWrites], [expected.get(u.kidHex), 0, [], 0]);
  }
  assert.is((await relay.caller.call('GET', '/v1/relay')).json.outbox.rejected, 0);
  await stopRelayProcess(relay);

  const ledger = await openEmbeddedLedger(dir);
  try {
    assert.equal((await auditLedger(ledger)).problems, []);
    const history = await ledger.history();
    for (const s of sessions) {
      const id = contractIdOf(pile.pileId, BigInt(s.seq));
      assert.is(history.filter((e) => e.kind === 'opened' && e.contractId === id).length, 1, `contract ${s.seq} opened once`);
      assert.is(history.filter((e) => e.kind === 'settled' && e.contractId === id).length, 1, `contract ${s.seq} settled once`);
    }
  } finally {
    await ledger.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

// The outbox worker against the embedded ledger (tools/relay/ledger-outbox/worker.ts), on SQLite:
// contract rows go in one applyBatch (an open and its settle as one one-step settle entry); a
// batch the ledger refuses whole is re-sent one entry at a time, so only the spoiling entry's rows
// are rejected; a charge-cap row queued without its record hash (before the outbox kept it) gets
// the stored contract's SHA-256; and the batch's records digest is the one the rows' hashes give.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { type OutboxWrite, enqueueLedgerWrite } from '../../tools/relay/ledger-outbox/enqueue.ts';
import { LedgerOutboxWorker } from '../../tools/relay/ledger-outbox/worker.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-outbox-worker-'));
const ledger = await openEmbeddedLedger(dir, { deploy: true });
const { db } = await openRelayDb({ dataDir: dir, nowMs: Date.now() });
const logged: string[] = [];

const address = (): Address => `0x${randomBytes(20).toString('hex')}` as Address;
const hex = (bytes: number): Hex => `0x${randomBytes(bytes).toString('hex')}` as Hex;
/** A contract id whose pile part is not 0 (pile ‖ sequence; sequence 1: the ledger's batches carry it as uint32). */
const contractId = (): Hex => `0x01${randomBytes(7).toString('hex')}0000000000000001` as Hex;

async function enqueue(writes: OutboxWrite[]): Promise<number[]> {
  return db.transaction(async (tx) => {
    const ids: number[] = [];
    for (const w of writes) ids.push(await enqueueLedgerWrite(tx, w, Date.now()));
    return ids;
  });
}

async function drained(): Promise<void> {
  const worker = new LedgerOutboxWorker({ db, ledger, owner: 'test', log: (line) => logged.push(line), onIdle: async () => false });
  worker.start();
  try {
    await worker.drain(20_000);
  } finally {
    await worker.stop();
  }
}

const rowsOf = (ids: number[]) => db.all<{ state: string; tx_hash: string | null; last_error: string | null; hash: string | null }>(
  `SELECT state, tx_hash, last_error, hash FROM ledger_outbox WHERE id IN (${ids.join(', ')}) ORDER BY id`);

test('an open and its settle pending together land as one one-step settlement: both rows done in that transaction', async () => {
  const user = address();
  await ledger.issue(user, 5_000n, hex(32));
  const id = contractId();
  const ids = await enqueue([
    { kind: 'open', contractId: id, user, capMinor: 2_000, capped: true, hash: hex(32) },
    { kind: 'settle', contractId: id, user, capMinor: 2_000, amountMinor: 700, hash: hex(32) },
  ]);
  await drained();
  const rows = await rowsOf(ids);
  assert.equal(rows.map((r) => r.state), ['done', 'done']);
  assert.is(rows[0]!.tx_hash, rows[1]!.tx_hash);
  const events = (await ledger.history({ account: user })).filter((e) => 'contractId' in e && e.contractId === id);
  assert.equal(events.map((e) => `${e.kind}${e.kind === 'settled' ? ` from ${e.from}` : ''}`), ['settled from none']);
  assert.equal([await ledger.balanceOf(user), await ledger.escrowOf(user)], [4_300n, 0n]);
});

test('a batch the ledger refuses whole is sent again one entry at a time: only the spoiling row is rejected', async () => {
  const user = address();
  await ledger.issue(user, 5_000n, hex(32));
  const [good1, bad, good2] = [contractId(), contractId(), contractId()];
  const open = (id: Hex, capMinor: number): OutboxWrite => ({ kind: 'open', contractId: id, user, capMinor, capped: true, hash: hex(32) });
  const ids = await enqueue([open(good1, 1_000), open(bad, 0), open(good2, 500)]);
  await drained();
  const rows = await rowsOf(ids);
  assert.equal(rows.map((r) => r.state), ['done', 'rejected', 'done']);
  assert.match(rows[1]!.last_error ?? '', /capMinor/);
  assert.equal([await ledger.record(good1), await ledger.record(bad), await ledger.record(good2)], ['open-capped', 'none', 'open-capped']);
  assert.ok(logged.some((line) => line.includes(`ledger refused write ${ids[1]}`)));
});

test('a charge-cap row queued without its record hash is sent with the stored contract\'s SHA-256, kept in the row; the records digest holds', async () => {
  const user = address();
  await ledger.issue(user, 5_000n, hex(32));
  const id = contractId();
  const sha256 = randomBytes(32).toString('hex');
  await db.run(
    `INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, cap_minor, capped, tariff_version, energy_minor_per_kwh,
       time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status)
     VALUES (?, ?, 1, 'kid', 'voucher', 'amount', 800, 1, 1, 0, 0, 0, 0, 0, ?, 'charged-at-cap')`,
    [id.slice(2), id.slice(2, 18), sha256]);
  const [openId] = await enqueue([{ kind: 'open', contractId: id, user, capMinor: 800, capped: true, hash: `0x${sha256}` }]);
  const old = await db.get<{ id: number }>(
    "INSERT INTO ledger_outbox (kind, contract_id, user_address, cap_minor, state, created_at_ms) VALUES ('charge-cap', ?, ?, 800, 'pending', 0) RETURNING id", [id, user]);
  await drained();
  const rows = await rowsOf([openId!, Number(old!.id)]);
  assert.equal(rows.map((r) => [r.state, r.hash]), [['done', `0x${sha256}`], ['done', `0x${sha256}`]]);
  assert.is(await ledger.record(id), 'charged-at-cap');
  const hashes = await db.all<{ kind: string; contract_id: Hex; hash: Hex }>("SELECT kind, contract_id, hash FROM ledger_outbox WHERE state = 'done' AND contract_id IS NOT NULL");
  const recordHashOf = ({ op, contractId: c }: { op: string; contractId: Hex }) =>
    hashes.find((h) => h.contract_id === c && (op === 'settle' ? h.kind === 'settle' || h.kind === 'correct' : h.kind === op))?.hash;
  assert.equal((await auditLedger(ledger, { recordHashOf })).problems, [], 'every batch\'s records digest is the one the rows\' hashes give');
});

test.after(async () => {
  await db.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

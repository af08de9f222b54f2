// The outbox worker against the embedded ledger (tools/relay/ledger-outbox/worker.ts), on SQLite:
// contract rows go in one applyBatch (an open and its settle as one one-step settle entry); a
// batch the ledger refuses whole is re-sent one entry at a time, so only the spoiling entry's rows
// are rejected; a row that cannot become a write (a column empty) is rejected, not retried; and the
// batch's records digest is the one the rows' hashes give.
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

test('a row that cannot become a ledger write is rejected with the column it lacks; the rows after it still land', async () => {
  const user = address();
  await ledger.issue(user, 5_000n, hex(32));
  const [noAmount, unknownContract] = [contractId(), contractId()];
  const insert = (sql: string, params: string[]) => db.get<{ id: number }>(`${sql} RETURNING id`, params).then((r) => Number(r!.id));
  const badSettle = await insert(
    "INSERT INTO ledger_outbox (kind, contract_id, user_address, cap_minor, hash, state, created_at_ms) VALUES ('settle', ?, ?, 900, ?, 'pending', 0)", [noAmount, user, hex(32)]);
  const badChargeCap = await insert(
    "INSERT INTO ledger_outbox (kind, contract_id, user_address, cap_minor, state, created_at_ms) VALUES ('charge-cap', ?, ?, 900, 'pending', 0)", [unknownContract, user]);
  const good = contractId();
  const [openId, settleId] = await enqueue([
    { kind: 'open', contractId: good, user, capMinor: 1_000, capped: true, hash: hex(32) },
    { kind: 'settle', contractId: good, user, capMinor: 1_000, amountMinor: 400, hash: hex(32) },
  ]);
  await drained();
  const rows = await rowsOf([badSettle, badChargeCap, openId!, settleId!]);
  assert.equal(rows.map((r) => r.state), ['rejected', 'rejected', 'done', 'done']);
  assert.match(rows[0]!.last_error!, new RegExp(`row ${badSettle} \\(settle ${noAmount}\\) has no amount`));
  assert.match(rows[1]!.last_error!, new RegExp(`row ${badChargeCap} \\(charge-cap ${unknownContract}\\) has no record hash`));
  assert.is(await ledger.record(noAmount), 'none');
  assert.is(await ledger.record(good), 'settled');
  assert.ok(logged.some((line) => line.includes(`row ${badSettle} (settle ${noAmount}) has no amount: rejected, not sent`)));
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

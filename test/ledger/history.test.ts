// The embedded ledger's history index: history(account) equals the full history filtered by
// account; events before the snapshot a chain started from stay available (the batches too: a
// Batch log's transaction is in the index); a lost index makes the start ignore the snapshots it
// cannot cover, replay the whole journal and rebuild it; an index whose stored transaction does
// not carry the batch its log commits to fails history and the audit, naming the transaction; an
// index of another contract is refused.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, type Address } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';
import { HistoryIndex } from '../../tools/ledger/history-index.ts';
import { crashOps, crashUsers, runOp } from './crash-ops.ts';
import { historyNaming, viewOf, type ChainView } from './snapshot-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'tapcharge-history-'));
const dir = join(root, 'base');
let before: ChainView;
let accounts: Address[];

test('history(account) is the full history filtered by account, for every account of the run', async () => {
  const l = await openEmbeddedLedger(dir, { deploy: true, snapshotEveryTransactions: 20 });
  try {
    for (const op of crashOps(50)) await runOp(l, op);
    before = await viewOf(l);
    accounts = [...crashUsers, l.revenueAccount, l.operator, '0x00000000000000000000000000000000000000aa'];
    const all = await l.history();
    assert.ok(all.length > 60 && all.some((e) => e.kind === 'settled') && all.some((e) => e.kind === 'transfer'));
    for (const account of accounts) {
      const expected = historyNaming(all, account);
      assert.equal(await l.history({ account }), expected, `history of ${account}`);
    }
    assert.is((await l.history({ account: '0x00000000000000000000000000000000000000aa' })).length, 0);
  } finally {
    await l.close();
  }
});

test('after a restart from a snapshot (the new chain has no logs before it) the index still serves every event', async () => {
  const l = await openEmbeddedLedger(dir);
  try {
    assert.ok(l.chain.snapshotPath);
    const logsOnChain = await l.chain.parts.client.getLogs({ address: l.address, fromBlock: 0n, toBlock: 'latest' });
    assert.is(logsOnChain.length, 0, 'the restarted chain itself holds no past logs');
    assert.equal(await viewOf(l), before);
  } finally {
    await l.close();
  }
});

test('a lost index: every snapshot is passed over (the index cannot be caught up from them), the journal is replayed in full, the index rebuilt', async () => {
  const copy = join(root, 'lost');
  cpSync(dir, copy, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(copy, 'ledger', `history.sqlite${suffix}`), { force: true });
  const l = await openEmbeddedLedger(copy);
  try {
    assert.is(l.chain.snapshotPath, undefined);
    assert.is(l.chain.refusedSnapshots.length, 2);
    assert.match(l.chain.refusedSnapshots[0]!, /the history index ends at block 0, before the snapshot's block 51/);
    assert.equal(await viewOf(l), before);
  } finally {
    await l.close();
  }
  const again = await openEmbeddedLedger(copy);
  assert.ok(again.chain.snapshotPath, 'the rebuilt index covers the snapshots again');
  assert.equal(await viewOf(again), before);
  await again.close();
});

/** A copy of the run's folder whose index gets `edit`; the tx hashes of the Batch logs' transactions, in the index's order. */
function tamperedCopy(name: string, edit: (db: Database.Database, txHashes: Uint8Array[]) => void): string {
  const copy = join(root, name);
  cpSync(dir, copy, { recursive: true });
  const db = new Database(join(copy, 'ledger', 'history.sqlite'));
  try {
    const txHashes = (db.prepare('SELECT tx_hash FROM batch_transactions ORDER BY tx_hash').all() as { tx_hash: Uint8Array }[]).map((r) => r.tx_hash);
    assert.ok(txHashes.length >= 2);
    edit(db, txHashes);
  } finally {
    db.close();
  }
  return copy;
}

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

/** The LedgerError 'bad-history' message `read` fails with. */
async function badHistory(read: Promise<unknown>): Promise<string> {
  const error = await read.then(() => undefined, (e: unknown) => e);
  assert.instance(error, LedgerError, 'the history was read');
  assert.is((error as LedgerError).code, 'bad-history');
  return (error as LedgerError).message;
}

async function assertBadHistory(copy: string, problem: RegExp): Promise<void> {
  const l = await openEmbeddedLedger(copy);
  try {
    assert.match(await badHistory(l.history()), problem);
    const failed = (await Promise.all(crashUsers.map((account) => l.history({ account }).then(() => undefined, (e: unknown) => e)))).filter((e) => e !== undefined);
    assert.ok(failed.length > 0, 'the history of a user of the batch fails too');
    for (const error of failed) assert.match(await badHistory(Promise.reject(error)), problem);
    const report = await auditLedger(l);
    assert.is(report.ok, false);
    assert.is(report.problems.length, 1, report.problems.join('\n'));
    assert.match(report.problems[0]!, problem);
  } finally {
    await l.close();
  }
  const cli = spawnSync(process.execPath, [bin, 'ledger', 'audit', '--data', copy], { encoding: 'utf8' });
  assert.is(cli.status, 1, cli.stderr);
  assert.match(cli.stdout, /\nproblem: Batch log \d+ in block \d+ \(tx 0x[0-9a-f]{64}\): .*\naudit FAIL \(1 problems\)\n$/);
}

test('a stored transaction carrying another batch than its log commits to fails history and the audit (one problem line), naming the tx', async () => {
  let swapped: string[] = [];
  const copy = tamperedCopy('swapped-batches', (db, [a, b]) => {
    const inputOf = db.prepare('SELECT input FROM batch_transactions WHERE tx_hash = ?').pluck();
    const [inputA, inputB] = [inputOf.get(a), inputOf.get(b)];
    const setInput = db.prepare('UPDATE batch_transactions SET input = ? WHERE tx_hash = ?');
    setInput.run(inputB, a);
    setInput.run(inputA, b);
    swapped = [bytesToHex(a!), bytesToHex(b!)];
  });
  await assertBadHistory(copy, new RegExp(`^Batch log \\d+ in block \\d+ \\(tx (${swapped.join('|')})\\): the transaction's batch hashes to 0x[0-9a-f]{64}, the event commits to 0x[0-9a-f]{64}$`));
});

test('a stored transaction that calls another account (not a direct applyBatch call) fails history and the audit', async () => {
  let edited = '';
  const copy = tamperedCopy('indirect-call', (db, [a]) => {
    db.prepare('UPDATE batch_transactions SET to_address = ? WHERE tx_hash = ?').run(Buffer.alloc(20, 0xf0), a);
    edited = bytesToHex(a!);
  });
  await assertBadHistory(copy, new RegExp(`^Batch log \\d+ in block \\d+ \\(tx ${edited}\\): the transaction calls 0x(f0){20}, not the ledger 0x[0-9a-fA-F]{40}: not a direct applyBatch call$`));
});

test('an index of another contract is refused', () => {
  const path = join(root, 'other.sqlite');
  HistoryIndex.open(path, '0x00000000000000000000000000000000000000c1').close();
  assert.throws(() => HistoryIndex.open(path, '0x00000000000000000000000000000000000000c2'), /indexes contract 0x0{38}c1, not 0x0{38}c2/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();

// The outbox worker's batch wait (tools/relay/ledger-outbox/worker.ts): a settlement batch with room
// for more entries waits `batchWaitMs` for them, a full one goes at once, and a caller that waits for
// a write (waitFor, drain) sends the part-filled batch now. Embedded ledger, SQLite.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { BATCH_MAX_ENTRIES } from '../../tools/relay/ledger-outbox/batch-plan.ts';
import { type OutboxWrite, enqueueLedgerWrite } from '../../tools/relay/ledger-outbox/enqueue.ts';
import { LedgerOutboxWorker } from '../../tools/relay/ledger-outbox/worker.ts';
import { policyWith } from '../../tools/relay/policy.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { until } from '../support/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-outbox-batch-wait-'));
const ledger = await openEmbeddedLedger(dir, { deploy: true });
const { db } = await openRelayDb({ dataDir: dir, nowMs: Date.now() });
/** Longer than any test runs: a part-filled batch never goes on its own here. */
const LONG_WAIT_MS = 600_000;

const address = (): Address => `0x${randomBytes(20).toString('hex')}` as Address;
const hex = (bytes: number): Hex => `0x${randomBytes(bytes).toString('hex')}` as Hex;
const contractId = (): Hex => `0x01${randomBytes(7).toString('hex')}0000000000000001` as Hex;
const worker = (batchWaitMs: number) => new LedgerOutboxWorker({ db, ledger, owner: 'test', batchWaitMs, log: () => undefined, onIdle: async () => false });

/** `count` one-step settlements of one user (each an open and its settle: one batch entry). */
async function enqueueSessions(user: Address, count: number): Promise<number[]> {
  return db.transaction(async (tx) => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = contractId();
      const writes: OutboxWrite[] = [
        { kind: 'open', contractId: id, user, capMinor: 100, capped: true, hash: hex(32) },
        { kind: 'settle', contractId: id, user, capMinor: 100, amountMinor: 10, hash: hex(32) },
      ];
      for (const w of writes) ids.push(await enqueueLedgerWrite(tx, w, Date.now()));
    }
    return ids;
  });
}

const states = (ids: number[]) => db.all<{ state: string; tx_hash: string | null }>(`SELECT state, tx_hash FROM ledger_outbox WHERE id IN (${ids.join(', ')}) ORDER BY id`);

test('a full batch goes at once; the part-filled rest waits until drain sends it', async () => {
  const user = address();
  await ledger.issue(user, 1_000_000n, hex(32));
  const w = worker(LONG_WAIT_MS);
  w.start();
  try {
    const first = await enqueueSessions(user, 3);
    w.kick();
    const more = await enqueueSessions(user, BATCH_MAX_ENTRIES);
    w.kick();
    const ids = [...first, ...more];
    await until(async () => (await states(ids)).some((r) => r.state === 'done'), 'the full batch', 30_000);
    const rows = await states(ids);
    const done = rows.filter((r) => r.state === 'done');
    assert.is(done.length, 2 * BATCH_MAX_ENTRIES, 'one full batch: 100 entries of two rows');
    assert.is(new Set(done.map((r) => r.tx_hash)).size, 1, 'in one transaction');
    assert.equal(rows.slice(0, 2 * BATCH_MAX_ENTRIES).map((r) => r.state), Array(2 * BATCH_MAX_ENTRIES).fill('done'), 'the oldest rows first');
    assert.equal(rows.slice(2 * BATCH_MAX_ENTRIES).map((r) => r.state), Array(6).fill('pending'), 'the three entries behind it wait for more');
    await w.drain(30_000);
    const after = await states(ids);
    assert.ok(after.every((r) => r.state === 'done'));
    assert.is(new Set(after.map((r) => r.tx_hash)).size, 2, 'two transactions for 103 sessions');
    assert.is(await ledger.balanceOf(user), 1_000_000n - 103n * 10n);
  } finally {
    await w.stop();
  }
});

test('waiting for one row sends its part-filled batch now', async () => {
  const user = address();
  await ledger.issue(user, 1_000n, hex(32));
  const w = worker(LONG_WAIT_MS);
  w.start();
  try {
    const ids = await enqueueSessions(user, 2);
    w.kick();
    const answer = await w.waitFor(ids[3]!, 30_000);
    assert.is(answer.state, 'done');
    assert.equal((await states(ids)).map((r) => r.state), ['done', 'done', 'done', 'done']);
    assert.is(await ledger.balanceOf(user), 980n);
  } finally {
    await w.stop();
  }
});

test('no wait: a part-filled batch goes as soon as the worker sees it', async () => {
  const user = address();
  await ledger.issue(user, 1_000n, hex(32));
  const w = worker(0);
  w.start();
  try {
    const ids = await enqueueSessions(user, 1);
    w.kick();
    await until(async () => (await states(ids)).every((r) => r.state === 'done'), 'the one-entry batch', 30_000);
    assert.is(await ledger.balanceOf(user), 990n);
  } finally {
    await w.stop();
  }
});

test('the wait must be a whole number of milliseconds, at most a minute in the policy', () => {
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => worker(bad), (e: Error) => e instanceof RangeError && e.message === `relay outbox: "batchWaitMs" expected an integer ≥ 0, got ${bad}`);
  assert.is(policyWith().ledgerBatchWaitMs, 1_000);
  assert.throws(() => policyWith({ ledgerBatchWaitMs: 60_001 }), /"ledgerBatchWaitMs" expected an integer 0\.\.60000, got 60001/);
});

test.after(async () => {
  await db.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

// The embedded ledger's history index: history(account) equals the full history filtered by
// account; events before the snapshot a chain started from stay available; a lost index makes
// the start ignore the snapshots it cannot cover, replay the whole journal and rebuild it; an
// index of another contract is refused.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address } from 'viem';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
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

test('an index of another contract is refused', () => {
  const path = join(root, 'other.sqlite');
  HistoryIndex.open(path, '0x00000000000000000000000000000000000000c1').close();
  assert.throws(() => HistoryIndex.open(path, '0x00000000000000000000000000000000000000c2'), /indexes contract 0x0{38}c1, not 0x0{38}c2/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();

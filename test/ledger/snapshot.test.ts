// State snapshots of the embedded ledger: written every N transactions and at close, a restart
// starts from the newest and equals the chain before it and a full replay of the journal; an
// older snapshot plus the journal after it gives the same; a torn, corrupt, tampered or foreign
// snapshot is refused with a message and the start falls back to the one before (or a full replay).
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { decodeSnapshot, encodeSnapshot, type ChainSnapshot } from '../../tools/ledger/snapshot-format.ts';
import { listSnapshots } from '../../tools/ledger/snapshot-store.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { crashOps, runOp } from './crash-ops.ts';
import { fullReplayView, viewOf, type ChainView } from './snapshot-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'tapcharge-snapshot-'));
const dir = join(root, 'base');
const ops = crashOps(90);
let before: ChainView;

const snapshotsOf = (d: string) => listSnapshots(join(d, 'ledger'));

function copyOf(name: string): string {
  const copy = join(root, name);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

test('91 transactions with a snapshot every 25: two files kept; the restart starts from the newest and equals the chain before and a full replay', async () => {
  const l = await openEmbeddedLedger(dir, { deploy: true, snapshotEveryTransactions: 25 });
  try {
    for (const op of ops) await runOp(l, op);
    before = await viewOf(l);
  } finally {
    await l.close();
  }
  assert.is(before.blockNumber, 91n);
  assert.equal(snapshotsOf(dir).map((s) => s.blockNumber), [91n, 75n], 'blocks 25 and 50 were removed once newer ones were durable');
  const again = await openEmbeddedLedger(dir);
  try {
    assert.is(again.chain.snapshotPath, snapshotsOf(dir)[0]!.path);
    assert.is(again.chain.replayedTransactions, 0);
    assert.equal(again.chain.refusedSnapshots, []);
    assert.equal(await viewOf(again), before);
    assert.equal((await auditLedger(again)).problems, []);
  } finally {
    await again.close();
  }
  const { replayed, ...full } = await fullReplayView(dir);
  assert.is(replayed, 91);
  assert.equal(full, before);
});

test('the older snapshot plus the 16 journal frames after it gives the same chain; writes continue as on the full replay', async () => {
  const copy = copyOf('older');
  unlinkSync(snapshotsOf(copy)[0]!.path);
  const l = await openEmbeddedLedger(copy);
  try {
    assert.is(l.chain.snapshotPath, snapshotsOf(copy)[0]!.path);
    assert.is(l.chain.replayedTransactions, 16);
    assert.equal(await viewOf(l), before);
  } finally {
    await l.close();
  }
});

const tamper = (change: (s: ChainSnapshot) => void) => (path: string) => {
  const s = decodeSnapshot(readFileSync(path));
  change(s);
  writeFileSync(path, encodeSnapshot(s));
};

const corruptions: [string, (path: string) => void, RegExp][] = [
  ['a flipped byte', (p) => { const b = readFileSync(p); b[b.length >> 1]! ^= 0x01; writeFileSync(p, b); }, /SHA-256 of the content does not match/],
  ['a file cut in half (torn write)', (p) => truncateSync(p, readFileSync(p).length >> 1), /SHA-256 of the content does not match/],
  ['an empty file', (p) => writeFileSync(p, ''), /bad header line/],
  ['another format', (p) => writeFileSync(p, '{"accounts":[]}\n'), /bad header line/],
  ['a valid checksum over a changed storage value', tamper((s) => {
    const account = s.accounts.find((a) => a.storage.size > 0)!;
    const [slot, value] = [...account.storage][0]!;
    account.storage.set(slot, value + 1n);
  }), /state root after loading is 0x[0-9a-f]{64}, the snapshot recorded/],
  ['a valid checksum over another chain id', tamper((s) => { s.chainId += 1; }), /belongs to another chain/],
  ['a journal position that is not this journal', tamper((s) => { s.journal = { ...s.journal, lastFrameCrc: (s.journal.lastFrameCrc + 1) >>> 0 }; }), /does not match the journal: the frame at byte \d+ has another CRC/],
];

for (const [name, corrupt, why] of corruptions) {
  test(`the newest snapshot with ${name} is refused with a message; the start uses the older one and gives the same chain`, async () => {
    const copy = copyOf(name.replace(/\W+/g, '-'));
    const [newest, older] = snapshotsOf(copy);
    corrupt(newest!.path);
    const l = await openEmbeddedLedger(copy);
    try {
      assert.is(l.chain.refusedSnapshots.length, 1);
      assert.match(l.chain.refusedSnapshots[0]!, why);
      assert.is(l.chain.snapshotPath, older!.path);
      assert.equal(await viewOf(l), before);
    } finally {
      await l.close();
    }
    rmSync(copy, { recursive: true, force: true });
  });
}

test('both snapshots corrupt: a full replay of the journal', async () => {
  const copy = copyOf('both');
  for (const s of snapshotsOf(copy)) writeFileSync(s.path, 'tapcharge-ledger-snapshot/1 sha256=' + '0'.repeat(64) + '\n{}');
  const l = await openEmbeddedLedger(copy);
  try {
    assert.is(l.chain.refusedSnapshots.length, 2);
    assert.is(l.chain.snapshotPath, undefined);
    assert.is(l.chain.replayedTransactions, 91);
    assert.equal(await viewOf(l), before);
  } finally {
    await l.close();
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();

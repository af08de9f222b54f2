// Kill during a write at every step — journal append, mining, history indexing, and each step
// of the snapshot write (temp file, half written, written, fsync'd, renamed, folder fsync'd,
// older removed): a child process SIGKILLs itself there. The restart gives the same state root,
// block number, balances and history as a full replay of the journal, starts from the new
// snapshot only once it was renamed into place, and leaves no temp file behind.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger, type WriteStep } from '../../tools/ledger/embedded.ts';
import { snapshotWriteSteps } from '../../tools/ledger/snapshot-store.ts';
import { crashOps, runOp } from './crash-ops.ts';
import { fullReplayView, viewOf } from './snapshot-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'tapcharge-snapshot-crash-'));
const base = join(root, 'base');
const every = 10;
const opCount = 40;
const baseOps = 20; // + the deployment: snapshots at blocks 10, 20 and 21 (close)
const writer = new URL('./crash-snapshot-writer.ts', import.meta.url).pathname;

function killedAt(dir: string, step: WriteStep): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(baseOps), String(opCount), String(every), step], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer was not killed at ${step} (exit ${code}): ${output}`))));
  });
}

test.before(async () => {
  const l = await openEmbeddedLedger(base, { deploy: true, snapshotEveryTransactions: every });
  for (const op of crashOps(opCount).slice(0, baseOps)) await runOp(l, op);
  await l.close();
});

const steps: WriteStep[] = ['journaled', 'mined', 'indexed', ...snapshotWriteSteps];
const newSnapshotBlock = 31n; // 21 in the base + `every` more

for (const step of steps) {
  test(`killed at "${step}": the restart equals a full replay of the journal`, async () => {
    const dir = join(root, step);
    cpSync(base, dir, { recursive: true });
    await killedAt(dir, step);
    const reference = await fullReplayView(dir);
    const l = await openEmbeddedLedger(dir);
    try {
      assert.equal(l.chain.refusedSnapshots, []);
      const startedFrom = l.chain.snapshotPath?.match(/snapshot-(\d+)\.snap$/)?.[1];
      const renamed = snapshotWriteSteps.indexOf(step as (typeof snapshotWriteSteps)[number]) >= snapshotWriteSteps.indexOf('renamed');
      assert.is(BigInt(startedFrom ?? -1), renamed ? newSnapshotBlock : 21n, 'the new snapshot is used once it was renamed into place, the previous one before');
      const { replayed, ...full } = reference;
      assert.ok(replayed > 21);
      assert.equal(await viewOf(l), full);
      assert.equal((await auditLedger(l)).problems, []);
    } finally {
      await l.close();
    }
    assert.equal(readdirSync(join(dir, 'ledger')).filter((f) => f.endsWith('.tmp')), [], 'the next snapshot write removed any temp file');
    rmSync(dir, { recursive: true, force: true });
  });
}

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();

// Crash: a child process writes to the embedded ledger and is killed with SIGKILL at random points
// (5 kills, fixed seed). After each restart the chain holds every op the child reported done, plus
// at most the one op in flight, each exactly once; the last child finishes the run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import type { Ledger } from '../../tools/ledger/ledger.ts';
import { crashOps, crashUsers, modelOp } from './crash-ops.ts';
import { LedgerModel } from './model.ts';
import { prng } from '../support/prng.ts';

const opCount = 160;
const ops = crashOps(opCount);
const writer = new URL('./crash-writer.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-crash-'));

type Run = { lastDone: number; finished: boolean; killed: boolean };

function runChild(start: number, killAfterReadyMs: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(start), String(opCount)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (killAfterReadyMs !== undefined && out.includes('ready\n') && !killed) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const done = [...out.matchAll(/^done (\d+)$/gm)].map((m) => Number(m[1]));
      if (signal !== 'SIGKILL' && code !== 0) return reject(new Error(`writer exited ${code}: ${err}`));
      resolve({ lastDone: done.length ? Math.max(...done) : start - 1, finished: out.includes('finished\n'), killed: signal === 'SIGKILL' });
    });
  });
}

function modelAfter(n: number, revenue: `0x${string}`): LedgerModel {
  const m = new LedgerModel(revenue);
  for (const op of ops.slice(0, n)) modelOp(m, op);
  return m;
}

async function matches(l: Ledger, m: LedgerModel): Promise<boolean> {
  for (const u of [...crashUsers, l.revenueAccount]) {
    if ((await l.balanceOf(u)) !== m.balanceOf(u) || (await l.escrowOf(u)) !== m.escrowOf(u)) return false;
  }
  for (const [id, c] of m.contracts) if ((await l.record(id)) !== c.state) return false;
  const t = await l.totals();
  return t.issuedMinor === m.issuedMinor && t.redeemedMinor === m.redeemedMinor && t.escrowMinor === m.escrowMinor;
}

test('5 SIGKILLs during a run of writes: nothing reported done is lost, nothing applied twice', async () => {
  const r = prng(5);
  let next = 0;
  let kills = 0;
  let exactLabel = '';
  while (kills < 5) {
    const run = await runChild(next, r.int(5, 120));
    if (!run.killed) break;
    kills++;
    const reported = run.lastDone + 1; // ops [0, reported) were reported done
    assert.ok(reported >= next, 'reported ops only move forward');
    const l = await openEmbeddedLedger(dir);
    try {
      const exact = await matches(l, modelAfter(reported, l.revenueAccount));
      const withInFlight = reported < ops.length && (await matches(l, modelAfter(reported + 1, l.revenueAccount)));
      exactLabel = exact ? 'the reported ops' : 'the reported ops + the op in flight';
      assert.ok(exact || withInFlight, `after kill ${kills} (${reported} ops reported done) the chain matches neither ${reported} nor ${reported + 1} ops applied once`);
      assert.equal((await auditLedger(l)).problems, []);
    } finally {
      await l.close();
    }
    console.log(`kill ${kills}: ${reported} of ${ops.length} ops reported done, state matches ${exactLabel}`);
    next = reported;
  }
  assert.is(kills, 5, 'all five kills landed mid-run');
  const last = await runChild(next, undefined);
  assert.ok(last.finished);
  const l = await openEmbeddedLedger(dir);
  try {
    assert.ok(await matches(l, modelAfter(ops.length, l.revenueAccount)), 'the finished run equals every op applied exactly once');
    const audit = await auditLedger(l);
    assert.equal(audit.problems, []);
    assert.ok(audit.contracts > 50);
  } finally {
    await l.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

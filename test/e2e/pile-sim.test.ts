// `npm run pile:sim` as a user runs it (the package script, a child process, no TTY): one
// simulated pile, its display printed as it changes, driven by scripted phones through every
// flow of R3–R8; the audit passes and it exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DayFigures } from '../../tools/system-day/day-figures.ts';

const root = new URL('../..', import.meta.url).pathname;

test('npm run pile:sim shows the pile display through every flow of R3–R8 and exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-e2e-pile-sim-'));
  try {
    const r = spawnSync('npm', ['run', '--silent', 'pile:sim', '--', '--fast', '--data', join(dir, 'data')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, r.stdout.slice(-3000) + r.stderr);
    const out = r.stdout;
    assert.not.match(out, /\x1b\[/);
    // the display, as the pile shows it, at each stage
    for (const screen of [/\+-\[ IDLE \]-+\+\n {7}\|Pile [0-9a-f]{16}/, /\|Welcome, Ada {12}\|/, /\+-\[ CHARGING \]/, /\|Receipt \d+ +\|/, /\+-\[ ATTENTION \]-+\+\n {7}\|Session ended: +\|\n {7}\|plug removed +\|\n {7}\|Tap your phone to/, /\|0\.35\/kWh 0\.00\/h +\|/]) {
      assert.match(out, screen);
    }
    assert.match(out, /Ada tap 1: "Welcome, Ada", wrote config v2/);
    assert.match(out, /Bob tap 1 without network \[carried 1 from the pile's outbox, ack written back, relay offline; \d APDUs, \d+ B\]/);
    assert.match(out, /Ada tap 1: "Welcome, Ada", wrote config v2 \(tariff v2\) \[[^\]]*, 1 relay round trip in the field\]/);
    assert.match(out, /Ada tap 2: contract #1 signed by the pile \[then 1 new record\(s\) to the relay; 2 APDUs, \d+ B\]/, 'tap 2 asks the relay nothing; the phone uploads once the field is released');
    assert.match(out, /Bob chooses amount 1\.00: refused 409 open-contract-outstanding/);
    assert.not.match(out, /MISSING/);
    assert.match(out, /\naudit PASS\n/);
    const saved = JSON.parse(readFileSync(join(dir, 'data', 'day-report.json'), 'utf8')) as { ok: boolean; figures: DayFigures };
    assert.ok(saved.ok);
    const f = saved.figures;
    assert.equal(f.piles.map((p) => p.label), ['Bay 1']);
    const ends = new Set(f.sessions.map((s) => `${s.mode}/${s.endReason}`));
    assert.equal([...ends].sort(), ['amount/normal', 'energy/abnormal', 'energy/normal', 'full/abnormal', 'full/normal', 'time/normal', 'time/user']);
    assert.ok(f.sessions.every((s) => s.status === 'settled' && s.ledger === 'settled'));
    assert.is(f.audit.settledVerified, f.sessions.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

// `npm start`'s day, run as a user runs it (`tapcharge day --fast`, a child process, no TTY):
// every flow of R3–R9 and R11 happened — R9 on the networked pile, through a SIMULATED uplink
// outage and a user stop on the phone — the report adds up, the audit passes (the networked
// sessions among the ones it verified) and exits 0; the audit re-run from the data folder alone
// agrees; and it FAILS when a stored record is altered.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_FLOWS, FLOW_TITLES } from '../../tools/system-day/flows.ts';
import type { DayFigures } from '../../tools/system-day/day-figures.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-e2e-day-'));
const dataDir = join(dir, 'day');

type Ran = { status: number | null; stdout: string; stderr: string };
function tapcharge(...args: string[]): Ran {
  // the day runs in ~20–35 s alone (its networked pile's uplink is real I/O); a bound, not a timing target, for a loaded machine
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Saved = { ok: boolean; scriptError: string | null; missingFlows: string[]; flows: Record<string, string[]>; figures: DayFigures };

const day = suite<{ run: Ran; saved: Saved }>('tapcharge day', { run: undefined as never, saved: undefined as never });

day.before((ctx) => {
  ctx.run = tapcharge('day', '--fast', '--data', dataDir);
  ctx.saved = JSON.parse(readFileSync(join(dataDir, 'day-report.json'), 'utf8')) as Saved;
});

day.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

day('runs the whole day to the end and exits 0 with audit PASS', ({ run, saved }) => {
  assert.is(run.status, 0, run.stdout.slice(-3000) + run.stderr);
  assert.is(run.stderr, '');
  assert.match(run.stdout, /\naudit PASS\n/);
  assert.not.match(run.stdout, /\x1b\[/, 'no terminal control codes when stdout is not a TTY');
  assert.match(run.stdout, /22:00  day {8}the day is over/);
  assert.ok(saved.ok);
  assert.is(saved.scriptError, null);
  assert.equal(saved.missingFlows, []);
});

day('every flow of R3–R9 and R11 happened, each with its evidence', ({ run, saved }) => {
  for (const flow of ALL_FLOWS) {
    assert.ok(saved.flows[flow]!.length > 0, `${flow} seen`);
    assert.ok(run.stdout.includes(`ok      ${FLOW_TITLES[flow]}`), `${flow} reported ok`);
  }
  assert.not.match(run.stdout, /MISSING/);
  assert.match(saved.flows['capped-plug-pulled']![0]!, /^Eli at Depot 2: cap 6\.15 held until Dana's tap, then \d+\.\d\d metered/);
  assert.match(saved.flows['open-plug-pulled']![0]!, /refused 409/);
  assert.match(saved.flows['credit-line']![0]!, /^Dana: balance \d+\.\d\d \+ credit \d+\.\d\d → started/);
  assert.match(saved.flows['tap1-update']![0]!, /wrote config v2 into Main St 1/);
  assert.equal(saved.flows['channel-open']!.map((e) => e.replace(/:.*/, '')), ['Fay scans the code on the display of Garage 4', 'Fay taps once for the pile id of Garage 4']);
  assert.match(saved.flows['networked-start']![0]!, /^Fay at Garage 4 #1: energy 10\.000 kWh chosen on the phone, contract through the relay, cap 3\.70 escrowed$/);
  assert.match(saved.flows['live-status']![0]!, /^Fay at Garage 4 #1: \d+\.\d{3} kWh, \d+\.\d kW, cost \d+\.\d\d of cap 3\.70$/);
  assert.match(saved.flows['networked-pile-end']![0]!, /^Fay at Garage 4 #1: normal end at the pile, receipt over its uplink at 09:2\d/);
  assert.match(saved.flows['outage-records-delivered']![0]!, /^Garage 4 uplink down 08:25–09:20 while Fay charged; receipt #2 accepted over the uplink at 09:2\d, 3\.70 settled once$/);
  assert.match(saved.flows['networked-user-stop']![0]!, /^Fay at Garage 4 #3: stopped on the phone, receipt #4 from the pile, \d+\.\d\d settled at once$/);
  assert.match(run.stdout, /08:25  Garage 4   uplink cut \(SIMULATED outage/);
  assert.equal(saved.flows['user-stop'], ['Chen at Mall 3 #7: 6.129 kWh, 2.95'], 'the phone stop on the networked pile is R9\'s, not the stop by tap');
});

day('the report adds up: sessions, energy, amounts, provisional vs settled, balances, gas', ({ run, saved }) => {
  const f = saved.figures;
  assert.is(f.sessions.length, 16);
  assert.equal(Object.fromEntries(f.piles.map((p) => [p.label, p.sessions])), { 'Main St 1': 4, 'Depot 2': 5, 'Mall 3': 5, 'Garage 4': 2 });
  const garage = f.sessions.filter((s) => s.pile === 'Garage 4').map((s) => [s.seq, s.driver, s.mode, s.status, s.ledger, s.endReason]);
  assert.equal(garage, [[1, 'Fay', 'energy', 'settled', 'settled', 'normal'], [3, 'Fay', 'amount', 'settled', 'settled', 'user']], 'the networked sessions, settled from the receipts the pile sent over its uplink');
  const settled = f.sessions.filter((s) => s.status === 'settled');
  const provisional = f.sessions.filter((s) => s.status === 'provisional');
  assert.is(settled.length, 15);
  assert.is(provisional.length, 1);
  assert.equal([provisional[0]!.pile, provisional[0]!.driver, provisional[0]!.mode, provisional[0]!.ledger], ['Mall 3', 'Chen', 'energy', 'open']);
  const ends = settled.map((s) => `${s.mode}/${s.endReason}`);
  for (const end of ['amount/normal', 'time/normal', 'energy/normal', 'full/normal', 'time/user', 'energy/abnormal', 'full/abnormal']) assert.ok(ends.includes(end), end);
  for (const s of settled) {
    assert.ok(s.amountMinor! > 0 && s.amountMinor! <= s.capMinor, `${s.pile} #${s.seq}: amount within the cap`);
    assert.ok(s.energyWh! > 0);
  }
  // money adds up: revenue = settled amounts; balances + escrow + revenue = issued − redeemed
  const settledSum = settled.reduce((n, s) => n + s.amountMinor!, 0);
  assert.is(f.revenueMinor, settledSum);
  assert.is(f.piles.reduce((n, p) => n + p.settledMinor, 0), settledSum);
  const held = f.users.reduce((n, u) => n + u.balanceMinor + u.escrowMinor, 0);
  assert.is(held + f.revenueMinor, f.issuedMinor - f.redeemedMinor);
  assert.is(f.users.find((u) => u.name === 'Chen')!.escrowMinor, provisional[0]!.capMinor);
  const dana = f.users.find((u) => u.name === 'Dana')!;
  assert.is(dana.creditUsedMinor, 0, 'the top-up repaid the advance');
  assert.ok(f.redeemedMinor > 0, 'the repayment of the advance is a redeem on the ledger');
  assert.ok(f.gas.transactions > 0 && f.gas.perSettledSession > 0);
  assert.match(run.stdout, /sessions: 16 — by pile, mode and end/);
  assert.match(run.stdout, /contracts: 15 settled, 1 provisional/);
  assert.match(run.stdout, new RegExp(`revenue account ${(f.revenueMinor / 100).toFixed(2).replace('.', '\\.')};`));
});

day('the audit re-verified every record and settled session, the networked pile\'s among them', ({ saved }) => {
  const a = saved.figures.audit;
  assert.ok(a.ok);
  assert.equal(a.problems, []);
  assert.is(a.recordsVerified, 31, '16 contracts + 15 receipts (Garage 4: 2 + 2)');
  assert.is(a.settledVerified, 15);
  assert.is(a.provisional, 1);
});

day('tapcharge day audit re-runs the audit from the data folder alone and agrees', ({ saved }) => {
  const again = tapcharge('day', 'audit', '--data', dataDir);
  assert.is(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /\naudit PASS\n/);
  assert.match(again.stdout, /31 signed records verified/);
  assert.match(again.stdout, /15 settled sessions re-verified/);
  assert.match(again.stdout, /Garage 4 #3 +Fay +amount .* user: stopped by user/);
  assert.match(again.stdout, new RegExp(`revenue account ${(saved.figures.revenueMinor / 100).toFixed(2).replace('.', '\\.')};`));
});

day('the audit FAILS when a stored signed record is altered (a check that can fail)', () => {
  const copy = join(dir, 'tampered');
  cpSync(dataDir, copy, { recursive: true });
  const db = new Database(join(copy, 'relay.sqlite'));
  const row = db.prepare("SELECT pile_id, seq, signed FROM records WHERE kind = 'receipt' ORDER BY pile_id, seq LIMIT 1").get() as { pile_id: string; seq: number; signed: Buffer };
  const altered = Buffer.from(row.signed);
  altered[altered.length - 1]! ^= 0x01; // one bit of the signature
  db.prepare('UPDATE records SET signed = ? WHERE pile_id = ? AND seq = ?').run(altered, row.pile_id, row.seq);
  db.close();
  const audit = tapcharge('day', 'audit', '--data', copy);
  assert.is(audit.status, 1);
  assert.match(audit.stdout, /\naudit FAIL\n/);
  assert.match(audit.stdout, new RegExp(`problem: records ${row.pile_id}#${row.seq}: sha256 stored [0-9a-f]{64}, derived [0-9a-f]{64} from the signed bytes`));
  assert.match(audit.stdout, new RegExp(`problem: records ${row.pile_id}#${row.seq}: signed does not verify with pile ${row.pile_id}'s registered key`));
});

day('bad command lines get one clear line and exit 2; a non-empty --data is refused before anything runs', () => {
  const cases: [string[], RegExp][] = [
    [['day', '--seed', 'x'], /--seed expected a whole number/],
    [['day', '--speed', '3'], /Unknown option '--speed'/],
    [['day', 'tomorrow'], /unknown day command "tomorrow"/],
    [['day', 'audit'], /needs --data DIR/],
    [['day', '--data', dataDir], /the folder is not empty/],
  ];
  for (const [args, message] of cases) {
    const r = tapcharge(...args);
    assert.is(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.is(r.stderr.split('\n').filter(Boolean).length, 1, 'one line, no stack');
  }
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'note.txt'), 'not a day');
  const r = tapcharge('day', 'audit', '--data', empty);
  assert.is(r.status, 1);
  assert.match(r.stderr, /holds no day's data/);
});

day.run();

// `tapcharge operator`: every command through the real CLI against a relay started by the CLI
// (`tapcharge relay start`), signing with the data folder's operator key: tables for people and
// `--json` equal to the relay's answers, a new tariff, disputes settled and voided, refunds once per
// idempotency key, the CSV export; mistakes are one line with exit 1 (refused, no answer) or 2 (usage).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeKeyFile } from '../../tools/key-file.ts';
import type { TestPile } from '../support/relay-harness.ts';
import { type CliRun, runCli } from '../support/cli-process.ts';
import { startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-operator-cli-'));

const run = runCli;

const relay = await startRelayProcess(dir);
const { url, caller: t } = relay;
const operator = (...args: string[]) => run(['operator', ...args, '--url', url, '--data', dir]);
const asOperator = async (path: string) => (await t.call('GET', path, { signer: t.operator })).json;

/** One line on stderr, no stack trace. */
function oneLine(r: CliRun, status: number, message: RegExp): void {
  assert.is(r.status, status, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
  assert.is(r.stdout, '');
}

// A pile with a settled session, and two disputed contracts with their receipts (the pile ran a
// stale tariff version: the contracts differ from their vouchers).
const user = await t.newUser('cli driver');
await t.topUp(user.kidHex, 10_000);
const pile: TestPile = await t.newPile({ energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 });
const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 });
const c = pile.contract(v.json.authorization, t.clock.nowS);
const receipt = pile.receipt(c.seq, { energyWh: 10_000, durationS: 3_600, endAtS: t.clock.nowS + 3_600 });
await t.upload(c.signed, receipt.signed);
const charged = receipt.amountMinor;
const settledId = pile.contractId(c.seq).slice(2);
async function disputedContract(): Promise<string> {
  const voucher = await t.voucher(user, pile, { mode: 'amount', amountMinor: 800 });
  pile.tariff = { ...pile.tariff, version: 9 };
  const contract = pile.contract(voucher.json.authorization, t.clock.nowS);
  const receipt = pile.receipt(contract.seq, { energyWh: 2_000, durationS: 600, endAtS: t.clock.nowS + 600 });
  pile.tariff = { ...pile.tariff, version: 1 };
  await t.upload(contract.signed, receipt.signed);
  return pile.contractId(contract.seq).slice(2);
}
const toSettle = await disputedContract();
const toVoid = await disputedContract();
/** The relay runs in its own process: wait (bounded) until its ledger writes for the user have landed. */
async function ledgerSettled(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.pendingLedgerWrites === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the relay did not write to its ledger within 10 s');
}
await ledgerSettled();

test('piles: an aligned table with the pile, its tariff, last record and sessions; --json is the relay answer', async () => {
  const shown = await operator('piles');
  assert.is(shown.status, 0, shown.stderr);
  const [header, row, note] = shown.stdout.trimEnd().split('\n');
  assert.match(header!, /^PILE\s+LABEL\s+CFG\s+TARIFF\s+LAST SEEN\s+SILENT\s+RECORDS\s+GAPS\s+NO RECEIPT\s+SETTLED\s+AMOUNT\s+REFUNDED\s+DISPUTED$/);
  assert.match(row!, new RegExp(`^${pile.pileIdHex}  Bay 1 +1  v1 30/kWh 60/h fee 50  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +6 +- +0 +1 +${charged} +0 +2$`));
  assert.is(header!.indexOf('LABEL'), row!.indexOf('Bay 1'), 'columns aligned');
  assert.match(note!, /^silent: no record for more than 172800 s \(48 h\)/);
  const json = JSON.parse((await operator('piles', '--json')).stdout);
  assert.equal(json.piles, (await asOperator('/v1/operator/piles')).piles);
});

test('users: a table row per user; --json is the relay answer', async () => {
  const shown = await operator('users');
  assert.is(shown.status, 0, shown.stderr);
  const lines = shown.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^KID\s+NAME\s+BALANCE\s+ESCROW\s+BOOK\s+CREDIT USED\s+CREDIT LIMIT\s+OPEN\s+DISPUTED\s+SETTLED\s+SETTLED AMOUNT\s+LATE\s+REFUNDED$/);
  assert.match(lines[1]!, new RegExp(`^${user.kidHex}  cli driver  +${10_000 - charged} +0 +${10_000 - charged} +0 +0 +0 +2 +1 +${charged} +0 +0$`));
  const json = JSON.parse((await operator('users', '--json')).stdout);
  assert.equal(json, (await asOperator('/v1/operator/users')).users);
});

test('resolve: --settle charges the receipt, --void charges nothing; a second decision is refused with one line', async () => {
  const settled = await operator('resolve', '--contract', toSettle, '--settle', '--reason', 'stale tariff, same prices');
  assert.is(settled.status, 0, settled.stderr);
  const amount = 50 + 60 + 10; // fee + 2 kWh × 30 + 600 s × 60/h
  assert.match(settled.stdout, new RegExp(`^contract ${toSettle} settled for ${amount}, on the ledger \\(tx 0x[0-9a-f]{64}\\)\\n$`));
  const voided = await operator('resolve', '--contract', toVoid, '--void', '--reason', 'not ours');
  assert.equal([voided.status, voided.stdout], [0, `contract ${toVoid} voided: nothing charged\n`]);
  const again = await operator('resolve', '--contract', toVoid, '--void', '--reason', 'retry', '--json');
  assert.equal([JSON.parse(again.stdout).repeated, JSON.parse(again.stdout).reason], [true, 'not ours']);
  oneLine(await operator('resolve', '--contract', toVoid, '--settle', '--reason', 'x'), 1, /^tapcharge: relay refused POST \/v1\/operator\/contracts\/[0-9a-f]{32}\/resolve: 409 not-disputed: .*resolved already: void/);
  oneLine(await operator('resolve', '--contract', toVoid, '--reason', 'x'), 2, /^tapcharge: give one of --settle or --void$/);
  oneLine(await operator('resolve', '--contract', 'abc', '--void', '--reason', 'x'), 2, /^tapcharge: --contract expected 32 hex digits, got "abc"$/);
  const contracts = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts;
  assert.equal(contracts.map((x: { status: string; resolution?: { reason: string } }) => [x.status, x.resolution?.reason]), [
    ['settled', undefined], ['settled', 'stale tariff, same prices'], ['voided', 'not ours'],
  ]);
});

test('refund: within what was charged, once per idempotency key; above it, or no answer, one line', async () => {
  const first = await operator('refund', '--contract', settledId, '--amount', '30', '--reason', 'slow charging', '--idempotency-key', 'c1'.repeat(16));
  assert.is(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^refunded 30 of contract ${settledId} to ${user.kidHex} \\(30 of ${charged} refunded in all\\), on the ledger \\(tx 0x[0-9a-f]{64}\\), ref 0x[0-9a-f]{64}\\n$`));
  const retry = await operator('refund', '--contract', settledId, '--amount', '30', '--reason', 'slow charging', '--idempotency-key', 'c1'.repeat(16));
  assert.match(retry.stdout, /\(30 of \d+ refunded in all\).*\(made earlier: nothing moved again\)\n$/);
  oneLine(await operator('refund', '--contract', settledId, '--amount', String(charged), '--reason', 'x'), 1,
    new RegExp(`409 refund-above-charged: refund of ${charged} asked; .* at most ${charged - 30}$`));
  const lost = await run(['operator', 'refund', '--contract', settledId, '--amount', '5', '--reason', 'x', '--url', 'http://127.0.0.1:9', '--data', dir, '--idempotency-key', 'c2'.repeat(16)]);
  oneLine(lost, 1, new RegExp(`unreachable .*the refund may or may not have been made: run the same command with --idempotency-key ${'c2'.repeat(16)} to finish it`));
  oneLine(await operator('refund', '--contract', settledId, '--amount', '5.5', '--reason', 'x'), 2, /^tapcharge: --amount expected a whole number, got "5.5"$/);
  oneLine(await operator('refund', '--contract', settledId, '--amount', '-5', '--reason', 'x'), 2, /^tapcharge: --amount expected a value, got "-5" \(see: tapcharge operator --help\)$/);
  const balance = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.balanceMinor;
  assert.is(balance, 10_000 - charged - (50 + 60 + 10) + 30, 'refunded once');
});

test('pile: the pile and its latest sessions', async () => {
  const shown = await operator('pile', '--pile-id', pile.pileIdHex);
  assert.is(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /\nsessions: 0 provisional, 0 charged at cap, 2 settled, 0 corrected, 0 disputed, 1 voided; 12000 Wh settled\n/);
  const rows = shown.stdout.split('\n\n')[1]!.trimEnd().split('\n');
  assert.match(rows[0]!, /^CONTRACT\s+SEQ\s+USER\s+MODE\s+STATUS\s+START\s+END\s+ENERGY WH\s+AMOUNT\s+REFUNDED\s+RESOLUTION$/);
  assert.equal(rows.slice(1).map((row) => row.split(/\s+/)[4]), ['voided', 'settled', 'settled']);
  assert.match(rows[3]!, new RegExp(`^${settledId}\\s+1 .* ${charged}\\s+30$`));
  const json = JSON.parse((await operator('pile', '--pile-id', pile.pileIdHex, '--json')).stdout);
  assert.equal(json.recentSessions, (await asOperator(`/v1/operator/piles/${pile.pileIdHex}`)).recentSessions);
  oneLine(await operator('pile', '--pile-id', '00000000000000ff'), 1, /404 unknown-pile/);
});

test('export: the CSV of the relay to stdout or --out; bad dates are usage mistakes', async () => {
  const from = new Date((t.clock.nowS - 3_600) * 1000).toISOString().slice(0, 10);
  const to = new Date((t.clock.nowS + 86_400) * 1000).toISOString().slice(0, 10);
  const viaApi = await t.call('GET', `/v1/operator/sessions.csv?from=${from}&to=${to}`, { signer: t.operator });
  const stdout = await operator('export', '--from', from, '--to', to);
  assert.is(stdout.status, 0, stdout.stderr);
  assert.is(stdout.stdout, viaApi.text);
  assert.is(stdout.stdout.split('\r\n').length, 4, 'header, two settled sessions, and the end');
  const file = join(dir, 'sessions.csv');
  const written = await operator('export', '--from', from, '--to', to, '--out', file);
  assert.equal([written.status, written.stdout], [0, `2 session(s) settled in [${from}, ${to}) written to ${file}\n`]);
  assert.is(readFileSync(file, 'utf8'), viaApi.text);
  oneLine(await operator('export', '--from', '2025-02-30', '--to', to), 2, /^tapcharge: --from expected a UTC date YYYY-MM-DD or time YYYY-MM-DDThh:mm:ssZ, got "2025-02-30"$/);
  oneLine(await operator('export', '--from', to, '--to', from), 2, /^tapcharge: --to expected a time after --from/);
});

test('tariff: a new configuration version the relay signs; prices all three or none', async () => {
  const published = await operator('tariff', '--pile-id', pile.pileIdHex, '--energy-price', '35', '--time-price', '0', '--session-fee', '100', '--label', 'Depot 3');
  assert.is(published.status, 0, published.stderr);
  assert.is(published.stdout, `pile ${pile.pileIdHex} config version 2: "Depot 3", 11000 W, tariff v2 35/kWh 0/h fee 100\nphones write the relay-signed update into the pile at their next tap there\n`);
  const power = JSON.parse((await operator('tariff', '--pile-id', pile.pileIdHex, '--max-power-w', '7400', '--json')).stdout);
  assert.equal([power.configVersion, power.pile.maxPowerW, power.pile.tariff.version], [3, 7_400, 2]);
  const update = await t.call('GET', `/v1/piles/${pile.pileIdHex}/update?configVersion=1`);
  assert.equal([update.status, update.json.configVersion], [200, 3], 'phones fetch the newest update');
  oneLine(await operator('tariff', '--pile-id', pile.pileIdHex, '--energy-price', '35'), 2, /^tapcharge: a tariff needs all three prices: missing --time-price$/);
  oneLine(await operator('tariff', '--pile-id', pile.pileIdHex), 2, /^tapcharge: give the three prices/);
});

test('a key that is not an operator: 403 in one line; usage and unknown commands exit 2', async () => {
  const stranger = join(dir, 'stranger');
  mkdirSync(stranger);
  writeKeyFile(join(stranger, 'operator-key.json'), user, false);
  oneLine(await run(['operator', 'users', '--url', url, '--data', stranger]), 1, new RegExp(`403 not-operator: signer ${user.kidHex} is a user, not an operator`));
  oneLine(await operator('frobnicate'), 2, /^tapcharge: unknown operator command "frobnicate"/);
  oneLine(await operator('piles', '--bogus'), 2, /Unknown option '--bogus'/);
  const help = await run(['operator', '--help']);
  assert.equal([help.status, help.stdout.startsWith('usage: tapcharge operator <command>')], [0, true]);
  assert.match((await run(['--help'])).stdout, /\n {2}operator {3}operator: piles, users, OCPP uplinks, tariffs, disputes, refunds, accounting export\n/);
});

test.after(async () => {
  await stopRelayProcess(relay);
  rmSync(dir, { recursive: true, force: true });
});
test.run();

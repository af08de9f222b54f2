// `tapcharge relay`: start prints the URL and the relay key and runs until SIGTERM (then closes
// cleanly); register-pile and issue sign with the data folder's operator key through the HTTP API;
// mistakes are one-line errors with exit codes 1 (refused) or 2 (usage).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { readKeyFile } from '../../tools/key-file.ts';
import { RelayCaller, TestClock } from '../support/relay-harness.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-cli-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'relay', ...args], { encoding: 'utf8' });

const child = spawn(process.execPath, [bin, 'relay', 'start', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d));
const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
for (let i = 0; i < 600 && !out.includes('\nledger '); i++) await new Promise((r) => setTimeout(r, 50));
const url = /relay listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
const relayKey = /relay public key ([0-9a-f]{64}) \(kid ([0-9a-f]{16})\)/.exec(out);

test('start prints the URL on 127.0.0.1, the relay key and where the operator key is', () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(relayKey, out);
  assert.match(out, new RegExp(`operator key ${join(dir, 'operator-key.json')}`));
  assert.match(out, /storage sqlite .*relay\.sqlite/);
});

test('register-pile writes the provisioning PileUpdate signed by the relay', () => {
  const pileKey = generateKeyPair();
  const file = join(dir, 'pile-update.cose');
  const r = cli('register-pile', '--url', url, '--data', dir, '--pile-id', '50c1c1c1c1c1c1c1', '--public-key', bytesToHex(pileKey.publicKey), '--label', 'Depot 3',
    '--max-power-w', '22000', '--energy-price', '35', '--time-price', '0', '--session-fee', '100', '--out', file);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /registered pile 50c1c1c1c1c1c1c1, config version 1/);
  const update = openSigned(readFileSync(file), { publicKey: hexToBytes(relayKey![1]!), expectType: 'PileUpdate' });
  assert.ok(update.ok);
  if (update.ok) assert.equal([update.value.message.label, update.value.message.maxPowerW, update.value.message.tariff.energyMinorPerKwh], ['Depot 3', 22_000, 35]);
  const again = cli('register-pile', '--url', url, '--data', dir, '--pile-id', '50c1c1c1c1c1c1c1', '--public-key', bytesToHex(pileKey.publicKey), '--label', 'x',
    '--max-power-w', '1', '--energy-price', '1', '--time-price', '1', '--session-fee', '1');
  assert.is(again.status, 1);
  assert.match(again.stderr, /^tapcharge: relay refused POST \/v1\/piles: 409 already-registered: pile 50c1c1c1c1c1c1c1 is already registered\n$/);
});

test('issue tops a user up on the ledger; an unknown user is refused', async () => {
  const caller = new RelayCaller(url, readKeyFile(join(dir, 'operator-key.json')), hexToBytes(relayKey![1]!), new TestClock());
  const user = await caller.newUser('cli user');
  const r = cli('issue', '--url', url, '--data', dir, '--user', user.kidHex, '--amount', '2500');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /issued 2500 to [0-9a-f]{16} \(repaid advances 0\): applied/);
  assert.is((await caller.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.balanceMinor, 2_500);
  const unknown = cli('issue', '--url', url, '--data', dir, '--user', 'ffffffffffffffff', '--amount', '1');
  assert.is(unknown.status, 1);
  assert.match(unknown.stderr, /relay refused POST \/v1\/issue: 404 unknown-user/);
});

test('usage mistakes exit 2 with one line', () => {
  const missing = cli('issue', '--url', url, '--data', dir, '--amount', '5');
  assert.equal([missing.status, missing.stderr], [2, 'tapcharge: missing --user (see: tapcharge relay --help)\n']);
  const badPort = cli('start', '--port', '70000');
  assert.equal([badPort.status, badPort.stderr], [2, 'tapcharge: --port expected 0..65535, got "70000"\n']);
});

test('a port in use: one line, exit 1', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = String((blocker.address() as { port: number }).port);
  const other = mkdtempSync(join(tmpdir(), 'tapcharge-relay-cli-busy-'));
  const r = cli('start', '--data', other, '--port', port);
  const unborn = join(other, 'new');
  const again = cli('start', '--data', unborn, '--port', port);
  blocker.close();
  const left = readdirSync(other);
  rmSync(other, { recursive: true, force: true });
  assert.is(r.status, 1);
  assert.match(r.stderr, /^tapcharge: relay did not start: listen EADDRINUSE/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.is(again.status, 1);
  assert.equal(left, [], 'no keys, database, ledger or log left by the failed starts (nor the folder one of them made)');
});

test('SIGTERM closes the relay cleanly (exit 0) and releases the data folder', async () => {
  child.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.match(out, /relay stopped\n$/);
  const restart = spawnSync(process.execPath, [bin, 'ledger', 'balance', 'kid:0011223344556677', '--data', dir], { encoding: 'utf8' });
  assert.is(restart.status, 0, `the embedded ledger lock was released: ${restart.stderr}`);
});

test.after(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
test.run();

// `tapcharge relay`: start prints the URL and the relay key and runs until SIGTERM (then closes
// cleanly); register-pile and issue sign with the data folder's operator key through the HTTP API;
// register-pile --out writes the provisioning record `tapcharge pile serve --provisioning` reads
// (a phone session on that pile then settles at the relay), a pile holding another key refuses it
// as does the reader a file that is not a record,
// and `relay provisioning` reads the record again with the current config; mistakes are one-line
// errors with exit codes 1 (refused) or 2 (usage).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { writeKeyFile } from '../../tools/key-file.ts';
import { readProvisioningFile } from '../../tools/pile-sim/provisioning-source.ts';
import { startPileProcess } from '../support/pile-serve-process.ts';
import { cliBin as bin, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-cli-'));
const tapcharge = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const cli = (...args: string[]) => tapcharge('relay', ...args);

const relay = await startRelayProcess(dir);
const { url } = relay;
const relayKey = /relay public key ([0-9a-f]{64}) \(kid ([0-9a-f]{16})\)/.exec(relay.stdout());

test('start prints the URL on 127.0.0.1, the relay key and where the operator key is', () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(relayKey, relay.stdout());
  assert.match(relay.stdout(), new RegExp(`operator key ${join(dir, 'operator-key.json')}`));
  assert.match(relay.stdout(), /storage sqlite .*relay\.sqlite/);
});

test('issue tops a user up on the ledger; an unknown user is refused', async () => {
  assert.is(relay.process.exitCode, null, `the relay exited:\n${relay.stdout()}`);
  const caller = relay.caller;
  const user = await caller.newUser('cli user');
  const r = cli('issue', '--url', url, '--data', dir, '--user', user.kidHex, '--amount', '2500');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /issued 2500 to [0-9a-f]{16} \(repaid advances 0\): applied/);
  assert.is((await caller.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.balanceMinor, 2_500);
  const unknown = cli('issue', '--url', url, '--data', dir, '--user', 'ffffffffffffffff', '--amount', '1');
  assert.is(unknown.status, 1);
  assert.match(unknown.stderr, /relay refused POST \/v1\/issue: 404 unknown-user/);
});

/** A pile's data folder holding `key` as its pile key (DATA/pile-key.json), as `pile serve` finds it. */
function pileFolder(name: string, key: KeyPair): string {
  const data = join(dir, name);
  mkdirSync(data);
  writeKeyFile(join(data, 'pile-key.json'), key, false);
  return data;
}

const pileKey = generateKeyPair();
const registered = join(dir, 'provisioning.json');
const registerArgs = (pileId: string, key: KeyPair) => ['register-pile', '--url', url, '--data', dir, '--pile-id', pileId, '--public-key', bytesToHex(key.publicKey),
  '--label', 'Depot 3', '--max-power-w', '22000', '--energy-price', '35', '--time-price', '0', '--session-fee', '100'];

test('register-pile --out writes the provisioning record: the relay\'s answer, as JSON, its PileUpdate signed by the relay', () => {
  const r = cli(...registerArgs('50c1c1c1c1c1c1c1', pileKey), '--out', registered);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout, `registered pile 50c1c1c1c1c1c1c1, config version 1\nrelay public key ${relayKey![1]}\nprovisioning record written to ${registered}\n`);
  const record = JSON.parse(readFileSync(registered, 'utf8'));
  assert.equal(Object.keys(record), ['pileId', 'relayPublicKey', 'pilePublicKey', 'configVersion', 'pileUpdate', 'firstBillingSeq']);
  assert.equal([record.pileId, record.relayPublicKey, record.pilePublicKey, record.configVersion, record.firstBillingSeq], ['50c1c1c1c1c1c1c1', relayKey![1], bytesToHex(pileKey.publicKey), 1, 1]);
  const update = openSigned(base64urlToBytes(record.pileUpdate), { publicKey: hexToBytes(relayKey![1]!), expectType: 'PileUpdate' });
  assert.ok(update.ok);
  if (update.ok) assert.equal([update.value.message.label, update.value.message.maxPowerW, update.value.message.tariff.energyMinorPerKwh], ['Depot 3', 22_000, 35]);
  const again = cli(...registerArgs('50c1c1c1c1c1c1c1', pileKey));
  assert.is(again.status, 1);
  assert.match(again.stderr, /^tapcharge: relay refused POST \/v1\/piles: 409 already-registered: pile 50c1c1c1c1c1c1c1 is already registered\n$/);
});

test('without --out the record is printed as one JSON line, the same fields', () => {
  const key = generateKeyPair();
  const r = cli(...registerArgs('50c1c1c1c1c1c1c2', key));
  assert.is(r.status, 0, r.stderr);
  const record = JSON.parse(/\nprovisioning record (\{.*\})\n$/.exec(r.stdout)![1]!);
  assert.equal([record.pileId, record.relayPublicKey, record.pilePublicKey, record.configVersion], ['50c1c1c1c1c1c1c2', relayKey![1], bytesToHex(key.publicKey), 1]);
});

test('pile serve --provisioning FILE from register-pile --out: a phone session on that pile settles at the relay', async () => {
  const pile = await startPileProcess(['--data', pileFolder('pile', pileKey), '--provisioning', registered]);
  try {
    assert.is(pile.pileId, '50c1c1c1c1c1c1c1');
    const at = `127.0.0.1:${pile.port}`;
    const wallet = join(dir, 'ada.json');
    const ok = (...args: string[]) => {
      const r = tapcharge(...args);
      assert.is(r.status, 0, `tapcharge ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    ok('phone', 'keygen', '--wallet', wallet, '--name', 'Ada', '--relay', url);
    const kid = /registered ([0-9a-f]{16})/.exec(ok('phone', 'register', '--wallet', wallet))![1]!;
    ok('relay', 'issue', '--url', url, '--data', dir, '--user', kid, '--amount', '10000');
    ok('pile', 'plug', '--pile', at);
    const tap = ok('phone', 'tap', '--wallet', wallet, '--pile', at, '--mode', 'energy', '--energy-wh', '500');
    assert.match(tap, /^pile 50c1c1c1c1c1c1c1 "Depot 3" (available|preparing)\n  tariff v1: 35\/kWh \+ 0\/h \+ session fee 100 \(minor units\), config v1\n/);
    assert.match(tap, /uploaded: 1 accepted, 0 duplicate, 0 rejected/, 'the relay verified the contract with the key it registered');
    ok('pile', 'advance', '--pile', at, '--seconds', '300');
    assert.match(ok('phone', 'collect', '--wallet', wallet, '--pile', at), /uploaded: 1 accepted/);
    assert.match(ok('phone', 'balance', '--wallet', wallet), /energy cap \d+: settled, amount \d+, 5\d\d Wh, normal/);
  } finally {
    assert.is(await pile.stop(), 0);
  }
});

test('pile serve refuses a provisioning record made for another pile key: one line, exit 1, nothing provisioned', () => {
  const data = pileFolder('other-pile', generateKeyPair());
  const r = tapcharge('pile', 'serve', '--port', '0', '--data', data, '--provisioning', registered);
  assert.is(r.status, 1);
  assert.match(r.stderr, new RegExp(`^tapcharge: ${registered} was made for pile key ${bytesToHex(pileKey.publicKey)}, not this pile's [0-9a-f]{64}: register this pile's key \\(tapcharge relay register-pile --public-key\\) and use that record\n$`));
  assert.not.ok(existsSync(join(data, 'flash.bin')), 'the journal was not written');
});

test('a provisioning file that is not one is refused with one clear line (the reader behind pile serve --provisioning)', () => {
  const refusal = (path: string): string => {
    try {
      readProvisioningFile(path, pileKey);
      return 'accepted';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const { pilePublicKey: _, ...withoutKey } = JSON.parse(readFileSync(registered, 'utf8'));
  assert.is(refusal(file('old.json', JSON.stringify(withoutKey))), `${join(dir, 'old.json')}: "pilePublicKey" is required`);
  assert.is(refusal(file('cose.json', 'hKNEoQEn')), `cannot read provisioning file ${join(dir, 'cose.json')}: invalid JSON`);
  assert.is(refusal('/dev/zero'), '/dev/zero: more than 16384 bytes, no provisioning record');
  assert.is(refusal(join(dir, 'missing.json')), `cannot read provisioning file ${join(dir, 'missing.json')}: ENOENT`);
  assert.equal(readProvisioningFile(registered, pileKey).pilePublicKey, pileKey.publicKey);
});

test('relay provisioning: the record of a registered pile again, with its current PileUpdate; an unknown pile is refused', async () => {
  const caller = relay.caller;
  const changed = await caller.call('POST', '/v1/piles/50c1c1c1c1c1c1c1/config', { body: { tariff: { energyMinorPerKwh: 40, timeMinorPerHour: 0, sessionFeeMinor: 100 } }, signer: caller.operator });
  assert.is(changed.status, 200, changed.text);
  const file = join(dir, 'provisioning-again.json');
  const r = cli('provisioning', '--url', url, '--pile-id', '50c1c1c1c1c1c1c1', '--out', file);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^pile 50c1c1c1c1c1c1c1, config version 2 \(the current one\), billing from seq 3\n/);
  const record = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal([record.pileId, record.pilePublicKey, record.configVersion, record.pileUpdate], ['50c1c1c1c1c1c1c1', bytesToHex(pileKey.publicKey), 2, changed.json.pileUpdate]);
  // The session above left the relay the pile's contract (1) and receipt (2): a pile provisioned again numbers on from 3.
  assert.is(record.firstBillingSeq, 3);
  const unknown = cli('provisioning', '--url', url, '--pile-id', '00000000000000ff');
  assert.is(unknown.status, 1);
  assert.match(unknown.stderr, /^tapcharge: relay refused GET \/v1\/piles\/00000000000000ff\/provisioning: 404 unknown-pile: /);
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
  assert.is(await stopRelayProcess(relay), 0);
  assert.match(relay.stdout(), /relay stopped\n$/);
  const restart = spawnSync(process.execPath, [bin, 'ledger', 'balance', 'kid:0011223344556677', '--data', dir], { encoding: 'utf8' });
  assert.is(restart.status, 0, `the embedded ledger lock was released: ${restart.stderr}`);
});

test.after(() => {
  if (relay.process.exitCode === null) relay.process.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
test.run();

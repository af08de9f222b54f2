// Issue 12's Must-show, every part a separate process through its public entry point, over a real
// pseudo-terminal pair (socat): `tapcharge relay start`; `tapcharge pile serve --console` (a blank
// simulated pile with its service console on one end of the pair); `tapcharge provision --port`
// on the other end takes it from blank to charging-ready; a phone session on it then settles at
// the relay, whose registered key is the pile's own. Re-running provision changes nothing; the
// technician's reads work; and each refusal (missing port, busy port, nobody answering, relay
// down) is one clear line and a non-zero exit, the pile unchanged.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readKeyFile } from '../../tools/key-file.ts';
import { type SerialLink, openSerialLink } from '../../tools/console/serial-link.ts';
import { freePort } from '../support/free-port.ts';
import { type PtyPair, openPtyPair } from '../support/pty-pair.ts';
import { type RelayProcess, cliBin, killRelayProcess, startRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-provision-'));
const pileData = join(dir, 'pile');
const relayData = join(dir, 'relay');
const operatorKey = join(relayData, 'operator-key.json');
const flashFile = join(pileData, 'flash.bin');
const COMMAND_TIMEOUT_MS = 60_000;

type Served = { child: ChildProcess; port: number; output(): string; exited: Promise<void> };
type World = { relay: RelayProcess; cable: PtyPair; unplugged: PtyPair; pile: Served; pileId: string };
const provision = suite<World>('tapcharge provision over a pty pair', {} as World);

type Run = { status: number | null; stdout: string; stderr: string };

/** `tapcharge ARGS` as a child process (async: the served pile and the relay keep running meanwhile). */
function tapcharge(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cliBin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  return new Promise((resolve) => child.once('close', (status) => {
    clearTimeout(timer);
    resolve({ status, stdout, stderr });
  }));
}

async function ok(...args: string[]): Promise<string> {
  const r = await tapcharge(...args);
  assert.is(r.status, 0, `tapcharge ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function servePile(consoleTty: string): Promise<Served> {
  const child = spawn(process.execPath, [cliBin, 'pile', 'serve', '--data', pileData, '--port', '0', '--console', consoleTty], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pile serve did not start:\n${output}`)), COMMAND_TIMEOUT_MS);
    child.stdout!.on('data', () => {
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (!port) return;
      clearTimeout(timer);
      resolve({ child, port: Number(port), output: () => output, exited });
    });
    void exited.then(() => reject(new Error(`pile serve exited before listening:\n${output}`)));
  });
}

/** Waits (bounded) until the served pile has printed what `pattern` matches. */
async function printed(pile: Served, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 300 && !pattern.test(pile.output()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(pile.output(), pattern);
}

async function refusal(args: string[], message: RegExp): Promise<void> {
  const r = await tapcharge(...args);
  assert.is(r.status, 1, `tapcharge ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
}

provision.before(async (world) => {
  [world.relay, world.cable, world.unplugged] = await Promise.all([
    startRelayProcess(relayData),
    openPtyPair(join(dir, 'pile-tty'), join(dir, 'host-tty')),
    openPtyPair(join(dir, 'dangling-a'), join(dir, 'dangling-b')),
  ]);
  world.pile = await servePile(world.cable.a);
});

provision.after(async ({ pile, relay, cable, unplugged }) => {
  if (pile?.child.exitCode === null) {
    pile.child.kill('SIGTERM');
    await pile.exited;
  }
  if (relay) await killRelayProcess(relay);
  await cable?.close();
  await unplugged?.close();
  rmSync(dir, { recursive: true, force: true });
});

provision('a blank pile serves its console: fault screen "not provisioned", no key, no journal', async ({ pile }) => {
  assert.match(pile.output(), /pile \(not provisioned\) listening on 127\.0\.0\.1:\d+ .*console on .*pile-tty/);
  await printed(pile, /\|OUT OF SERVICE +\|\n\|not provisioned +\|/);
  assert.not.ok(existsSync(join(pileData, 'pile-key.json')));
  assert.not.ok(existsSync(flashFile));
});

provision('refusals: a missing port, a busy port, a port nobody answers on, a relay that is down — one line each, exit 1, the pile unchanged', async ({ relay, cable, unplugged }) => {
  const deadRelay = `http://127.0.0.1:${await freePort()}`;
  const common = ['--relay', relay.url, '--operator-key', operatorKey, '--label', 'Main St 1'];
  const holder: SerialLink = await openSerialLink(unplugged.a); // another program holding a port
  try {
    await Promise.all([
      refusal(['provision', '--port', join(dir, 'ttyNOSUCH'), ...common], /^tapcharge: no such port .*ttyNOSUCH: see `tapcharge ports`\n$/),
      refusal(['provision', '--port', unplugged.a, ...common], /^tapcharge: port .*dangling-a is in use by another program/),
      refusal(['provision', '--port', unplugged.b, ...common], /^tapcharge: the pile does not answer on .*dangling-b \(is it a tapcharge pile, and powered\?\)\n$/),
      refusal(['provision', '--port', cable.b, '--relay', deadRelay, '--operator-key', operatorKey, '--label', 'Main St 1'], /^tapcharge: relay http:\/\/127\.0\.0\.1:\d+ unreachable \(GET \/v1\/relay[^)]*ECONNREFUSED\)\n$/),
    ]);
  } finally {
    await holder.close();
  }
  assert.not.ok(existsSync(join(pileData, 'pile-key.json')), 'no key was made');
  assert.not.ok(existsSync(flashFile), 'nothing was written');
});

provision('usage mistakes are exit 2 before the port is opened; a missing operator key file is exit 1', async ({ cable, relay }) => {
  const usage = async (args: string[], message: RegExp): Promise<void> => {
    const r = await tapcharge(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  };
  await Promise.all([
    usage(['provision', '--relay', relay.url, '--label', 'x'], /^tapcharge: --port PORT is required/),
    usage(['provision', '--port', cable.b, '--label', 'x'], /^tapcharge: --relay URL is required/),
    usage(['provision', '--port', cable.b, '--relay', 'ftp://x', '--label', 'x'], /^tapcharge: --relay expected http\(s\):\/\/HOST:PORT, got "ftp:\/\/x"/),
    usage(['provision', '--port', cable.b, '--relay', relay.url], /^tapcharge: --label TEXT is required/),
    usage(['provision', '--port', cable.b, '--relay', relay.url, '--label', 'x', '--pile-id', 'XYZ'], /^tapcharge: --pile-id expected 16 lowercase hex digits, got "XYZ"/),
    usage(['provision', '--port', cable.b, '--relay', relay.url, '--label', 'x', '--energy-price', '-3'], /^tapcharge: --energy-price expected a value, got "-3"/),
    usage(['pile', 'clock', '--port', cable.b, '--set', 'tomorrow', '--relay', relay.url, '--operator-key', operatorKey], /^tapcharge: --set expected now or an ISO 8601 time with its zone/),
  ]);
  const r = await tapcharge('provision', '--port', cable.b, '--relay', relay.url, '--label', 'x', '--operator-key', join(dir, 'no-key.json'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /no-key\.json/);
  assert.not.ok(existsSync(join(pileData, 'pile-key.json')));
});

provision('tapcharge provision: blank to charging-ready; progress, a one-screen summary; the pile shows its idle screen', async (world) => {
  const out = await ok('provision', '--port', world.cable.b, '--relay', world.relay.url, '--operator-key', operatorKey, '--label', 'Main St 1', '--energy-price', '30', '--session-fee', '10');
  for (const step of ['identifying the pile', 'creating the pile\'s key', 'registering pile', 'getting a provisioning authorisation', 'writing the provisioning record', 'reading it back', 'running the self-test']) {
    assert.ok(out.includes(step), `progress "${step}" in:\n${out}`);
  }
  const pileKey = readKeyFile(join(pileData, 'pile-key.json'));
  world.pileId = /\npile ([0-9a-f]{16}) provisioned\n/.exec(out)![1]!;
  assert.is(world.pileId, Buffer.from(pileKey.kid).toString('hex'));
  assert.match(out, /\n {2}label {7}Main St 1\n/);
  assert.match(out, new RegExp(`\\n {2}key id {6}${world.pileId} \\(public key ${Buffer.from(pileKey.publicKey).toString('hex')}\\)\\n`));
  assert.match(out, /\n {2}tariff {6}v1: 30\/kWh \+ 0\/h \+ session fee 10 \(minor units\), max 7400 W\n {2}config {6}v1\n/);
  for (const part of ['contactor', 'pilot', 'meter', 'nfc', 'secure-element']) assert.match(out, new RegExp(`${part} +pass`));
  // the served pile rebooted into service
  await printed(world.pile, new RegExp(`the pile rebooted: pile ${world.pileId} available`));
  await printed(world.pile, new RegExp(`\\+-\\[ IDLE \\]-+\\+\\n\\|Pile ${world.pileId} +\\|\\n\\|Main St 1 +\\|`));
  // the relay registered exactly this key
  const entry = await world.relay.caller.call('GET', `/v1/piles/${world.pileId}`);
  assert.is((entry.json as { publicKey: string }).publicKey, Buffer.from(pileKey.publicKey).toString('hex'));
});

provision('provision again: "already provisioned", nothing changed (flash.bin byte for byte)', async ({ cable, relay, pileId }) => {
  const before = readFileSync(flashFile);
  const out = await ok('provision', '--port', cable.b, '--relay', relay.url, '--operator-key', operatorKey, '--label', 'Elsewhere 9');
  assert.match(out, new RegExp(`\\npile ${pileId} is already provisioned \\(relay key [0-9a-f]{16}, config v1\\); nothing changed\\n$`));
  assert.equal(readFileSync(flashFile), before);
});

provision('pile status, logs and selftest over the port', async ({ cable, pileId }) => {
  const status = JSON.parse(await ok('pile', 'status', '--port', cable.b, '--json')) as Record<string, unknown>;
  assert.is(status.pileId, pileId);
  assert.is(status.provisioning, 'provisioned');
  assert.is(status.state, 'available');
  assert.is(status.unacknowledged, 0);
  const logs = await ok('pile', 'logs', '--port', cable.b);
  assert.match(logs, /^#1 +\S+ +warning +boot: not provisioned\n/);
  assert.match(logs, /\n#\d+ +\S+ +info +boot: running, state available\n/);
  assert.match(await ok('pile', 'selftest', '--port', cable.b), /^contactor +pass +closed and opened with feedback\npilot +pass/);
});

provision('a phone session on the provisioned pile settles at the relay; factory reset is refused while its receipt is unacknowledged', async ({ relay, cable, pile, pileId }) => {
  const at = `127.0.0.1:${pile.port}`;
  await ok('phone', 'keygen', '--wallet', 'ada.json', '--name', 'Ada', '--relay', relay.url);
  const kid = /^registered ([0-9a-f]{16}) at /.exec(await ok('phone', 'register', '--wallet', 'ada.json'))![1]!;
  assert.ok([200, 202].includes((await relay.caller.topUp(kid, 10_000)).status));
  await ok('pile', 'plug', '--pile', at);
  const tap = await ok('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'energy', '--energy-wh', '500');
  assert.match(tap, new RegExp(`^pile ${pileId} "Main St 1" (available|preparing)\\n  tariff v1: 30/kWh \\+ 0/h \\+ session fee 10 \\(minor units\\), config v1\\n`));
  assert.match(tap, new RegExp(`\\ncontract ${pileId}#1: energy 0.500 kWh`));
  assert.match(await ok('pile', 'advance', '--pile', at, '--seconds', '300'), /finishing/);

  const reset = await tapcharge('pile', 'factory-reset', '--port', cable.b, '--relay', relay.url, '--operator-key', operatorKey);
  assert.is(reset.status, 1, reset.stdout + reset.stderr);
  assert.match(reset.stderr, /^tapcharge: the pile refused FactoryReset: refused \(factory reset: \d+ billing records are not acknowledged by the relay\)\n$/, reset.stderr);

  assert.match(await ok('phone', 'collect', '--wallet', 'ada.json', '--pile', at), /1 record\(s\) taken from the pile, ack delivered\n[^]*\nfield released\nuploaded: 1 accepted/);
  const view = await relay.caller.call('GET', `/v1/operator/piles/${pileId}`, { signer: relay.caller.operator });
  assert.is(view.status, 200, view.text);
  const sessions = (view.json as { recentSessions: { status: string; energyWh?: number }[] }).recentSessions;
  assert.is(sessions.length, 1);
  assert.is(sessions[0]!.status, 'settled');
  assert.ok(sessions[0]!.energyWh! > 0, `energy ${sessions[0]!.energyWh} Wh`);
});

provision('pile clock --set now: authorised by the relay for this console session', async ({ cable, relay }) => {
  assert.match(await ok('pile', 'clock', '--port', cable.b, '--set', 'now', '--relay', relay.url, '--operator-key', operatorKey), /^pile clock set to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(was \d{4}-/);
});

provision('factory reset once every record is acknowledged, then provisioned again: same key and pile id, billing numbered on past the relay\'s records', async ({ relay, cable, pile, pileId }) => {
  const at = `127.0.0.1:${pile.port}`;
  assert.match(await ok('phone', 'collect', '--wallet', 'ada.json', '--pile', at), /\nthe pile still holds 0 unacknowledged record\(s\)\n/);
  assert.match(await ok('pile', 'factory-reset', '--port', cable.b, '--relay', relay.url, '--operator-key', operatorKey), new RegExp(`^pile ${pileId} reset: it restarts blank`));
  await printed(pile, /\|not provisioned +\|/);
  const again = await ok('provision', '--port', cable.b, '--relay', relay.url, '--operator-key', operatorKey, '--label', 'Main St 1');
  assert.match(again, /already registered with this key: using its record/);
  const tap = await ok('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'energy', '--energy-wh', '500');
  assert.match(tap, new RegExp(`\\ncontract ${pileId}#3: energy 0.500 kWh`), 'contract and receipt 1 and 2 are the relay\'s already: the reset pile numbers on from 3');
  assert.match(tap, /uploaded: 1 accepted/);
});

provision.run();

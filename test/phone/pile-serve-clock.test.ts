// Issue 14's voucher traps, as the tester met them, through the real commands: `tapcharge pile
// serve` (its clock then moved 700 s ahead of the relay's with `pile advance`), the relay on the
// wall clock, and `tapcharge phone …` processes. START now succeeds; a voucher the pile refuses
// as too late is named on the phone and the pile's display and cancelled at the relay; a voucher
// held for a vehicle not yet plugged in stays reserved until `phone cancel` frees it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { type RunningRelay, startRelay } from '../../tools/relay/start-relay.ts';
import { type PileProcess, startPileProcess } from '../support/pile-serve-process.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-e2e-clock-'));

type World = { relay: RunningRelay | undefined; pile: PileProcess | undefined; at: string };
const e2e = suite<World>('a pile clock ahead of the relay, through pile serve and the phone CLI', { relay: undefined, pile: undefined, at: '' });

/** One `tapcharge` process (asynchronous: the relay answering it runs in this process). */
function tapcharge(...args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await tapcharge(...args);
  assert.is(r.status, 0, `tapcharge ${args.join(' ')} failed (${r.status}): ${r.out}`);
  return r.out;
}

async function reservedMinor(relay: RunningRelay): Promise<number> {
  const wallet = JSON.parse(readFileSync(join(dir, 'ada.json'), 'utf8')) as { secretKey: string };
  const ada = keyPairFromSecret(hexToBytes(wallet.secretKey));
  return (await new RelayClient({ baseUrl: relay.url }).user(ada)).reservedMinor;
}

e2e.before(async (world) => {
  const relayData = join(dir, 'relay');
  world.relay = await startRelay({ dataDir: relayData, port: 0, log: () => undefined });
  world.pile = await startPileProcess([
    '--data', join(dir, 'pile'), '--relay', world.relay.url, '--operator-key', join(relayData, 'operator-key.json'), '--label', 'Clock bay',
  ]);
  world.at = `127.0.0.1:${world.pile.port}`;
  await ok('phone', 'keygen', '--wallet', 'ada.json', '--name', 'Ada', '--relay', world.relay.url);
  await ok('phone', 'register', '--wallet', 'ada.json');
  const kid = /user ([0-9a-f]{16})/.exec(await ok('phone', 'show', '--wallet', 'ada.json'))![1]!;
  await ok('relay', 'issue', '--user', kid, '--amount', '10000', '--data', relayData, '--url', world.relay.url);
});

e2e.after(async (world) => {
  await world.pile?.stop();
  await world.relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

e2e('pile advance --seconds 700, then tap 1 + voucher + tap 2: the contract starts (it was 6984 before)', async ({ pile, at }) => {
  await ok('pile', 'plug', '--pile', at);
  await ok('pile', 'advance', '--pile', at, '--seconds', '700');
  const tap = await ok('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'energy', '--energy-wh', '500');
  assert.match(tap, new RegExp(`\\ncontract ${pile!.pileId}#1: energy 0.500 kWh, cap \\d+, started `));
  assert.match(await ok('pile', 'status', '--pile', at), /\| (Charging|Waiting for vehicle)/);
  await ok('pile', 'unplug', '--pile', at); // an abnormal end: the receipt waits in the pile for the next tap
  await ok('pile', 'advance', '--pile', at, '--seconds', '2');
  await ok('phone', 'collect', '--wallet', 'ada.json', '--pile', at);
});

e2e('a voucher held while no vehicle is plugged in stays reserved; phone cancel frees its cap at once', async ({ relay, at }) => {
  const refused = await tapcharge('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'amount', '--amount-minor', '700');
  assert.is(refused.status, 1, refused.out);
  assert.match(refused.out, /START refused by the pile: 6985 No vehicle: plug in, tap again\n/);
  assert.match(await ok('pile', 'status', '--pile', at), /\| Charging not started\n {2}\| No vehicle\n {2}\| Plug in, tap again/);
  assert.is(await reservedMinor(relay!), 700, 'kept: it starts once a vehicle is plugged in');
  assert.match(await ok('phone', 'cancel', '--wallet', 'ada.json'), /^voucher [0-9a-f]{16} cancelled: 700 \(minor units\) no longer reserved\n$/);
  assert.is(await reservedMinor(relay!), 0);
  const none = await tapcharge('phone', 'cancel', '--wallet', 'ada.json');
  assert.equal([none.status, none.out], [1, 'tapcharge: no voucher to cancel\n']);
});

e2e('tap 2 after the pile clock ran 1000 s past tap 1: "Too late: tap again" on the phone and the display, the voucher cancelled', async ({ relay, at }) => {
  const refused = await tapcharge('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'amount', '--amount-minor', '600');
  assert.match(refused.out, /6985 No vehicle/);
  assert.is(await reservedMinor(relay!), 600);
  await ok('pile', 'advance', '--pile', at, '--seconds', '1000');
  await ok('pile', 'plug', '--pile', at);
  const late = await tapcharge('phone', 'start', '--wallet', 'ada.json', '--pile', at);
  assert.is(late.status, 1, late.out);
  assert.match(late.out, /START refused by the pile: 9A01 Too late: tap again \(the voucher is cancelled: the next sync frees its cap\)\n/);
  assert.match(late.out, /^field released\nuploaded: 0 accepted, 0 duplicate, 0 rejected\n  voucher [0-9a-f]{16} cancelled: 600 \(minor units\) no longer reserved\n/, 'the sync after the tap, the field released');
  assert.match(await ok('pile', 'status', '--pile', at), /\| Charging not started\n {2}\| Too late\n {2}\| Tap again/);
  assert.is(await reservedMinor(relay!), 0, 'freed at once');
  const again = await ok('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'amount', '--amount-minor', '600');
  assert.match(again, /\ncontract [0-9a-f]{16}#3: amount 6\.00, cap 600, started /, 'tap again: it starts');
});

e2e.run();

// `tapcharge phone charge` (networked mode, R9) through the real CLI: a relay (`tapcharge relay
// start`), a pile it registers served with --uplink to the relay's OCPP endpoint, a vehicle
// plugged in (`tapcharge pile plug`), a wallet made and registered with `tapcharge phone`, topped
// up by the operator. `phone charge --pile-id` opens the channel, starts, and stops after
// --stop-after-s: the receipt settles, the wallet holds no running contract; a pile that is not
// connected is refused with the relay's reason, and bad arguments before anything is asked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { readWalletFile } from '../../tools/phone/wallet-file.ts';
import { runCli } from '../support/cli-process.ts';
import { type PileProcess, startPileProcess } from '../support/pile-serve-process.ts';
import { startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';
import { until } from '../support/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-phone-charge-'));
const relayData = join(dir, 'relay');
const wallet = join(dir, 'wallet.json');

const relay = await startRelayProcess(relayData);
const { url, ocppUrl, operatorKeyFile } = relay;
const operatorKey = relay.caller.operator;
const operator = new RelayClient({ baseUrl: url });

let pile: PileProcess | undefined;
const phone = (...args: string[]) => runCli(['phone', ...args, '--wallet', wallet]);

test('setup: a pile on the uplink with a vehicle, a registered and funded wallet', async () => {
  pile = await startPileProcess(['--data', join(dir, 'pile'), '--speed', '10', '--uplink', ocppUrl, '--relay', url, '--operator-key', operatorKeyFile, '--label', 'Bay 3']);
  await until(async () => (await operator.operatorUplinks(operatorKey)).uplinks.some((u) => u.pileId === pile!.pileId), 'the pile proven', 15_000, 100);
  assert.is((await runCli(['pile', 'plug', '--pile', `127.0.0.1:${pile.port}`])).status, 0);
  assert.is((await phone('keygen', '--name', 'Ada', '--relay', url)).status, 0);
  assert.is((await phone('register')).status, 0);
  const kid = /^user ([0-9a-f]{16})/.exec((await phone('show')).stdout)![1]!;
  await operator.issue(operatorKey, hexToBytes(kid), 5000);
});

test('phone charge: the channel opens, the session starts and is stopped through the relay; the receipt settles', async () => {
  const run = await phone('charge', '--pile-id', pile!.pileId, '--mode', 'amount', '--amount-minor', '300', '--stop-after-s', '1');
  assert.is(run.status, 0, run.stdout + run.stderr);
  const lines = run.stdout.split('\n');
  assert.match(lines[0]!, `pile ${pile!.pileId} "Bay 3" preparing`);
  assert.ok(lines.some((l) => /^channel [0-9a-f]{32} through http:\/\/127\.0\.0\.1:\d+$/.test(l)), run.stdout);
  assert.ok(lines.some((l) => l.startsWith(`contract ${pile!.pileId}#`) && l.includes('cap ')), run.stdout);
  assert.ok(lines.includes('stopping: the relay asks the pile'), run.stdout);
  assert.ok(lines.some((l) => /^receipt seq \d+ for contract \d+: user, /.test(l)), run.stdout);
  assert.ok(lines.some((l) => /^ended: user, \d+ Wh, \d+ s, amount \d+ \(settled\)$/.test(l)), run.stdout);
  assert.is(readWalletFile(wallet).active, null);
  const balance = await phone('balance');
  assert.match(balance.stdout, /escrow 0,/);
  assert.match(balance.stdout, / amount cap 300: settled, amount \d+/);
});

test('phone charge refusals: a pile id that is not one, no MODE (exit 2, nothing asked); a pile not connected (the relay\'s reason)', async () => {
  const badId = await phone('charge', '--pile-id', 'nothex', '--mode', 'full');
  assert.equal([badId.status, badId.stderr], [2, 'tapcharge: --pile-id expected the pile\'s id (16 hex digits, as its display code shows it), got "nothex"\n']);
  const noMode = await phone('charge', '--pile-id', pile!.pileId);
  assert.is(noMode.status, 2);
  assert.match(noMode.stderr, 'MODE is required');
  const offline = await phone('charge', '--pile-id', '50a1e0000000beef', '--mode', 'full');
  assert.is(offline.status, 1);
  assert.match(offline.stderr, /404 unknown-pile/);
});

test.after(async () => {
  await pile?.stop();
  await stopRelayProcess(relay);
  rmSync(dir, { recursive: true, force: true });
});
test.run();

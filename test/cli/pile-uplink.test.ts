// `tapcharge pile serve --uplink` and `tapcharge operator uplinks`, all through the real CLI: a
// relay (`tapcharge relay start`), a pile it registers and provisions served with --uplink to the
// relay's OCPP endpoint; the pile proves its identity and is listed with its connector states;
// a vehicle plugged in (`tapcharge pile plug`) turns connector 1 Preparing; the pile stopped, its
// row goes. The pile's clock runs ×10 so the relay's 10 s Pending interval (the first
// BootNotification, answered before the proof) passes in one wall-clock second.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type PileProcess, startPileProcess } from '../support/pile-serve-process.ts';
import { runCli } from '../support/cli-process.ts';
import { startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';
import { until } from '../support/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-pile-uplink-'));

const run = runCli;

const relayData = join(dir, 'relay');
const relay = await startRelayProcess(relayData);
const { url, ocppUrl, operatorKeyFile: operatorKey, caller: t } = relay;

type Uplink = { pileId: string; connectors: { connectorId: number; status: string; errorCode: string }[] };
const uplinks = async (): Promise<Uplink[]> => (await t.call('GET', '/v1/operator/uplinks', { signer: t.operator })).json.uplinks;
const connectorStates = async (pileId: string) => (await uplinks()).find((u) => u.pileId === pileId)?.connectors.map((c) => `${c.connectorId} ${c.status}`).join(', ');
const operator = (...args: string[]) => run(['operator', ...args, '--url', url, '--data', relayData]);

let pile: PileProcess | undefined;

test('the relay printed its endpoints', () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(ocppUrl, /^ws:\/\/127\.0\.0\.1:\d+\/ocpp\/$/);
  assert.match(relay.relayKeyHex, /^[0-9a-f]{64}$/);
});

test('no pile connected: operator uplinks says so; --json is the relay\'s answer', async () => {
  const text = await operator('uplinks');
  assert.equal([text.status, text.stdout, text.stderr], [0, 'no pile connected over OCPP\n', '']);
  const json = await operator('uplinks', '--json');
  assert.is(json.status, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).uplinks, []);
});

test('pile serve --uplink refuses a URL that is not ws(s):// or names a pile id, before serving', async () => {
  for (const [uplink, message] of [
    ['http://127.0.0.1:1/ocpp/', /^tapcharge: --uplink expected ws:\/\/HOST:PORT\/ocpp\/ \(or wss:\/\/\), got "http:\/\/127\.0\.0\.1:1\/ocpp\/"\n$/],
    [`${ocppUrl}0123456789abcdef`, /^tapcharge: --uplink expected the endpoint without a pile id \(the pile adds its own\)/],
  ] as const) {
    const r = await run(['pile', 'serve', '--data', join(dir, 'never'), '--port', '0', '--uplink', uplink, '--relay', url, '--operator-key', operatorKey]);
    assert.is(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
  }
});

test('a served pile with --uplink is listed proven, with its connector states; plugging in makes connector 1 Preparing', async () => {
  pile = await startPileProcess(['--data', join(dir, 'pile'), '--speed', '10', '--uplink', ocppUrl, '--relay', url, '--operator-key', operatorKey]);
  assert.match(pile.output(), `OCPP uplink to ${ocppUrl}`);
  const id = pile.pileId;
  await until(async () => (await connectorStates(id)) === '0 Available, 1 Available', 'the pile proven, both connectors Available', 15_000, 100);
  const table = await operator('uplinks');
  assert.is(table.status, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^PILE +CONNECTED +PROVEN +LAST SEEN +CLOCK OFFSET +CONNECTOR STATES$/);
  assert.match(lines[1]!, new RegExp(`^${id}  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  \\d{4}-.+Z  \\d{4}-.+Z +[+-]\\d+ s +0 Available, 1 Available$`));
  const json = JSON.parse((await operator('uplinks', '--json')).stdout);
  assert.equal(json.uplinks.map((u: Uplink) => [u.pileId, u.connectors.map((c) => [c.connectorId, c.status, c.errorCode])]), [[id, [[0, 'Available', 'NoError'], [1, 'Available', 'NoError']]]]);

  const plugged = await run(['pile', 'plug', '--pile', `127.0.0.1:${pile.port}`]);
  assert.is(plugged.status, 0, plugged.stderr);
  await until(async () => (await connectorStates(id)) === '0 Available, 1 Preparing', 'connector 1 Preparing', 15_000, 100);
  assert.match((await operator('uplinks')).stdout, new RegExp(`\\n${id} .* 0 Available, 1 Preparing\\n`));
});

test('the pile stopped: its row goes', async () => {
  assert.is(await pile!.stop(), 0);
  await until(async () => (await uplinks()).length === 0, 'the uplink gone', 15_000, 100);
  assert.is((await operator('uplinks')).stdout, 'no pile connected over OCPP\n');
});

test.after(async () => {
  await pile?.stop();
  await stopRelayProcess(relay);
  rmSync(dir, { recursive: true, force: true });
});
test.run();

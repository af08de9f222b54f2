// A networked pile in the simulated system (tools/system-day/sim-system.ts): the real relay, the
// firmware's OCPP client over a real WebSocket to the relay's endpoint, the pile on virtual time.
// It proves its identity and shows in GET /v1/operator/uplinks beside an offline pile that does
// not; a simulated outage takes it off the list, restoring the link brings it back by the pile's
// own reconnect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimSystem, defaultTariff } from '../../tools/system-day/sim-system.ts';
import { until } from '../support/until.ts';

const system = new SimSystem({ seed: 7, startMs: Date.UTC(2026, 5, 1, 8) });
await system.start();
const offline = await system.addPile('Offline', defaultTariff);
const networked = await system.addPile('Networked', defaultTariff, 7400, { networked: true });

const listed = async () => (await system.operatorClient.operatorUplinks(system.relay.operatorKey)).uplinks.map((u) => `${u.pileId}: ${u.connectors.map((c) => `${c.connectorId} ${c.status}`).join(', ')}`);

test('only the networked pile has an uplink; proven at once, it reports no connector before its Pending interval passes', async () => {
  assert.ok(networked.uplink && networked.sim.hal.uplink);
  assert.is(offline.uplink, undefined);
  assert.is(offline.sim.hal.uplink, undefined);
  assert.equal(await listed(), [`${networked.pileIdHex}: `], 'BootNotification answered Pending before the proof; the next one 10 s later');
  assert.equal(networked.uplink.traffic.calls, ['BootNotification']);
});

test('time moved with the uplinks settled: Accepted after the Pending interval, both connectors reported, listed', async () => {
  await system.advanceSettled(12_000);
  assert.equal(await listed(), [`${networked.pileIdHex}: 0 Available, 1 Available`]);
  assert.equal(networked.uplink!.traffic.calls, ['BootNotification', 'BootNotification', 'StatusNotification', 'StatusNotification']);
  const row = (await system.operatorClient.operatorUplinks(system.relay.operatorKey)).uplinks[0]!;
  assert.is(row.pileClockOffsetS, 0, 'the pile and the relay share the business clock');
});

test('a vehicle plugged in: connector 1 Preparing at the relay', async () => {
  system.plug(networked);
  await system.settleUplinks();
  assert.equal(await listed(), [`${networked.pileIdHex}: 0 Available, 1 Preparing`]);
});

test('an outage: the relay drops the pile; time passes; restored, the pile reconnects by itself and reports again', async () => {
  const { outage, traffic } = networked.uplink!;
  outage.cut();
  await until(async () => (await listed()).length === 0, 'the relay to drop the pile', 2000);
  const before = traffic.calls.length;
  await system.advanceSettled(5 * 60_000);
  assert.is(traffic.calls.length, before, 'nothing reaches the relay while the link is down');
  assert.ok(traffic.quiet);
  outage.restore();
  await system.advanceSettled(61_000); // the reconnect back-off is at most 60 s
  assert.equal(await listed(), [`${networked.pileIdHex}: 0 Available, 1 Preparing`]);
  assert.equal(traffic.calls.slice(before), ['StatusNotification', 'StatusNotification'], 'once proven on the new connection: its connector states');
  assert.is(outage.cuts, 1);
});

test('the offline pile ran beside it untouched', () => {
  assert.is(offline.handle.services!.state(), 'available');
});

test('a Heartbeat cut after it reached the relay: the link stays down until restored, then the pile is back', async () => {
  const { outage } = networked.uplink!;
  outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'after-send' });
  await system.advanceSettled(300_000); // the relay's HeartbeatInterval: one Heartbeat, its reply never reaches the pile
  assert.not.ok(outage.up);
  assert.is(outage.cuts, 2);
  outage.restore();
  await system.advanceSettled(61_000);
  assert.equal(await listed(), [`${networked.pileIdHex}: 0 Available, 1 Preparing`]);
});

test.after(async () => {
  await system.close();
});
test.run();

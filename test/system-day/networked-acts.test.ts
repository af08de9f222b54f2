// The R9 acts of a scripted day (tools/system-day/networked-acts.ts) on a small scene: one
// networked pile beside an offline one at the real relay. A session started on the phone after
// scanning the display code, watched live, through an uplink cut (SIMULATED outage) that lasts
// past its end, delivered over the uplink after the restore; then a session after one tap, stopped
// on the phone. Each act marks its flow with evidence and the relay's audit verifies both
// sessions from the data folder. Acts that cannot happen as the script says stop it with a
// DayError naming why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withRelayData } from '../../tools/relay/audit/open-relay-data.ts';
import { DayError } from '../../tools/system-day/errors.ts';
import { FlowBook } from '../../tools/system-day/flows.ts';
import { cutUplink, deliveredAfterOutage, liveStatus, openChannelByCode, openChannelByTap, restoreUplink, startOnPhone, stopOnPhone } from '../../tools/system-day/networked-acts.ts';
import { Scene, car } from '../../tools/system-day/scene.ts';
import { auditSessions } from '../../tools/system-day/session-audit.ts';
import { SimSystem } from '../../tools/system-day/sim-system.ts';

const R9_FLOWS = ['channel-open', 'networked-start', 'live-status', 'networked-pile-end', 'networked-user-stop', 'outage-records-delivered'] as const;
const dataDir = mkdtempSync(join(tmpdir(), 'tapcharge-networked-acts-'));
const system = new SimSystem({ dataDir, seed: 5, startMs: new Date(2026, 5, 1, 7, 0).getTime() });
const lines: string[] = [];
const flows = new FlowBook(R9_FLOWS);
const scene = new Scene(system, flows, { event: async (line) => void lines.push(line), timePassed: async () => undefined });
await system.start();
const garage = await system.addPile('Garage', { energyMinorPerKwh: 35, timeMinorPerHour: 0, sessionFeeMinor: 20 }, 7400, { networked: true });
const street = await system.addPile('Street', { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 });
const fay = await scene.addDriver('Fay', 3000);
let closed = false;

async function dayError(act: () => Promise<unknown>): Promise<DayError> {
  try {
    await act();
  } catch (error) {
    assert.instance(error, DayError);
    assert.is((error as DayError).code, 'script');
    return error as DayError;
  }
  throw new Error('the act went through');
}

test('an offline pile has no channel to open: the script stops naming it', async () => {
  const error = await dayError(() => openChannelByCode(scene, fay, street));
  assert.match(error.message, 'Street is not networked');
});

test('a session through an outage: started on the phone, live, cut, ended at the pile, delivered after the restore, settled once', async () => {
  await scene.at('07:01'); // past the relay's Pending interval
  const channel = await openChannelByCode(scene, fay, garage);
  await scene.plug(fay, garage, car(60, 30));
  const contract = await startOnPhone(scene, fay, garage, channel, { mode: 'energy', energyWh: 1000 });
  await scene.at('07:03');
  await liveStatus(scene, fay, garage, channel, contract);
  const cut = await cutUplink(scene, fay, garage, channel);
  await scene.at('07:20'); // 1 kWh at 7.4 kW: ended at the pile by ~07:10, its receipt held
  scene.expectState(garage, 'finishing');
  assert.is(garage.handle.services!.outbox(0, 8).records.length, 1, 'the receipt waits in the pile');
  assert.is((await scene.contractOf(fay, garage, contract.seq)).status, 'provisional', 'the relay has not heard of the end');
  await restoreUplink(scene, cut);
  await scene.at('07:25');
  await deliveredAfterOutage(scene, fay, channel, cut, contract);
  assert.is(garage.handle.services!.outbox(0, 8).records.length, 0, 'acknowledged over the uplink');
  await scene.unplug(fay, garage);
  assert.ok(lines.some((l) => /Garage {5}uplink cut \(SIMULATED outage/.test(l)), lines.join('\n'));
  assert.match(flows.evidence('outage-records-delivered')[0]!, /^Garage uplink down 07:03–07:20 while Fay charged; receipt #2 accepted over the uplink at 07:2\d, \d+\.\d\d settled once$/);
  assert.match(flows.evidence('networked-pile-end')[0]!, /^Fay at Garage #1: normal end at the pile, receipt over its uplink at 07:2\d/);
});

test('the display shows no pile code while a session runs: scanning it stops the script', async () => {
  await scene.plug(fay, garage, car(60, 50));
  const channel = await openChannelByTap(scene, fay, garage);
  const contract = await startOnPhone(scene, fay, garage, channel, { mode: 'amount', amountMinor: 500 });
  const error = await dayError(() => openChannelByCode(scene, fay, garage));
  assert.match(error.message, 'Garage shows no pile code');
  await scene.at('07:40');
  await liveStatus(scene, fay, garage, channel, contract);
  await stopOnPhone(scene, fay, garage, channel, contract);
  assert.match(flows.evidence('networked-user-stop')[0]!, /^Fay at Garage #3: stopped on the phone, receipt #4 from the pile, \d+\.\d\d settled at once$/);
  assert.equal(flows.evidence('channel-open').map((e) => e.replace(/:.*/, '')), ['Fay scans the code on the display of Garage', 'Fay taps once for the pile id of Garage']);
  assert.is(flows.evidence('live-status').length, 2);
  assert.equal(flows.missing, []);
});

test('the relay\'s audit verifies both networked sessions from the data folder', async () => {
  await system.close();
  closed = true;
  await withRelayData(dataDir, async ({ db, ledger, anchors }) => {
    const audit = await auditSessions(db, ledger, { anchors });
    assert.equal(audit.problems, []);
    assert.ok(audit.ok);
    assert.is(audit.recordsVerified, 4, '2 contracts + 2 receipts');
    assert.is(audit.settledVerified, 2);
    assert.equal(audit.sessions.map((s) => [s.contractSeq, s.receipt?.endReason, s.status]), [[1, 'normal', 'settled'], [3, 'user', 'settled']]);
  });
});

test.after(async () => {
  if (!closed) await system.close();
  rmSync(dataDir, { recursive: true, force: true });
});
test.run();

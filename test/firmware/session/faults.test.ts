// Device faults during a session end it abnormal with the right detail, billed to the last good
// reading, and a contactor fault puts the pile out of service (pilot −12 V, START refused).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type KeyStore, PILOT_CONSTANT_MINUS_12V, type Meter } from '../../../hal/types.ts';
import { EndDetail } from '../../../contracts-offline/messages/receipt.ts';
import { sessionCostMinor } from '../../../contracts-offline/tariff-cost.ts';
import { heldReceipt, plugEv, provisionedRig, startSession, tariff, voucher, genuine } from '../../support/pile-rig.ts';

test('contactor weld: found when the pile opens it, session ends abnormal/contactorFault, pile out of service', () => {
  const { sim, pile, boot, handle } = provisionedRig();
  const ev = plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(60_000);
  sim.contactor.weld();
  ev.setWantsCharge(false); // the vehicle pauses: the pile opens the contactor, which stays closed
  sim.clock.advance(1000);
  assert.ok(pile.session, 'commanded open on this tick; the feedback is judged once settled');
  sim.clock.advance(1000);
  assert.is(pile.session, undefined);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.contactorFault);
  assert.is(pile.state(), 'faulted');
  assert.is(sim.pilot.dutyPerMille, PILOT_CONSTANT_MINUS_12V, 'state F: the vehicle must not draw');
  assert.is(sim.display.status, 'fault');
  assert.ok(sim.display.text().includes('welded'), sim.display.text());
  const refused = pile.startSession(voucher({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(refused.ok ? 'ok' : refused.code, 'conditions');
  handle.shutdown();
  const rebooted = boot();
  sim.clock.advance(1000);
  assert.is(rebooted.state(), 'faulted', 'a welded contactor is found again at boot');
  assert.is(sim.pilot.dutyPerMille, PILOT_CONSTANT_MINUS_12V);
});

test('contactor weld found after a normal end: the receipt stands, the pile goes out of service', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(30_000);
  sim.contactor.weld();
  const stopped = pile.stopSession(1, 'user', genuine);
  assert.ok(stopped.ok);
  sim.clock.advance(1000);
  assert.is(heldReceipt(pile, 1).endDetail, EndDetail.userStop);
  assert.is(pile.state(), 'faulted');
  assert.is(sim.pilot.dutyPerMille, PILOT_CONSTANT_MINUS_12V);
  const before = sim.circuit.meter.sample().energyWh;
  sim.clock.advance(60_000);
  assert.is(sim.circuit.meter.sample().energyWh, before, 'with −12 V on the pilot the vehicle stops drawing through the weld');
});

test('contactor feedback lost while charging: abnormal/contactorFault, coil released', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'time', durationS: 3600 }, 2000);
  sim.clock.advance(45_000);
  sim.contactor.loseFeedback();
  sim.clock.advance(1000);
  assert.is(pile.session, undefined);
  assert.is(heldReceipt(pile, 1).endDetail, EndDetail.contactorFault);
  assert.not.ok(sim.contactor.commandedClosed);
  assert.not.ok(sim.contactor.conducting);
  assert.is(pile.state(), 'faulted');
  assert.ok(sim.display.text().includes('feedback'), sim.display.text());
});

test('pilot fault (CP shorted, state E): abnormal/pilotFault within one period', () => {
  const { sim, pile } = provisionedRig();
  const ev = plugEv(sim);
  startSession(pile, { mode: 'full' }, 3000);
  sim.clock.advance(90_000);
  ev.shortPilot();
  const meterWh = sim.circuit.meter.sample().energyWh;
  sim.clock.advance(1000);
  assert.is(pile.session, undefined);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.pilotFault);
  assert.ok(receipt.endMeterWh - meterWh <= 3, 'at most one period of energy after the short');
  assert.not.ok(sim.contactor.commandedClosed);
  assert.is(pile.state(), 'faulted', 'while the short lasts');
  ev.shortPilot(false);
  sim.clock.advance(1000);
  assert.is(pile.state(), 'finishing', 'a pilot fault is not latched');
});

test('meter fault: abnormal/meterFault billed to the last good reading', () => {
  const { sim, handle, boot } = provisionedRig();
  handle.shutdown();
  const realMeter = sim.hal.meter;
  let broken = false;
  const meter: Meter = { sample: () => { if (broken) throw new Error('meter: SPI timeout'); return realMeter.sample(); }, readSerialNumber: () => realMeter.readSerialNumber() };
  sim.hal.meter = meter;
  const pile = boot();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(100_000);
  const lastGoodWh = realMeter.sample().energyWh;
  broken = true;
  sim.clock.advance(1000);
  assert.is(pile.session, undefined);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.meterFault);
  assert.is(receipt.endMeterWh, lastGoodWh);
  assert.is(receipt.energyWh, lastGoodWh - 1_000_000);
  assert.is(receipt.amountMinor, sessionCostMinor(tariff, receipt.energyWh, receipt.durationS));
  assert.not.ok(sim.contactor.conducting);
  const refused = pile.startSession(voucher({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(refused.ok ? 'ok' : refused.code, 'device', 'no contract without a meter reading');
});

/** `keyStore` as a secure element off the bus while `failing()`: signing throws (`signWhile` still runs its work, as promised). */
function failingWhile(keyStore: KeyStore, failing: () => boolean): KeyStore {
  const sign = (message: Uint8Array): Uint8Array => {
    if (failing()) throw new Error('SE050: no answer on I2C');
    return keyStore.sign(message);
  };
  return {
    publicKey: keyStore.publicKey, hasKey: () => true, createKey: () => keyStore.createKey(), sign,
    signWhile(message, work) {
      work();
      return sign(message);
    },
  };
}

test('key store failure at the end of a session: nothing half-done is handed out, the pile keeps trying, and the STOP retry gets the receipt once it signs', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(70_000);
  const keyStore = sim.hal.keyStore;
  let failing = true;
  sim.hal.keyStore = failingWhile(keyStore, () => failing);
  const flashOps = sim.flash.operationCount;
  const stopped = pile.stopSession(1, 'user', genuine);
  assert.equal(stopped.ok ? 'ok' : stopped.code, 'device');
  assert.is(sim.flash.operationCount, flashOps, 'no receipt journaled without its signature');
  assert.is(pile.session, undefined, 'the session ended');
  assert.not.ok(sim.contactor.commandedClosed);
  assert.is.not(pile.state(), 'faulted', 'a key store that fails once does not take the pile out of service');
  sim.clock.advance(1000);
  assert.ok(sim.display.text().includes('Signing the receipt'), sim.display.text());
  const refused = pile.startSession(voucher({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(refused.ok ? 'ok' : refused.code, 'conditions', 'no session starts before the last one has its receipt');
  const again = pile.stopSession(1, 'user', genuine);
  assert.equal(again.ok ? 'ok' : again.code, 'device', 'still failing');
  failing = false; // the secure element answers again
  const retried = pile.stopSession(1, 'user', genuine);
  assert.ok(retried.ok, 'the STOP retry gets the receipt');
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.seq, 2);
  assert.is(receipt.endDetail, EndDetail.userStop, 'still the user\'s stop, not a power loss');
  assert.is(receipt.durationS, 70);
  assert.ok(retried.ok && retried.value.every((b, i) => b === pile.outbox(1, 10).records[0]!.bytes[i]));
  assert.ok(pile.startSession(voucher({ mode: 'full' }, 1000), undefined, genuine).ok, 'and the next session starts');
});

test('key store failure when a session ends on its own: the next tick after the key store is back journals the receipt', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'time', durationS: 30 }, 2000);
  const keyStore = sim.hal.keyStore;
  let failing = true;
  sim.hal.keyStore = failingWhile(keyStore, () => failing);
  sim.clock.advance(35_000);
  assert.is(pile.session, undefined);
  assert.is(pile.outbox(0, 10).records.length, 1, 'the time limit ended it; the receipt waits for its signature');
  failing = false;
  sim.clock.advance(1000);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.is(receipt.durationS, 30);
});

test('key store failure at the end of a session: the next tick signs it when the key store is back; a power loss meanwhile leaves it to the next boot', () => {
  const { sim, pile, handle, boot } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(70_000);
  const keyStore = sim.hal.keyStore;
  sim.hal.keyStore = failingWhile(keyStore, () => true);
  assert.equal(pile.stopSession(1, 'user', genuine).ok, false);
  sim.clock.advance(3000);
  assert.is(pile.outbox(0, 10).records.length, 1, 'only the contract, still open');
  handle.shutdown(); // the power goes before the key store is back
  sim.hal.keyStore = keyStore; // serviced
  const rebooted = boot();
  assert.is(heldReceipt(rebooted, 1).endDetail, EndDetail.powerLoss);
  assert.is(heldReceipt(rebooted, 1).durationS, 60, 'billed to the last checkpoint');
});

test.run();

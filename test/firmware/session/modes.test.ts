// Each charging mode ending normally (R5, R7, R8), user stop (R6), plug pulled from capped and
// open sessions, on the simulated board, driving PileServices directly. Receipts are checked
// against the simulated meter's register (the exact metered energy), the one cost rule and the cap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EndDetail, type Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { sessionCostMinor } from '../../../contracts-offline/tariff-cost.ts';
import {
  heldReceipt, openPileSigned, outboxMessages, pileId, plugEv, provisionedRig, runUntil, startSession, tariff, userKid, voucher as voucherFor, genuine,
} from '../../support/pile-rig.ts';

function expectBilled(receipt: Receipt, capMinor: number): void {
  const cost = sessionCostMinor(tariff, receipt.energyWh, receipt.durationS);
  assert.is(receipt.amountMinor, Math.min(cost, capMinor), 'amount = min(cost by the half-up rule, cap)');
}

test('energy mode: ends at the limit with the exact metered energy', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  const contract = openPileSigned(startSession(pile, { mode: 'energy', energyWh: 5000 }, 1000), 'Contract');
  assert.equal(contract.pileId, pileId);
  assert.equal(contract.userKid, userKid);
  assert.is(contract.seq, 1);
  assert.is(contract.startMeterWh, 1_000_000);
  assert.is(pile.state(), 'charging');
  assert.ok(sim.contactor.conducting);
  runUntil(sim, () => pile.session === undefined, 3 * 3_600_000);
  const receipt = heldReceipt(pile, 1);
  const meterWh = sim.circuit.meter.sample().energyWh;
  assert.is(receipt.seq, 2);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.is(receipt.endMeterWh, meterWh, 'the contactor opened with the final reading: nothing flowed after it');
  assert.is(receipt.energyWh, meterWh - 1_000_000);
  // 32 A × 230 V = 7360 W; 5000 Wh are reached during second 2446 (5000.7 Wh): the tick at 2446 s stops it.
  assert.is(receipt.durationS, 2446);
  assert.is(receipt.energyWh, 5000);
  // 50 + 5000 × 35 / 1000 + 2446 × 60 / 3600 = 265.77 → 266
  assert.is(receipt.amountMinor, 266);
  expectBilled(receipt, 1000);
  assert.not.ok(sim.contactor.conducting);
  assert.is(pile.state(), 'finishing');
  assert.ok(sim.display.text().includes('Receipt 2'), sim.display.text());
  sim.circuit.unplug();
  sim.clock.advance(1000);
  assert.is(pile.state(), 'available');
});

test('time mode: ends when the agreed duration has elapsed, to the second', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'time', durationS: 600 }, 500);
  runUntil(sim, () => pile.session === undefined, 700_000);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.is(receipt.durationS, 600);
  assert.is(receipt.energyWh, 1226, '7360 W × 600 s = 1226.7 Wh, the register shows whole Wh');
  assert.is(receipt.amountMinor, 103, '50 + 42.91 + 10 = 102.91 → 103');
  expectBilled(receipt, 500);
});

test('amount mode: stops once the cost reaches the amount, billed at most the cap', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'amount', amountMinor: 200 }, 200);
  runUntil(sim, () => pile.session === undefined, 3 * 3_600_000);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.is(receipt.amountMinor, 200);
  const cost = sessionCostMinor(tariff, receipt.energyWh, receipt.durationS);
  assert.ok(cost >= 200 && cost <= 201, `cost ${cost}: stopped within one metering period of the amount`);
  expectBilled(receipt, 200);
});

test('a capped session stops at its price cap (normal, capReached), billed exactly the cap', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 150);
  runUntil(sim, () => pile.session === undefined, 3 * 3_600_000);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.capReached);
  assert.is(receipt.amountMinor, 150);
  assert.ok(receipt.energyWh < 20_000);
  assert.ok(sessionCostMinor(tariff, receipt.energyWh, receipt.durationS) >= 150);
});

test('full mode: ends normal/vehicleDone once the vehicle stopped drawing for 30 s; open contract asks for a tap (R8)', () => {
  const { sim, pile } = provisionedRig();
  const ev = plugEv(sim, { batteryWh: 10_000, stateOfChargePerMille: 900 });
  const storedBefore = ev.storedWh;
  startSession(pile, { mode: 'full' }, 5000);
  let fullAtMs = 0;
  runUntil(sim, () => {
    if (ev.full && fullAtMs === 0) fullAtMs = sim.clock.nowMs();
    return pile.session === undefined;
  }, 3 * 3_600_000);
  const endedAfterFullMs = sim.clock.nowMs() - fullAtMs;
  assert.ok(endedAfterFullMs >= 30_000 && endedAfterFullMs <= 32_000, `ended ${endedAfterFullMs} ms after the battery was full`);
  const receipt = heldReceipt(pile, 1);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.vehicleDone);
  assert.is(receipt.energyWh, ev.storedWh - storedBefore, 'the meter register saw what the battery took');
  assert.is(receipt.energyWh, 1000);
  expectBilled(receipt, 5000);
  assert.is(sim.display.status, 'attention');
  assert.ok(sim.display.text().includes('Tap your phone'), sim.display.text());
});

test('START takes a reading made with the contactor open (idle tick, or the end of the last session) so the tap waits for no meter exchange; after a stop in a tap it reads the meter itself', () => {
  const { sim, pile } = provisionedRig();
  const meter = sim.circuit.meter;
  const read = meter.sample.bind(meter);
  let reads = 0;
  meter.sample = () => (reads++, read());
  plugEv(sim);
  assert.is(reads, 1, 'the idle tick read the meter once a vehicle was plugged in');
  const first = openPileSigned(startSession(pile, { mode: 'energy', energyWh: 1000 }, 1000), 'Contract');
  assert.is(reads, 1, 'START used that reading');
  assert.is(first.startMeterWh, 1_000_000);
  sim.clock.advance(60_000);
  assert.ok(pile.stopSession(1, 'user', genuine).ok);
  const atStop = reads;
  const second = openPileSigned(startSession(pile, { mode: 'energy', energyWh: 1000 }, 1000), 'Contract');
  assert.is(reads, atStop + 1, 'no idle reading since the session: START read the meter');
  assert.is(second.startMeterWh, read().energyWh, 'from the register as it is now, not from before the stop');
  runUntil(sim, () => pile.session === undefined, 3_600_000);
  const atEnd = reads;
  const third = openPileSigned(startSession(pile, { mode: 'energy', energyWh: 1000 }, 1000), 'Contract');
  assert.is(reads, atEnd, 'a session that ended on a tick left its final reading, taken with the contactor open');
  assert.is(third.startMeterWh, heldReceipt(pile, 3).endMeterWh);
  assert.is(third.startMeterWh, read().energyWh);
});

test('user stop: the running session ends (user/userStop) and STOP again answers the same receipt', () => {
  const { sim, pile } = provisionedRig();
  plugEv(sim);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  sim.clock.advance(120_000);
  const atLastTick = sim.circuit.meter.sample().energyWh;
  sim.clock.advance(500);
  const stopped = pile.stopSession(1, 'user', genuine);
  assert.ok(stopped.ok);
  if (!stopped.ok) return;
  const receipt = openPileSigned(stopped.value, 'Receipt');
  assert.is(receipt.endReason, 'user');
  assert.is(receipt.endDetail, EndDetail.userStop);
  assert.is(receipt.durationS, 120);
  assert.is(receipt.endMeterWh, atLastTick, 'a stop in a tap bills up to the last tick\'s reading: the tap does not wait for the meter');
  assert.ok(sim.circuit.meter.sample().energyWh > atLastTick, 'energy flowed in the half second after that tick');
  assert.not.ok(sim.contactor.conducting);
  expectBilled(receipt, 2000);
  const again = pile.stopSession(1, 'relay', genuine);
  assert.ok(again.ok && again.value.every((b, i) => b === stopped.value[i]), 'idempotent: the held receipt, nothing new signed');
  const unknown = pile.stopSession(7, 'user', genuine);
  assert.equal(unknown.ok ? 'ok' : unknown.code, 'conditions');
  assert.is(pile.contractUserKid(1)?.join(), userKid.join());
  assert.is(pile.contractUserKid(7), undefined);
});

for (const [name, limit, cap] of [['capped', { mode: 'time', durationS: 3600 }, 400], ['open', { mode: 'full' }, 4000]] as const) {
  test(`plug pulled mid-session (${name}): abnormal/plugRemoved, billed to the pull, a tap is asked for (R6)`, () => {
    const { sim, pile } = provisionedRig();
    plugEv(sim);
    startSession(pile, limit, cap);
    sim.clock.advance(300_000);
    const meterAtPullWh = sim.circuit.meter.sample().energyWh;
    sim.circuit.unplug();
    sim.clock.advance(1000);
    assert.is(pile.session, undefined, 'ended within one metering period');
    const receipt = heldReceipt(pile, 1);
    assert.is(receipt.endReason, 'abnormal');
    assert.is(receipt.endDetail, EndDetail.plugRemoved);
    assert.is(receipt.endMeterWh, meterAtPullWh);
    assert.is(receipt.durationS, 301);
    expectBilled(receipt, cap);
    assert.not.ok(sim.contactor.commandedClosed);
    assert.is(pile.state(), 'available');
    assert.is(sim.display.status, 'attention');
    assert.ok(sim.display.text().includes('plug removed'), sim.display.text());
  });
}

test('the contactor closes only once the vehicle asks (state C) and opens while it pauses', () => {
  const { sim, pile } = provisionedRig();
  const ev = plugEv(sim);
  ev.setWantsCharge(false);
  startSession(pile, { mode: 'energy', energyWh: 20_000 }, 2000);
  assert.not.ok(sim.contactor.commandedClosed, 'vehicle in B: no supply');
  assert.is(pile.state(), 'suspended');
  ev.setWantsCharge(true);
  sim.clock.advance(1000);
  assert.ok(sim.contactor.commandedClosed);
  assert.is(pile.state(), 'charging');
  sim.clock.advance(10_000);
  ev.setWantsCharge(false);
  sim.clock.advance(1000);
  assert.not.ok(sim.contactor.commandedClosed);
  assert.is(pile.state(), 'suspended');
  ev.setWantsCharge(true);
  sim.clock.advance(5000);
  assert.ok(sim.contactor.commandedClosed, 'a pause shorter than 30 s does not end the session');
  assert.ok(pile.session);
});

test('START is refused without a vehicle, while a session runs, and for another tariff version', () => {
  const { sim, pile } = provisionedRig();
  const noVehicle = pile.startSession(voucherFor({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(noVehicle.ok ? 'ok' : noVehicle.code, 'conditions');
  plugEv(sim);
  const wrongTariff = pile.startSession(voucherFor({ mode: 'full' }, 1000, { tariffVersion: 2 }), undefined, genuine);
  assert.equal(wrongTariff.ok ? 'ok' : wrongTariff.code, 'unusable');
  startSession(pile, { mode: 'full' }, 1000);
  const busy = pile.startSession(voucherFor({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(busy.ok ? 'ok' : busy.code, 'conditions');
  assert.is(outboxMessages(pile).length, 1, 'refusals journaled nothing');
});

test.run();

// Power loss during a session (the board goes down; the flash keeps what was written): the next
// boot finalises the contract as abnormal/powerLoss, billed up to the last durable checkpoint,
// with the next billing sequence; the contactor stays open until a new contract is durable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { EndDetail } from '../../../contracts-offline/messages/receipt.ts';
import { sessionCostMinor } from '../../../contracts-offline/tariff-cost.ts';
import { outboxMessages, plugEv, provisionedRig, startSession, tariff } from '../../support/pile-rig.ts';

/** A session cut by a power loss `msIntoSession` after its start; `readings`: the meter register at each whole second. */
function powerLossAfter(msIntoSession: number, checkpointPeriodS?: number) {
  const rig = provisionedRig(checkpointPeriodS === undefined ? {} : { boot: { checkpointPeriodS } });
  plugEv(rig.sim);
  const readings = new Map<number, number>();
  startSession(rig.pile, { mode: 'energy', energyWh: 20_000 }, 5000, { voucherId: hexToBytes('70c4e40000000001') });
  const startedMs = rig.sim.clock.nowMs();
  for (let t = 1000; t <= msIntoSession; t += 1000) {
    rig.sim.clock.advance(1000);
    readings.set((rig.sim.clock.nowMs() - startedMs) / 1000, rig.sim.circuit.meter.sample().energyWh);
  }
  rig.sim.clock.advance(msIntoSession % 1000);
  rig.handle.shutdown(); // the board loses power: the coil drops, timers stop
  return { rig, readings };
}

test('a session cut by a power loss is billed to its last checkpoint (default every 60 s)', () => {
  const { rig, readings } = powerLossAfter(150_500);
  assert.not.ok(rig.sim.contactor.conducting);
  const pile = rig.boot();
  assert.is(rig.handle.recovered.length, 1);
  const [contract, receipt] = outboxMessages(pile);
  assert.ok(contract && receipt && 'endReason' in receipt && 'startMeterWh' in contract);
  if (!contract || !receipt || !('endReason' in receipt) || !('startMeterWh' in contract)) return;
  assert.equal(rig.handle.recovered[0], receipt);
  assert.is(receipt.seq, 2);
  assert.is(receipt.contractSeq, 1);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.powerLoss);
  assert.is(receipt.durationS, 120, 'the checkpoint at 120 s; the 30 s after it are not billed');
  assert.is(receipt.endMeterWh, readings.get(120));
  assert.is(receipt.energyWh, readings.get(120)! - contract.startMeterWh);
  assert.is(receipt.endAtS, contract.startAtS + 120);
  assert.is(receipt.amountMinor, sessionCostMinor(tariff, receipt.energyWh, 120));
  assert.not.ok(rig.sim.contactor.commandedClosed, 'nothing flows after the reboot');
  assert.is(pile.session, undefined);
  assert.is(rig.sim.display.status, 'attention', 'R6: the abnormal receipt waits for a tap');
  rig.sim.clock.advance(5000);
  assert.not.ok(rig.sim.contactor.commandedClosed);
  const next = startSession(pile, { mode: 'full' }, 1000);
  assert.ok(next.length > 0);
  assert.is(pile.session?.contract.seq, 3, 'numbering continues after the recovered receipt');
});

test('the checkpoint period is a setting: every 10 s bills a cut at 155 s up to 150 s', () => {
  const { rig, readings } = powerLossAfter(155_000, 10);
  rig.boot();
  const receipt = rig.handle.recovered[0]!;
  assert.is(receipt.durationS, 150);
  assert.is(receipt.endMeterWh, readings.get(150));
});

test('a power loss before the first checkpoint bills the session at its start: no energy, nothing to pay', () => {
  const { rig } = powerLossAfter(30_000);
  rig.boot();
  const receipt = rig.handle.recovered[0]!;
  assert.is(receipt.energyWh, 0);
  assert.is(receipt.durationS, 0);
  assert.is(receipt.amountMinor, 0, 'no energy delivered: the session fee is not charged either');
});

test('a second reboot recovers nothing more and signs nothing new', () => {
  const { rig } = powerLossAfter(70_000);
  rig.boot();
  const before = rig.sim.flash.contents();
  const signatures = rig.sim.keyStore.signatures;
  rig.handle.shutdown();
  rig.boot();
  assert.is(rig.handle.recovered.length, 0);
  assert.is(rig.sim.keyStore.signatures, signatures);
  assert.ok(rig.sim.flash.contents().every((byte, i) => byte === before[i]), 'a clean reboot writes nothing');
});

test('same inputs, same journal: two identical runs leave identical flash bytes', () => {
  const runs = [0, 1].map(() => {
    const { rig } = powerLossAfter(125_000);
    rig.boot();
    return rig.sim.flash.contents();
  });
  assert.ok(runs[0]!.every((byte, i) => byte === runs[1]![i]));
});

test.run();

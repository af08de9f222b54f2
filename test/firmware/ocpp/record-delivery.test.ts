// A real pile (bootPile on the simulated board, a scripted vehicle) on a loopback uplink whose far
// end the test plays (loopback-central.ts), on the pile's virtual clock: the journal's billing
// records go as DataTransfer BillingRecord in billing-seq order, each followed by its
// StartTransaction / StopTransaction, the Ack applied only once that is answered; Rejected,
// CALLERROR, timeouts, malformed answers, forged Acks and a lost connection leave the record in the
// outbox and send it again after the back-off, never a later one first; a record a phone
// delivered meanwhile is skipped. MeterValues only while a known transaction runs, at
// MeterValueSampleInterval. RemoteStart/StopTransaction Rejected, Reset by the pile's state and
// its reboot hook, bad CALLs refused with the spec's code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../../contracts-offline/keys.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { runPile } from '../../../firmware/pile-runtime.ts';
import type { PileController } from '../../../firmware/pile-controller.ts';
import { openPileSigned, outboxMessages, plugEv, provisionedRig, startSession, userKid } from '../../support/pile-rig.ts';
import { LoopbackCentral, type PileCall, ackFor, isBillingRecord, recordIn } from './loopback-central.ts';

const uplinkUrl = 'ws://127.0.0.1:9/ocpp/';
const energyLimit = { mode: 'energy', energyWh: 20_000 } as const;

/** A provisioned pile booted with the loopback uplink, its events kept; not connected yet. */
function networkedPile() {
  const central = new LoopbackCentral();
  const events: string[] = [];
  const rig = provisionedRig({ instrument: (sim) => void (sim.hal.uplink = central.uplink) });
  rig.handle.shutdown(); // the rig's boot has no uplink URL: boot again with one
  const handle = bootPile(rig.sim.hal, { uplinkUrl }, (level, text) => events.push(`${level}: ${text}`));
  const pile = handle.services!;
  const sim = rig.sim;
  const seqs = () => outboxMessages(pile).map((m) => m.seq);
  /** Advance one metering period at a time until the pile has a CALL waiting that `wanted` picks, answering the others as a relay; answers the ms it took. */
  const advanceUntil = (wanted: (call: PileCall) => boolean, maxMs = 900_000): number => {
    for (let ms = 0; ms <= maxMs; ms += 1000) {
      central.serve(wanted);
      const call = central.outstanding();
      if (call && wanted(call)) return ms;
      sim.clock.advance(1000);
    }
    throw new Error('no such CALL within the time');
  };
  return { central, sim, pile, events, seqs, advanceUntil, shutdown: () => handle.shutdown() };
}

/** Connected and Accepted, every routine CALL answered. */
function connectedPile() {
  const rig = networkedPile();
  rig.central.uplink.accept();
  rig.central.serve();
  return rig;
}

/** A session started and ended while the uplink was down: a Contract and its Receipt in the outbox. */
function sessionOffline(pile: PileController, sim: ReturnType<typeof networkedPile>['sim']): { contract: Contract; receipt: Receipt } {
  plugEv(sim);
  const contract = openPileSigned(startSession(pile, energyLimit, 5000), 'Contract');
  sim.clock.advance(30_000);
  sim.circuit.unplug();
  sim.clock.advance(1000);
  const receipt = outboxMessages(pile).find((m): m is Receipt => 'contractSeq' in m)!;
  return { contract, receipt };
}

test('a session\'s records: BillingRecord, StartTransaction, the Ack applied after its answer; MeterValues; BillingRecord, StopTransaction', () => {
  const { central, sim, pile, seqs } = connectedPile();
  plugEv(sim);
  central.serve();
  const contractBytes = startSession(pile, energyLimit, 5000);
  const contract = openPileSigned(contractBytes, 'Contract');
  sim.clock.advance(1000);
  central.serve(isBillingRecord);
  const record = central.outstanding()!;
  assert.equal(record.payload, { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: bytesToBase64url(contractBytes) });

  central.answer({ status: 'Accepted', data: ackFor(contract.seq) });
  const start = central.outstanding()!;
  assert.is(start.action, 'StartTransaction');
  assert.equal(start.payload, { connectorId: 1, idTag: bytesToHex(userKid), meterStart: contract.startMeterWh, timestamp: new Date(contract.startAtS * 1000).toISOString() });
  assert.equal(seqs(), [contract.seq], 'the Ack waits for the StartTransaction answer');
  central.answer({ transactionId: 77, idTagInfo: { status: 'Accepted' } });
  assert.equal(seqs(), [], 'the Ack applied');

  const metersBefore = central.calls('MeterValues').length;
  let meterWhenSent: { energyWh: number; powerW: number } | undefined;
  for (let s = 0; s < 60; s++) {
    sim.clock.advance(1000);
    if (central.outstanding()?.action === 'MeterValues') meterWhenSent = sim.circuit.meter.sample();
    central.serve();
  }
  const meterValues = central.calls('MeterValues').slice(metersBefore);
  assert.is(meterValues.length, 1, 'one sample in 60 s (the default interval)');
  const sample = meterValues[0]!.payload as { connectorId: number; transactionId: number; meterValue: { timestamp: string; sampledValue: Record<string, string>[] }[] };
  assert.equal([sample.connectorId, sample.transactionId], [1, 77]);
  const [energy, power] = sample.meterValue[0]!.sampledValue;
  assert.equal([energy!.measurand, energy!.unit, energy!.context, power!.measurand, power!.unit, power!.context], [
    'Energy.Active.Import.Register', 'Wh', 'Sample.Periodic', 'Power.Active.Import', 'W', 'Sample.Periodic',
  ]);
  assert.equal([Number(energy!.value), Number(power!.value)], [meterWhenSent!.energyWh, meterWhenSent!.powerW], 'the meter as it read when sent');
  assert.ok(meterWhenSent!.energyWh > contract.startMeterWh && meterWhenSent!.powerW > 0, 'a charging vehicle');

  sim.circuit.unplug();
  sim.clock.advance(2000); // the session ends at the pile's next tick, the record goes at the uplink's next sample
  central.serve(isBillingRecord);
  const receipt = recordIn(central.outstanding()!) as Receipt;
  assert.equal([receipt.contractSeq, seqs()], [contract.seq, [receipt.seq]]);
  central.answer({ status: 'Accepted', data: ackFor(receipt.seq) });
  const stop = central.outstanding()!;
  assert.equal([stop.action, stop.payload], ['StopTransaction', {
    transactionId: 77, meterStop: receipt.endMeterWh, timestamp: new Date(receipt.endAtS * 1000).toISOString(), reason: 'EVDisconnected',
  }]);
  assert.equal(seqs(), [receipt.seq]);
  central.answer({});
  assert.equal(seqs(), []);

  const metersAfter = central.calls('MeterValues').length;
  sim.clock.advance(300_000);
  central.serve();
  assert.is(central.calls('MeterValues').length, metersAfter, 'no MeterValues once the session ended');
});

test('records queued offline go in order once connected; Rejected, CALLERROR, timeout, malformed: the same record again after 5 s doubling to 10 min', () => {
  const { central, sim, pile, seqs, advanceUntil, events } = networkedPile();
  const { contract, receipt } = sessionOffline(pile, sim);
  assert.equal(seqs(), [contract.seq, receipt.seq]);
  assert.equal(central.calls(), [], 'nothing sent while the uplink is down');
  central.uplink.accept();
  central.serve(isBillingRecord);
  assert.is(recordIn(central.outstanding()!).seq, contract.seq, 'the oldest first');

  const failures: ((c: LoopbackCentral) => void)[] = [
    (c) => c.answer({ status: 'Rejected', data: 'malformed' }),
    (c) => c.error('InternalError'),
    (c) => {
      c.ignore();
      sim.clock.advance(30_000); // the call timeout
    },
    (c) => c.answer({ status: 'Accepted' }), // no Ack
    (c) => c.answer({ status: 'Accepted', data: '***' }),
    (c) => c.answer({ status: 'UnknownMessageId' }),
    (c) => c.answer({ status: 'Rejected', data: 'malformed' }),
    (c) => c.answer({ status: 'Rejected', data: 'malformed' }),
    (c) => c.answer({ status: 'Rejected', data: 'malformed' }),
  ];
  const gapsS: number[] = [];
  for (const fail of failures) {
    fail(central);
    gapsS.push(advanceUntil(isBillingRecord) / 1000);
    assert.is(recordIn(central.outstanding()!).seq, contract.seq, 'never a later record first');
  }
  assert.equal(gapsS, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
  assert.is(central.calls('StartTransaction').length, 0, 'no transaction message for a record not delivered');
  assert.equal(seqs(), [contract.seq, receipt.seq]);
  assert.ok(events.some((e) => /^warning: BillingRecord \d+ Rejected malformed; again in 5 s$/.test(e)), events.join('\n'));

  central.serve();
  const sent = central.calls().filter((c) => ['DataTransfer', 'StartTransaction', 'StopTransaction'].includes(c.action));
  const tail = sent.slice(-4).map((c) => (c.action === 'DataTransfer' ? `record ${recordIn(c).seq}` : c.action));
  assert.equal(tail, [`record ${contract.seq}`, 'StartTransaction', `record ${receipt.seq}`, 'StopTransaction']);
  assert.is(central.calls('StopTransaction')[0]!.payload.transactionId, 1000 + contract.seq, 'the transactionId StartTransaction.conf gave');
  assert.equal(seqs(), []);
});

test('the connection lost before StartTransaction is answered: after the reconnect and the proof, the same record again; nothing lost', () => {
  const { central, sim, pile, seqs, advanceUntil } = connectedPile();
  plugEv(sim);
  const contract = openPileSigned(startSession(pile, energyLimit, 5000), 'Contract');
  sim.clock.advance(1000);
  central.serve(isBillingRecord);
  central.answer({ status: 'Accepted', data: ackFor(contract.seq) });
  assert.is(central.outstanding()!.action, 'StartTransaction');
  central.uplink.drop('network lost');
  assert.equal(seqs(), [contract.seq], 'an Ack whose transaction message went unanswered is not applied');

  sim.clock.advance(1000);
  central.uplink.accept();
  const before = central.calls().length;
  sim.clock.advance(10_000);
  assert.is(central.calls().length, before, 'nothing before the new connection is proven');
  assert.equal((central.challenge()[2] as { status: string }).status, 'Accepted');
  advanceUntil(isBillingRecord);
  assert.is(recordIn(central.outstanding()!).seq, contract.seq);
  central.serve();
  assert.equal(seqs(), []);
  assert.is(central.calls('StartTransaction').length, 2, 'the transaction message again (the relay answers it idempotently)');
});

test('a forged Ack, another pile\'s, one not covering the record: nothing marked, the record sent again', () => {
  const { central, sim, pile, seqs, advanceUntil, events } = connectedPile();
  plugEv(sim);
  const contract = openPileSigned(startSession(pile, energyLimit, 5000), 'Contract');
  sim.clock.advance(1000);
  central.serve(isBillingRecord);
  const forger = keyPairFromSecret(new Uint8Array(32).fill(0x66));
  const bad = [
    ackFor(contract.seq, contract.seq, forger.secretKey),
    ackFor(contract.seq, contract.seq, undefined, hexToBytes('50a1e00000000099')),
    ackFor(contract.seq + 5),
  ];
  for (const data of bad) {
    central.answer({ status: 'Accepted', data });
    central.answer({ transactionId: 5, idTagInfo: { status: 'Accepted' } });
    assert.equal(seqs(), [contract.seq]);
    advanceUntil(isBillingRecord);
  }
  assert.equal(events.filter((e) => /Ack of record \d+ refused|Ack does not cover/.test(e)).length, 3, events.join('\n'));
  central.serve();
  assert.equal(seqs(), []);
});

test('a record a phone delivered meanwhile is skipped; StopTransaction falls back to the contract seq', () => {
  const { central, sim, pile, seqs } = networkedPile();
  const { contract, receipt } = sessionOffline(pile, sim);
  assert.ok(pile.acknowledge([{ fromSeq: contract.seq, toSeq: contract.seq }]).ok, 'the phone\'s Ack, as the NFC ack command applies it');
  central.uplink.accept();
  central.serve(isBillingRecord);
  assert.is(recordIn(central.outstanding()!).seq, receipt.seq);
  central.serve();
  assert.is(central.calls('StartTransaction').length, 0);
  assert.is(central.calls('StopTransaction')[0]!.payload.transactionId, contract.seq);
  assert.equal(seqs(), []);
});

test('MeterValues: none before the central system knows the transaction; MeterValueSampleInterval changes the period, 0 stops them', () => {
  const { central, sim, pile, advanceUntil } = connectedPile();
  assert.equal(central.call('GetConfiguration', { key: ['MeterValueSampleInterval'] })[2], {
    configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false, value: '60' }], unknownKey: [],
  });
  assert.equal(central.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '10' })[2], { status: 'Accepted' });
  assert.equal(central.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '86401' })[2], { status: 'Rejected' });
  assert.equal(central.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '-1' })[2], { status: 'Rejected' });
  plugEv(sim);
  startSession(pile, energyLimit, 5000);
  sim.clock.advance(1000);
  central.serve(isBillingRecord);
  for (let i = 0; i < 4; i++) {
    central.answer({ status: 'Rejected', data: 'unavailable' });
    advanceUntil(isBillingRecord);
  }
  assert.is(central.calls('MeterValues').length, 0, 'the record not delivered: no transaction to sample');
  central.serve();
  const from = central.calls('MeterValues').length;
  for (let s = 0; s < 30; s++) {
    sim.clock.advance(1000);
    central.serve();
  }
  assert.is(central.calls('MeterValues').length - from, 3, 'every 10 s');
  assert.equal(central.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '0' })[2], { status: 'Accepted' });
  const stopped = central.calls('MeterValues').length;
  for (let s = 0; s < 120; s++) {
    sim.clock.advance(1000);
    central.serve();
  }
  assert.is(central.calls('MeterValues').length, stopped);
});

test('RemoteStartTransaction and RemoteStopTransaction are Rejected and logged; Reset without a reboot hook Rejected', () => {
  const { central, pile, events } = connectedPile();
  const stateBefore = pile.state();
  assert.equal(central.call('RemoteStartTransaction', { idTag: bytesToHex(userKid) })[2], { status: 'Rejected' });
  assert.equal(central.call('RemoteStartTransaction', { connectorId: 1, idTag: 'a', chargingProfile: {} })[2], { status: 'Rejected' });
  assert.equal(central.call('RemoteStopTransaction', { transactionId: 1001 })[2], { status: 'Rejected' });
  assert.equal(central.call('Reset', { type: 'Soft' })[2], { status: 'Rejected' });
  assert.is(pile.state(), stateBefore);
  assert.equal(events.filter((e) => /Remote|Reset/.test(e)), [
    'warning: RemoteStartTransaction Rejected (voucher only)',
    'warning: RemoteStartTransaction Rejected (voucher only)',
    'warning: RemoteStopTransaction 1001 Rejected (signed stop only)',
    'warning: Reset Soft Rejected: this pile cannot reboot itself',
  ]);
});

test('bad RemoteStart/StopTransaction and Reset CALLs get the spec\'s CALLERROR and change nothing', () => {
  const { central, pile, events } = connectedPile();
  const cases: [string, unknown, string][] = [
    ['RemoteStartTransaction', {}, 'OccurenceConstraintViolation'],
    ['RemoteStartTransaction', { idTag: 5 }, 'TypeConstraintViolation'],
    ['RemoteStartTransaction', { idTag: 'x'.repeat(21) }, 'PropertyConstraintViolation'],
    ['RemoteStartTransaction', { idTag: 'a', reservationId: 1 }, 'FormationViolation'],
    ['RemoteStartTransaction', { idTag: 'a', connectorId: '1' }, 'TypeConstraintViolation'],
    ['RemoteStartTransaction', { idTag: 'a', chargingProfile: [] }, 'TypeConstraintViolation'],
    ['RemoteStopTransaction', {}, 'OccurenceConstraintViolation'],
    ['RemoteStopTransaction', { transactionId: '7' }, 'TypeConstraintViolation'],
    ['RemoteStopTransaction', { transactionId: 7.5 }, 'TypeConstraintViolation'],
    ['RemoteStopTransaction', { transactionId: 7, idTag: 'a' }, 'FormationViolation'],
    ['Reset', {}, 'OccurenceConstraintViolation'],
    ['Reset', { type: 'Warm' }, 'PropertyConstraintViolation'],
    ['Reset', { type: 1 }, 'TypeConstraintViolation'],
    ['Reset', { type: 'Hard', now: true }, 'FormationViolation'],
  ];
  for (const [action, payload, code] of cases) {
    const reply = central.call(action, payload);
    assert.equal([reply[0], reply[2]], [4, code], `${action} ${JSON.stringify(payload)}: ${String(reply[3])}`);
  }
  assert.equal(events.filter((e) => /Remote|Reset/.test(e)), [], 'a refused CALL is not acted on');
  assert.is(pile.state(), 'available');
});

test('Reset in the runtime: Rejected while a session runs; idle, Accepted, answered, then the pile reboots and connects again', () => {
  const central = new LoopbackCentral();
  const rig = provisionedRig({ instrument: (sim) => void (sim.hal.uplink = central.uplink) });
  rig.handle.shutdown();
  const { sim } = rig;
  const runtime = runPile(sim.hal, { board: 'sim', uplinkUrl });
  central.uplink.accept();
  central.serve();
  plugEv(sim);
  startSession(runtime.handle.services!, energyLimit, 5000);
  assert.equal(central.call('Reset', { type: 'Hard' })[2], { status: 'Rejected' });
  sim.circuit.unplug();
  sim.clock.advance(1000);
  central.serve();
  assert.is(runtime.handle.services!.state(), 'available');
  const handleBefore = runtime.handle;
  assert.equal(central.call('Reset', { type: 'Soft' })[2], { status: 'Accepted' });
  assert.is(runtime.handle, handleBefore, 'the answer goes out before the reboot');
  sim.clock.advance(0);
  assert.is.not(runtime.handle, handleBefore, 'rebooted');
  assert.is(central.uplink.opens.length, 2, 'the new boot connects again');
  central.uplink.accept();
  assert.is(central.outstanding()!.action, 'BootNotification');
  assert.ok(runtime.log.after(0, 64).entries.some((e) => e.text === 'Reset Soft Accepted: rebooting'));
  runtime.shutdown();
});

test.run();

// Device faults on the host board's buses while a vehicle charges: each meter fault (silent meter,
// bad CRC, exception, garbage, a reset mid-answer, a jammed RS-485 bus), a chattering contactor
// auxiliary contact and a stuck CP sense ADC end the session abnormally with the right detail, bill
// exactly to the last good meter reading, once; a fault the driver's retry absorbs ends nothing; a
// wedged display bus never stops charging and the screen comes back with the bus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EndDetail, type Receipt } from '../../contracts-offline/messages/receipt.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Sdm230Fault } from '../../hal/sim/chips/sdm230.ts';
import { type HostBoard, createHostBoard } from '../../boards/host/hal.ts';
import { openPileSigned, outboxMessages, pileSecretKey, plugEv, provisionedRig, runUntil, startSession } from '../support/pile-rig.ts';

function charging() {
  let host: HostBoard | undefined;
  const rig = provisionedRig({ instrument: (sim) => (sim.hal = (host = createHostBoard(sim, { pileSecretKey })).hal) });
  plugEv(rig.sim);
  const contract = openPileSigned(startSession(rig.pile, { mode: 'energy', energyWh: 20_000 }, 5000), 'Contract');
  rig.sim.clock.advance(30_000);
  assert.ok(rig.pile.session && rig.sim.contactor.conducting, 'charging');
  return { rig, host: host!, contract };
}

/**
 * Run until the session ends; answers its receipt and how many Wh the meter counted after the last
 * good reading (`lastGoodWh`; when the meter still reads, its reading once the contactor is open).
 */
function endOf(setup: ReturnType<typeof charging>, lastGoodWh?: number): { receipt: Receipt; unbilledWh: number } {
  const { rig, contract } = setup;
  runUntil(rig.sim, () => rig.pile.session === undefined, 5000);
  assert.is(rig.sim.contactor.conducting, false, 'the contactor opened');
  lastGoodWh ??= rig.sim.circuit.meter.sample().energyWh;
  const records = outboxMessages(rig.pile);
  assert.equal(records.map((r) => r.seq), [contract.seq, contract.seq + 1], 'one contract, one receipt, seqs without a hole');
  const receipt = records[1] as Receipt;
  assert.is(receipt.contractSeq, contract.seq);
  assert.is(receipt.energyWh, lastGoodWh - contract.startMeterWh, 'billed to the last good reading');
  return { receipt, unbilledWh: rig.sim.circuit.meter.sample().energyWh - lastGoodWh };
}

/** The next session bills from where the meter is now: nothing counted twice. */
function nextSessionStartsAfter(setup: ReturnType<typeof charging>, receipt: Receipt): Contract {
  const next = openPileSigned(startSession(setup.rig.pile, { mode: 'energy', energyWh: 1000 }, 5000), 'Contract');
  assert.ok(next.startMeterWh >= receipt.endMeterWh);
  return next;
}

const meterFaults: (Sdm230Fault | 'jammed bus')[] = ['no-answer', 'bad-crc', 'exception', 'garbage', 'reset', 'jammed bus'];
for (const fault of meterFaults) {
  test(`meter fault "${fault}": abnormal end (meter fault), billed to the last good reading, once`, () => {
    const setup = charging();
    const { host, rig } = setup;
    const lastGoodWh = host.drivers.meter.sample().energyWh;
    if (fault === 'jammed bus') host.chips.rs485.jam();
    else host.chips.meter.inject(fault);
    const { receipt, unbilledWh } = endOf(setup, lastGoodWh);
    assert.equal([receipt.endReason, receipt.endDetail], ['abnormal', EndDetail.meterFault]);
    assert.ok(unbilledWh >= 0 && unbilledWh <= 3, `${unbilledWh} Wh flowed between the last good reading and the contactor opening (≤ one 1 s tick at 7.4 kW)`);
    host.chips.rs485.clear();
    host.chips.meter.clear();
    rig.sim.clock.advance(3000);
    nextSessionStartsAfter(setup, receipt);
  });
}

test('a meter fault the retries absorb ends nothing', () => {
  const setup = charging();
  setup.host.chips.meter.inject('no-answer', 2);
  setup.rig.sim.clock.advance(5000);
  assert.ok(setup.rig.pile.session, 'still charging');
});

test('a chattering auxiliary contact: abnormal end (contactor fault), the pile stays out of service', () => {
  const setup = charging();
  setup.host.chips.contactor.chatter();
  const { receipt } = endOf(setup);
  assert.equal([receipt.endReason, receipt.endDetail], ['abnormal', EndDetail.contactorFault]);
  assert.throws(() => startSession(setup.rig.pile, { mode: 'energy', energyWh: 1000 }, 5000), /contactor fault/);
});

test('a CP sense ADC stuck at 0: abnormal end (pilot fault)', () => {
  const setup = charging();
  setup.host.chips.pilot.stickAdc(0);
  const { receipt } = endOf(setup);
  assert.equal([receipt.endReason, receipt.endDetail], ['abnormal', EndDetail.pilotFault]);
});

test('a wedged display bus never stops charging; the screen comes back with the bus', () => {
  const setup = charging();
  const { host, rig } = setup;
  host.chips.i2c.wedge();
  rig.sim.clock.advance(10_000);
  assert.ok(rig.pile.session && rig.sim.contactor.conducting, 'still charging');
  host.chips.i2c.release();
  host.chips.expander.reset();
  rig.sim.clock.advance(2000);
  assert.match(host.chips.lcd.text()[0]!, /^Charging/);
});

test.run();

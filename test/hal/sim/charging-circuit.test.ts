import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChargingCircuitSim } from '../../../hal/sim/charging-circuit.ts';
import { ContactorSim } from '../../../hal/sim/contactor.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { PilotSim } from '../../../hal/sim/pilot.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';

function rig(meterEnergyWh = 1000) {
  const clock = new VirtualClock({ startMs: 0 });
  const contactor = new ContactorSim();
  const pilot = new PilotSim();
  const circuit = new ChargingCircuitSim({ clock, contactor, pilot, meterEnergyWh });
  return { clock, contactor, pilot, circuit };
}

test('nothing flows until plugged, PWM offered and the contactor closed', () => {
  const { clock, contactor, pilot, circuit } = rig();
  const ev = new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 100, maxCurrentMa: 32_000 });
  contactor.setClosed(true);
  clock.advance(60_000);
  assert.is(circuit.meter.sample().energyWh, 1000, 'no vehicle');
  circuit.plug(ev);
  assert.is(pilot.readHighMv(), 8979, 'B');
  clock.advance(60_000);
  assert.is(circuit.meter.sample().currentMa, 0, 'no PWM: stays in B');
  pilot.setDutyPerMille(266); // 16 A
  assert.is(pilot.readHighMv(), 5996, 'C');
  assert.is(circuit.meter.sample().currentMa, 15_960);
  contactor.setClosed(false);
  assert.is(circuit.meter.sample().currentMa, 0);
  clock.advance(60_000);
  assert.is(circuit.meter.sample().energyWh, 1000);
});

test('one hour at 230 V × 15.96 A: meter register and battery agree (3670 Wh)', () => {
  const { clock, contactor, pilot, circuit } = rig();
  const ev = new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 0, maxCurrentMa: 32_000 });
  circuit.plug(ev);
  pilot.setDutyPerMille(266);
  contactor.setClosed(true);
  clock.advance(3_600_000);
  assert.is(circuit.meter.sample().energyWh - 1000, 3670); // 230 × 15.96 = 3670.8 W·h
  assert.is(ev.storedWh, 3670);
  assert.is(circuit.meter.sample().powerW, 3671);
});

test('the vehicle stops drawing when full; the meter stops with it', () => {
  const { clock, contactor, pilot, circuit } = rig(0);
  const ev = new EvSim({ batteryWh: 1000, stateOfChargePerMille: 900, maxCurrentMa: 32_000 });
  circuit.plug(ev);
  pilot.setDutyPerMille(533);
  contactor.setClosed(true);
  clock.advance(3_600_000);
  assert.ok(ev.full);
  assert.is(circuit.meter.sample().currentMa, 0);
  assert.is(circuit.meter.sample().energyWh, 100);
  assert.is(pilot.readHighMv(), 8979, 'back to B');
});

test('unplugged mid-charge: current drops to zero at once and CP reads state A', () => {
  const { clock, contactor, pilot, circuit } = rig(0);
  circuit.plug(new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 0, maxCurrentMa: 32_000 }));
  pilot.setDutyPerMille(533);
  contactor.setClosed(true);
  clock.advance(1_234);
  circuit.unplug();
  assert.is(circuit.meter.sample().currentMa, 0);
  assert.is(pilot.readHighMv(), 12_000);
  const before = circuit.meter.sample().energyWh;
  clock.advance(3_600_000);
  assert.is(circuit.meter.sample().energyWh, before);
  assert.throws(() => {
    circuit.plug(new EvSim({ batteryWh: 1, stateOfChargePerMille: 0, maxCurrentMa: 1 }));
    circuit.plug(new EvSim({ batteryWh: 1, stateOfChargePerMille: 0, maxCurrentMa: 1 }));
  }, /already plugged in/);
});

test('a welded contactor keeps delivering energy after the firmware opens it', () => {
  const { clock, contactor, pilot, circuit } = rig(0);
  circuit.plug(new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 0, maxCurrentMa: 32_000 }));
  pilot.setDutyPerMille(533);
  contactor.setClosed(true);
  contactor.weld();
  contactor.setClosed(false);
  clock.advance(3_600_000);
  assert.ok(circuit.meter.sample().energyWh > 7000);
});

test.run();

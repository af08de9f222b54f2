import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PilotSim } from '../../../hal/sim/pilot.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { PILOT_CONSTANT_MINUS_12V, PILOT_CONSTANT_PLUS_12V } from '../../../hal/types.ts';

// IEC 61851-1 Table A.4 (EVSE side, high level): A 12 V, B 9 V, C 6 V, D 3 V, each ±1 V; E 0 V; F −12 V.
const within = (mv: number, nominalMv: number) => Math.abs(mv - nominalMv) <= 1000;

test('state A: no vehicle reads +12 V', () => {
  const pilot = new PilotSim();
  assert.is(pilot.readHighMv(), 12_000);
  pilot.setDutyPerMille(533);
  assert.is(pilot.readHighMv(), 12_000);
});

test('B 9 V / C 6 V / D 3 V from the vehicle resistor network (R1 1 kΩ, diode 0.7 V)', () => {
  const pilot = new PilotSim();
  const ev = new EvSim({ batteryWh: 50_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 });
  pilot.attach(ev);
  pilot.setDutyPerMille(PILOT_CONSTANT_PLUS_12V);
  assert.is(pilot.readHighMv(), 8979); // 12 − 11.3 × 1000/3740
  assert.ok(within(pilot.readHighMv(), 9000));
  pilot.setDutyPerMille(533);
  assert.is(pilot.readHighMv(), 5996); // R = 2.74k ∥ 1.3k = 882 Ω
  assert.ok(within(pilot.readHighMv(), 6000));
  const vented = new EvSim({ batteryWh: 50_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000, needsVentilation: true });
  pilot.attach(vented);
  assert.ok(within(pilot.readHighMv(), 3000), String(pilot.readHighMv()));
});

test('E: shorted CP reads 0 V; F: the EVSE output at −12 V reads −12 V', () => {
  const pilot = new PilotSim();
  const ev = new EvSim({ batteryWh: 50_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 });
  pilot.attach(ev);
  pilot.setDutyPerMille(533);
  ev.shortPilot();
  assert.is(pilot.readHighMv(), 0);
  pilot.setDutyPerMille(PILOT_CONSTANT_MINUS_12V);
  assert.is(pilot.readHighMv(), -12_000);
});

test('unplugging mid-charge returns to state A at once', () => {
  const pilot = new PilotSim();
  pilot.attach(new EvSim({ batteryWh: 50_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 }));
  pilot.setDutyPerMille(533);
  assert.is(pilot.readHighMv(), 5996);
  pilot.attach(undefined);
  assert.is(pilot.readHighMv(), 12_000);
});

test('duty outside 0..1000 or not an integer throws RangeError', () => {
  const pilot = new PilotSim();
  assert.throws(() => pilot.setDutyPerMille(1001), /0\.\.1000, got 1001/);
  assert.throws(() => pilot.setDutyPerMille(50.5), (e: unknown) => e instanceof RangeError);
});

test.run();

// IEC 61851-1 Table A.8 (duty from current) with the table's worked values, the allowed current
// from the configured power and the measured voltage, and the Table A.4 CP state ranges against
// the simulated pilot circuit's levels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allowedCurrentMa, dutyPerMilleForCurrentMa } from '../../../firmware/charging/pilot-duty.ts';
import { type CpState, CpReader, cpStateForMv } from '../../../firmware/charging/control-pilot.ts';
import { PilotSim } from '../../../hal/sim/pilot.ts';
import { EvSim, allowedCurrentMa as evAllowedCurrentMa } from '../../../hal/sim/ev.ts';

// [current A, duty % as the table's formulas give it to one decimal]
const tableA8: [number, string][] = [
  [6, '10.0'], [10, '16.7'], [13, '21.7'], [16, '26.7'], [20, '33.3'], [25, '41.7'], [32, '53.3'], [40, '66.7'],
  [51, '85.0'], [63, '89.2'], [70, '92.0'], [80, '96.0'],
];

test('Table A.8 worked values: duty per-mille, rounded half-up', () => {
  for (const [amps, percent] of tableA8) {
    const perMille = dutyPerMilleForCurrentMa(amps * 1000);
    assert.is(`${Math.floor(perMille / 10)}.${perMille % 10}`, percent, `${amps} A`);
  }
});

test('the vehicle reads back the offered current within half a per-mille step, never more', () => {
  for (let currentMa = 6000; currentMa <= 80_000; currentMa += 250) {
    const readBackMa = evAllowedCurrentMa(dutyPerMilleForCurrentMa(currentMa));
    const stepMa = currentMa <= 51_000 ? 60 : 250;
    assert.ok(readBackMa <= currentMa + stepMa / 2, `${currentMa} mA → ${readBackMa} mA`);
    // Above 51 A up to 52.5 A the table's second formula gives at most 85 %, which the vehicle
    // reads with the first one: it is offered less, never more.
    if (currentMa <= 51_000 || currentMa > 52_500) assert.ok(readBackMa >= currentMa - stepMa / 2, `${currentMa} mA → ${readBackMa} mA`);
  }
});

test('duty outside 6..80 A is a programming error', () => {
  assert.throws(() => dutyPerMilleForCurrentMa(5999), /"currentMa" expected an integer in 6000..80000, got 5999/);
  assert.throws(() => dutyPerMilleForCurrentMa(80_001), /got 80001/);
  assert.throws(() => dutyPerMilleForCurrentMa(16_000.5), /got 16000.5/);
});

test('allowed current from maxPowerW and measured voltage (rounded down, capped at 80 A, none below 6 A)', () => {
  assert.is(allowedCurrentMa(7400, 230_000), 32_173);
  assert.is(allowedCurrentMa(3680, 230_000), 16_000);
  assert.is(allowedCurrentMa(11_000, 240_000), 45_833);
  assert.is(allowedCurrentMa(22_000, 230_000), 80_000, '95.6 A capped at what a PWM can offer');
  assert.is(allowedCurrentMa(1380, 230_000), 6000);
  assert.is(allowedCurrentMa(1379, 230_000), undefined);
  assert.is(allowedCurrentMa(7400, 0), undefined, 'no voltage measured');
  assert.throws(() => allowedCurrentMa(0, 230_000), /"maxPowerW" expected a positive integer, got 0/);
});

test('CP states from the high level (Table A.4 ranges); a gap reading is invalid when no neighbouring state came before', () => {
  const vectors: [number, string][] = [
    [12_000, 'A'], [11_000, 'A'], [13_000, 'A'], [10_500, 'invalid'], [9_000, 'B'], [8_000, 'B'], [7_500, 'invalid'],
    [6_000, 'C'], [3_000, 'D'], [1_500, 'invalid'], [0, 'E'], [-1_000, 'E'], [-12_000, 'F'], [-14_000, 'invalid'], [14_000, 'invalid'],
  ];
  for (const [mv, state] of vectors) assert.is(cpStateForMv(mv), state, `${mv} mV`);
});

test('hysteresis: the 1 V gap between neighbouring ranges keeps the state either side of it, and only that', () => {
  const vectors: [number, CpState, CpState][] = [
    [10_500, 'A', 'A'], [10_500, 'B', 'B'], [10_500, 'C', 'invalid'], [10_999, 'B', 'B'], [10_001, 'A', 'A'],
    [7_500, 'B', 'B'], [7_500, 'C', 'C'], [7_500, 'A', 'invalid'],
    [4_500, 'C', 'C'], [4_500, 'D', 'D'], [1_500, 'D', 'D'], [1_500, 'E', 'E'], [1_500, 'C', 'invalid'],
    // E (−1..1 V) and F (−13..−11 V) are 10 V apart: no band there.
    [-5_000, 'E', 'invalid'], [-5_000, 'F', 'invalid'], [13_500, 'A', 'invalid'], [-13_500, 'F', 'invalid'],
    // Inside a range the range decides, whatever came before.
    [9_000, 'A', 'B'], [12_000, 'B', 'A'], [6_000, 'invalid', 'C'],
  ];
  for (const [mv, previous, state] of vectors) assert.is(cpStateForMv(mv, previous), state, `${mv} mV after ${previous}`);
});

test('a reader follows a pilot hovering at the A/B boundary without chattering, and a throw resets it', () => {
  let mv = 12_000;
  const pilot = { setDutyPerMille() {}, readHighMv: () => { if (Number.isNaN(mv)) throw new Error('adc'); return mv; } };
  const reader = new CpReader(pilot);
  const read = (level: number): CpState => ((mv = level), reader.read());
  assert.equal([11_000, 10_900, 10_100, 10_900, 10_000, 10_400, 10_999, 11_000].map(read), ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'A']);
  assert.is(read(Number.NaN), 'invalid');
  assert.is(read(10_500), 'invalid', 'no state to hold after a failed read');
  assert.is(read(9_000), 'B');
});

test('CP states read through the simulated pilot circuit and vehicle', () => {
  const pilot = new PilotSim();
  const reader = (): CpState => new CpReader(pilot).read();
  assert.is(reader(), 'A');
  const ev = new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 100, maxCurrentMa: 32_000 });
  pilot.attach(ev);
  assert.is(reader(), 'B');
  pilot.setDutyPerMille(dutyPerMilleForCurrentMa(16_000));
  assert.is(reader(), 'C');
  pilot.attach(new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 100, maxCurrentMa: 32_000, needsVentilation: true }));
  assert.is(reader(), 'D');
  ev.shortPilot();
  pilot.attach(ev);
  assert.is(reader(), 'E');
  pilot.setDutyPerMille(0);
  assert.is(reader(), 'F');
});

test.run();

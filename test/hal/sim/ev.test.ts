import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EvSim, allowedCurrentMa } from '../../../hal/sim/ev.ts';

const isA = (C: new (...a: never[]) => Error) => (e: unknown) => e instanceof C;

test('IEC 61851-1 Table A.8: PWM duty → allowed current', () => {
  const table: [number, number][] = [
    [1000, 0], // constant +12 V: no PWM
    [0, 0], // −12 V
    [50, 0], // 5 %: digital communication only
    [79, 0],
    [80, 6000], // 8 %..10 %: 6 A
    [100, 6000], // 10 % × 0.6 A
    [250, 15000], // 25 % → 15 A
    [533, 31980], // 53.3 % → 31.98 A (the usual "32 A" duty)
    [850, 51000], // 85 % → 51 A
    [900, 65000], // (90 − 64) × 2.5 A
    [960, 80000],
    [970, 80000],
    [971, 0], // > 97 %: not allowed
  ];
  for (const [duty, ma] of table) assert.is(allowedCurrentMa(duty), ma, `duty ${duty}‰`);
});

test('state B without PWM; C with PWM while it wants charge; D when it needs ventilation; E when shorted', () => {
  const ev = new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 500, maxCurrentMa: 32_000 });
  assert.is(ev.cpState(1000), 'B');
  assert.is(ev.cpState(533), 'C');
  ev.setWantsCharge(false);
  assert.is(ev.cpState(533), 'B');
  ev.setWantsCharge(true);
  ev.shortPilot();
  assert.is(ev.cpState(533), 'E');
  assert.is(ev.pilotLoadOhms(533), 0);
  const vented = new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 500, maxCurrentMa: 32_000, needsVentilation: true });
  assert.is(vented.cpState(533), 'D');
});

test('draws min(charger limit, PWM allowance) only when energised and in C', () => {
  const ev = new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 500, maxCurrentMa: 16_000 });
  assert.is(ev.demandMa(533, true), 16_000);
  assert.is(ev.demandMa(166, true), 9_960);
  assert.is(ev.demandMa(533, false), 0);
  assert.is(ev.demandMa(1000, true), 0);
});

test('charging 1 h at 230 V × 16 A stores 3680 Wh; stops at full and goes back to B', () => {
  const ev = new EvSim({ batteryWh: 10_000, stateOfChargePerMille: 0, maxCurrentMa: 16_000 });
  for (let s = 0; s < 3600; s++) ev.absorb(1000, 230_000, 16_000);
  assert.is(ev.storedWh, 3680);
  assert.is(ev.stateOfChargePerMille, 368);
  const untilFullMs = ev.msUntilFull(230_000, 16_000);
  assert.is(untilFullMs, Math.ceil(((10_000 - 3680) * 3.6e12) / (230_000 * 16_000)));
  ev.absorb(untilFullMs, 230_000, 16_000);
  assert.ok(ev.full);
  assert.is(ev.stateOfChargePerMille, 1000);
  assert.is(ev.cpState(533), 'B');
  assert.is(ev.demandMa(533, true), 0);
});

test('bad options throw', () => {
  assert.throws(() => new EvSim({ batteryWh: 0, stateOfChargePerMille: 0, maxCurrentMa: 1 }), isA(RangeError));
  assert.throws(() => new EvSim({ batteryWh: 1, stateOfChargePerMille: 1001, maxCurrentMa: 1 }), /0\.\.1000, got 1001/);
});

test.run();

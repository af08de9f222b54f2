import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EnergyMeterSim } from '../../../hal/sim/energy-meter.ts';

test('integrates V × I × t: 230 V × 10 A for 1 h = 2300 Wh exactly', () => {
  const meter = new EnergyMeterSim({ probeCurrentMa: () => 10_000 });
  meter.integrate(3_600_000);
  assert.equal(meter.sample(), { energyWh: 2300, powerW: 2300, currentMa: 10_000, voltageMv: 230_000 });
});

test('the register shows whole Wh only; the remainder is kept, not lost, across many small steps', () => {
  const meter = new EnergyMeterSim({ probeCurrentMa: () => 1000 }); // 230 W
  for (let i = 0; i < 15; i++) meter.integrate(1000); // 15 s × 230 W = 0.958 Wh
  assert.is(meter.sample().energyWh, 0);
  meter.integrate(1000); // 16 s → 1.022 Wh
  assert.is(meter.sample().energyWh, 1);
  for (let i = 0; i < 3600 - 16; i++) meter.integrate(1000);
  assert.is(meter.sample().energyWh, 230);
});

test('starts from the register value it had (non-volatile) and never goes down', () => {
  let currentMa = 32_000;
  const meter = new EnergyMeterSim({ energyWh: 123_456, probeCurrentMa: () => currentMa });
  let last = meter.sample().energyWh;
  assert.is(last, 123_456);
  for (let i = 0; i < 100; i++) {
    currentMa = (i * 7919) % 32_000;
    meter.integrate(60_000);
    const now = meter.sample().energyWh;
    assert.ok(now >= last);
    last = now;
  }
});

test('probe and arguments are checked', () => {
  const meter = new EnergyMeterSim({ probeCurrentMa: () => -1 });
  assert.throws(() => meter.sample(), /probe expected a non-negative integer mA, got -1/);
  assert.throws(() => new EnergyMeterSim({ energyWh: -1 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => new EnergyMeterSim().integrate(1.5), (e: unknown) => e instanceof RangeError);
});

test('reports its serial number: the one it was given, else the default', () => {
  assert.is(new EnergyMeterSim({ serialNumber: 0xffff_ffff }).readSerialNumber(), 0xffff_ffff);
  assert.is(new EnergyMeterSim({ serialNumber: 0 }).readSerialNumber(), 0);
  assert.is(new EnergyMeterSim().readSerialNumber(), 20_260_001);
  for (const bad of [-1, 2 ** 32, 1.5]) {
    assert.throws(() => new EnergyMeterSim({ serialNumber: bad }), /"serialNumber" expected an unsigned 32-bit integer/);
  }
});

test.run();

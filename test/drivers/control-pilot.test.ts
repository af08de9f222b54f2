// Control pilot driver: PWM values for IEC 61851-1 duties (every per-mille round-trips through a
// 10-bit LEDC), and the CP high level back through the sense divider and the 12-bit ADC, for the
// vehicle states of Table A.4 as the pilot model produces them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ControlPilot, ControlPilotError, PILOT_PWM_HZ } from '../../drivers/control-pilot/control-pilot.ts';
import { cpStateForMv } from '../../firmware/charging/control-pilot.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { EvSim } from '../../hal/sim/ev.ts';
import { PilotFrontend } from '../../hal/sim/chips/pilot-frontend.ts';
import { PilotSim } from '../../hal/sim/pilot.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';

function rig() {
  const wiring = new BoardWiring(new BusTime(new VirtualClock({ startMs: 0 })));
  const pilot = new PilotSim();
  const frontend = new PilotFrontend({ pilot, lowMv: -13_200, highMv: 13_200 });
  wiring.connectPwm(27, frontend.pwm);
  wiring.connectAnalog(36, frontend.sense);
  const io = simulatedIo(wiring, {});
  const driver = new ControlPilot({ pwm: { io: io.PWM, pin: 27 }, sense: { io: io.Analog, pin: 36, lowMv: -13_200, highMv: 13_200 } });
  return { pilot, frontend, driver };
}

test('1 kHz, and every duty 0..1000 ‰ reaches the generator unchanged through the 10-bit PWM', () => {
  const { pilot, frontend, driver } = rig();
  assert.is(frontend.hz, PILOT_PWM_HZ);
  assert.is(pilot.dutyPerMille, 1000, 'starts at constant +12 V (state A/B, no PWM)');
  for (let duty = 0; duty <= 1000; duty++) {
    driver.setDutyPerMille(duty);
    assert.is(pilot.dutyPerMille, duty);
  }
  assert.throws(() => driver.setDutyPerMille(1001), /"dutyPerMille" expected an integer in 0..1000, got 1001/);
});

test('CP levels of Table A.4 come back within one ADC step (26.4 V / 4095 ≈ 6.4 mV) and classify alike', () => {
  const { pilot, driver } = rig();
  const ev = new EvSim({ batteryWh: 40_000, stateOfChargePerMille: 100, maxCurrentMa: 32_000 });
  const cases: [string, () => void, string][] = [
    ['no vehicle', () => pilot.attach(undefined), 'A'],
    ['vehicle connected', () => (pilot.attach(ev), driver.setDutyPerMille(1000)), 'B'],
    ['vehicle charging at 32 A', () => driver.setDutyPerMille(533), 'C'],
    ['pilot shorted', () => ev.shortPilot(true), 'E'],
    ['EVSE not available', () => (ev.shortPilot(false), driver.setDutyPerMille(0)), 'F'],
  ];
  for (const [what, setUp, state] of cases) {
    setUp();
    const read = driver.readHighMv();
    assert.ok(Math.abs(read - pilot.readHighMv()) <= 7, `${what}: ${read} vs ${pilot.readHighMv()} mV`);
    assert.is(cpStateForMv(read), state, what);
  }
});

test('a stuck ADC reads as the level it is stuck at; a code outside the range is a fault', () => {
  const { frontend, driver } = rig();
  frontend.stickAdc(0);
  assert.is(driver.readHighMv(), -13_200);
  assert.is(cpStateForMv(driver.readHighMv()), 'invalid');
  frontend.unstickAdc();
  assert.is(cpStateForMv(driver.readHighMv()), 'A');
  const broken = new ControlPilot({
    pwm: { io: class { readonly resolution = 10; write(): void {} }, pin: 1 },
    sense: { io: class { readonly resolution = 12; read(): number { return 4096; } }, pin: 2, lowMv: -13_200, highMv: 13_200 },
  });
  assert.throws(() => broken.readHighMv(), (e: unknown) => e instanceof ControlPilotError && /ADC answered 4096, outside 0..4095/.test(e.message));
});

test('a PWM too coarse for per-mille duties, or a bad divider range, is refused', () => {
  const coarse = { io: class { readonly resolution = 8; write(): void {} }, pin: 1 };
  const sense = { io: class { readonly resolution = 12; read(): number { return 0; } }, pin: 2, lowMv: -13_200, highMv: 13_200 };
  assert.throws(() => new ControlPilot({ pwm: coarse, sense }), /PWM resolution 8 bits, need ≥ 10/);
  assert.throws(() => new ControlPilot({ pwm: { ...coarse, io: class { readonly resolution = 10; write(): void {} } }, sense: { ...sense, highMv: -13_200 } }), /lowMv < highMv/);
});

test.run();

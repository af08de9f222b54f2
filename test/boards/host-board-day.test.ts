// design §3: the scripted day (22 sessions through APDUs) on the host board — the ESP32 board's
// drivers (SDM230 over Modbus RTU, contactor GPIOs, control pilot PWM and ADC, HD44780 over
// PCF8574, the journal through ECMA-419 flash storage, the PN7160 NFC controller and the SE050
// secure element over I2C) over bus-level simulations of its chips,
// driven by the same physics as hal/sim — gives the same journal, byte for byte, and the same
// signed records and taps as the day on the hal/sim parts (whose key store holds the same key).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { sha256 } from '../../contracts-offline/crypto.ts';
import { type DayBoard, runScriptedDay } from '../support/day/scripted-day.ts';

const reference = await runScriptedDay();
let board: DayBoard | undefined;
let ticks = 0;
const onDrivers = await runScriptedDay({
  board: 'host',
  instrument(b) {
    board = b;
    const clock = b.sim.hal.clock;
    b.sim.hal.clock = { ...clock, nowMs: () => clock.nowMs(), clearTimer: (id) => clock.clearTimer(id), setTimer: (callback, delayMs, repeatMs) => clock.setTimer(() => (ticks++, callback()), delayMs, repeatMs) };
  },
});
const host = board!.host!;

test('the journal is byte-identical: flash image SHA-256 and length', () => {
  assert.is(onDrivers.flashImage.length, reference.flashImage.length);
  assert.is(bytesToHex(sha256(onDrivers.flashImage)), bytesToHex(sha256(reference.flashImage)));
});

test('every signed record, tap and session log is identical', () => {
  assert.ok(reference.records.length >= 40);
  assert.equal(onDrivers.records.map((r) => bytesToHex(r.signed)), reference.records.map((r) => bytesToHex(r.signed)));
  assert.equal(onDrivers.taps, reference.taps);
  assert.equal(onDrivers.sessions, reference.sessions);
});

test('it went through the buses: Modbus reads of the meter, the LCD shows the last screen', () => {
  // Two exchanges per reading; the firmware reads at every supervision tick of a session, and once
  // at each start and end.
  assert.ok(host.chips.meter.requests >= 2 * 1000, `${host.chips.meter.requests} Modbus requests`);
  assert.is(host.chips.meter.requests % 2, 0);
  assert.ok(ticks > 1000);
  const lcd = host.chips.lcd.text();
  assert.match(lcd[0]!, /^Receipt \d+ +$/);
  assert.is(host.chips.lcd.lost, 0, 'no instruction reached the controller while it was busy');
  assert.ok(host.time.nowUs() > board!.sim.clock.nowMs() * 1000, 'bus time ran ahead of the pile clock by the drivers\' waits');
});

test('every APDU of the day crossed the PN7160 as NCI data packets; every pile signature came from the SE050', () => {
  const apdus = onDrivers.taps.reduce((n, tap) => n + tap.apdus, 0);
  assert.is(host.chips.nfc.apdusAnswered, apdus);
  assert.is(host.chips.nfc.creditMisuse, 0);
  assert.is(host.chips.nfc.packetsRejected, 0);
  const signed = onDrivers.records.length + onDrivers.taps.filter((tap) => tap.commands.includes('HELLO')).length;
  assert.ok(host.chips.secureElement.counters.signatures >= signed, `${host.chips.secureElement.counters.signatures} SE050 signatures for ${signed} signed records and hellos`);
  assert.is(board!.sim.keyStore.signatures, 0, 'the simulated pile\'s own key store signed nothing');
});

test.run();

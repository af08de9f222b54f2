// Eastron SDM230-Modbus driver over the simulated RS-485 bus and meter: CRC vectors, the frames of
// the protocol, a published capture decoded to its documented value, the one float → integer
// conversion, the serial number (holding register FC00), and every bus fault → a clear Sdm230Error
// (retried where a retry can help).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { crc16Modbus } from '../../drivers/sdm230/crc16-modbus.ts';
import { parseReadAnswer, readRegistersRequest } from '../../drivers/sdm230/modbus-rtu.ts';
import { FunctionCode } from '../../drivers/sdm230/registers.ts';
import { Sdm230, Sdm230Error, sampleFromReadings } from '../../drivers/sdm230/sdm230.ts';
import type { MeterSample } from '../../hal/types.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { Rs485Bus } from '../../hal/sim/chips/rs485-bus.ts';
import { type Sdm230Fault, Sdm230Sim } from '../../hal/sim/chips/sdm230.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

test('CRC-16/MODBUS: the catalogue check value and published frames', () => {
  const vectors: [Uint8Array, number][] = [
    [ascii('123456789'), 0x4b37], // CRC catalogue check value
    [hexToBytes('010400000002'), 0xcb71], // SDM "read voltage" request, sent as 71 CB
    [hexToBytes('01040443663334'), 0x381b], // its answer as captured (see below), sent as 1B 38
    [hexToBytes('01030442c80000'), 0xb56f], // Supmea 6000F manual, annex 1 example 1 (100.0), 6F B5
  ];
  for (const [bytes, crc] of vectors) assert.is(crc16Modbus(bytes).toString(16), crc.toString(16), bytesToHex(bytes));
});

test('the read request frames: address, 04 or 03, start, quantity, CRC low byte first', () => {
  assert.is(bytesToHex(readRegistersRequest(FunctionCode.readInputRegisters, 1, 0x0000, 2)), '01040000000271cb');
  assert.is(bytesToHex(readRegistersRequest(FunctionCode.readInputRegisters, 1, 0x0048, 2)), '010400480002f1dd');
  // SDM230-Modbus Protocol V1.1 §3.9.1: read 'Pulse output 1 Width', 01 03 00 0C 00 02 04 08.
  assert.is(bytesToHex(readRegistersRequest(FunctionCode.readHoldingRegisters, 1, 0x000c, 2)), '0103000c00020408');
});

test('a holding register answer as published decodes: §3.9.1, 01 03 04 42 C8 00 00 6F B5 = 100.0', () => {
  const parsed = parseReadAnswer(hexToBytes('01030442c800006fb5'));
  if (parsed.kind !== 'registers') throw new Error(parsed.kind);
  assert.is(new DataView(parsed.data.buffer, parsed.data.byteOffset).getFloat32(0, false), 100);
});

test('a captured SDM answer decodes to its documented 230.2 V', () => {
  // 01 04 04 43 66 33 34 1B 38: the answer to "read voltage" published with an SDM meter project
  // (wiki.marcluerssen.de, Projects:Modbus Meter); 0x43663334 is IEEE-754 for 230.2.
  const parsed = parseReadAnswer(hexToBytes('0104044366333 41b38'.replace(/ /g, '')));
  if (parsed.kind !== 'registers') throw new Error(parsed.kind);
  const volts = new DataView(parsed.data.buffer, parsed.data.byteOffset).getFloat32(0, false);
  assert.ok(Math.abs(volts - 230.2) < 1e-4);
  assert.is(sampleFromReadings(volts, 0, 0, 0).voltageMv, 230_200);
  assert.equal(parseReadAnswer(hexToBytes('01040443663334 1b39'.replace(/ /g, ''))), { kind: 'bad-crc' });
  assert.equal(parseReadAnswer(hexToBytes('018402c2c1')), { kind: 'exception', code: 2 });
});

test('one conversion: floats to whole mV, mA, W and Wh; exact Wh below 16,384 kWh', () => {
  const f32 = (x: number): number => Math.fround(x);
  assert.equal(sampleFromReadings(f32(230.2), f32(31.999), f32(7364.5), f32(1000.001)), { energyWh: 1_000_001, powerW: 7365, currentMa: 31_999, voltageMv: 230_200 });
  for (const wh of [0, 1, 999_999, 1_000_000, 8_388_607, 16_383_999]) assert.is(sampleFromReadings(0, 0, 0, f32(wh / 1000)).energyWh, wh, `${wh} Wh`);
  assert.is(sampleFromReadings(230, 0, f32(-0.4), 1).powerW, 0, 'export or noise reads 0 W');
  for (const bad of [[Number.NaN, 0, 0, 1], [230, -1, 0, 1], [230, 0, Number.POSITIVE_INFINITY, 1], [230, 0, 0, -0.001]]) {
    assert.throws(() => sampleFromReadings(bad[0]!, bad[1]!, bad[2]!, bad[3]!), (e: unknown) => e instanceof Sdm230Error && e.code === 'implausible');
  }
});

function rig(options: { baud?: number; tries?: number; serialNumber?: number } = {}) {
  const clock = new VirtualClock({ startMs: 0 });
  const time = new BusTime(clock);
  const wiring = new BoardWiring(time);
  const bus = new Rs485Bus();
  let reading: MeterSample = { energyWh: 1_000_000, powerW: 7360, currentMa: 32_000, voltageMv: 230_000 };
  const meter = new Sdm230Sim({ measure: () => reading, ...(options.serialNumber === undefined ? {} : { serialNumber: options.serialNumber }) });
  bus.attach(meter);
  wiring.connectSerial(2, bus.uart);
  wiring.connectDigital(4, bus.direction);
  const io = simulatedIo(wiring, {});
  const driver = new Sdm230({
    serial: { io: io.Serial, port: 2, receive: 16, transmit: 17, baud: options.baud ?? 9600 },
    direction: { io: io.Digital, pin: 4 },
    wait: time.wait,
    ...(options.tries ? { tries: options.tries } : {}),
  });
  return { clock, time, bus, meter, driver, set: (r: MeterSample) => (reading = r) };
}

test('a sample is the meter\'s own reading, in two exchanges of bus time at the configured baud', () => {
  const { time, meter, driver, set } = rig();
  const before = time.nowUs();
  assert.equal(driver.sample(), { energyWh: 1_000_000, powerW: 7360, currentMa: 32_000, voltageMv: 230_000 });
  assert.is(meter.requests, 2);
  const busMs = (time.nowUs() - before) / 1000;
  // 9600 baud: 8 + 33 bytes, then 8 + 9 bytes, two 20 ms meter latencies, 3.5-character gaps.
  assert.ok(busMs > 95 && busMs < 110, `${busMs} ms`);
  set({ energyWh: 16_383_999, powerW: 0, currentMa: 0, voltageMv: 229_870 });
  assert.equal(driver.sample(), { energyWh: 16_383_999, powerW: 0, currentMa: 0, voltageMv: 229_870 });
  const fast = rig({ baud: 38_400 });
  const start = fast.time.nowUs();
  fast.driver.sample();
  assert.ok((fast.time.nowUs() - start) / 1000 < busMs - 40, 'four times the baud: 40 ms less on the wire');
});

test('readSerialNumber: holding register FC00 as an unsigned 32-bit number, high word first, in one exchange', () => {
  const { meter, driver } = rig({ serialNumber: 0x8765_4321 });
  assert.is(driver.readSerialNumber(), 0x8765_4321, 'above 2^31: unsigned');
  assert.is(meter.requests, 1);
  assert.is(rig().driver.readSerialNumber(), 20_260_001, 'the simulation\'s default serial');
  assert.is(rig({ serialNumber: 0 }).driver.readSerialNumber(), 0);
});

test('readSerialNumber faults: retried when lost or corrupt, a clear Sdm230Error when it stays so', () => {
  const { meter, driver } = rig({ serialNumber: 12_345_678 });
  meter.inject('bad-crc', 1);
  assert.is(driver.readSerialNumber(), 12_345_678);
  meter.inject('no-answer');
  assert.throws(() => driver.readSerialNumber(), (e: unknown) => e instanceof Sdm230Error && e.code === 'no-answer');
  meter.inject('exception');
  assert.throws(() => driver.readSerialNumber(), (e: unknown) => e instanceof Sdm230Error && e.code === 'exception' && /exception 4 to a function 3 read of 2 registers at 0xfc00/.test(e.message));
  meter.clear();
  assert.is(driver.readSerialNumber(), 12_345_678);
});

const faults: { fault: Sdm230Fault | 'jammed'; code: Sdm230Error['code']; requests: number }[] = [
  { fault: 'no-answer', code: 'no-answer', requests: 3 },
  { fault: 'bad-crc', code: 'bad-crc', requests: 3 },
  { fault: 'exception', code: 'exception', requests: 1 },
  { fault: 'garbage', code: 'garbage', requests: 3 },
  { fault: 'reset', code: 'no-answer', requests: 1 },
  { fault: 'jammed', code: 'garbage', requests: 0 },
];

for (const { fault, code, requests } of faults) {
  test(`fault "${fault}": a clear Sdm230Error "${code}" after ${requests} request(s) reached the meter; then it reads again`, () => {
    const { clock, bus, meter, driver } = rig();
    if (fault === 'jammed') bus.jam();
    else meter.inject(fault);
    assert.throws(() => driver.sample(), (e: unknown) => e instanceof Sdm230Error && e.code === code && /^sdm230: /.test(e.message));
    assert.is(meter.requests, requests);
    bus.clear();
    meter.clear();
    clock.advance(2000); // past a reset's 1.5 s
    assert.is(driver.sample().energyWh, 1_000_000);
  });
}

test('a fault that clears within the tries is absorbed: one lost answer, one bad CRC', () => {
  const { meter, driver } = rig();
  meter.inject('no-answer', 1);
  assert.is(driver.sample().voltageMv, 230_000);
  meter.inject('bad-crc', 2);
  assert.is(driver.sample().voltageMv, 230_000);
  assert.is(meter.requests, 3 + 4, 'a retry per bad answer, then the energy register');
});

test('the meter\'s side follows the protocol: bad CRC and other addresses ignored, exceptions 01/02/03', () => {
  const meter = new Sdm230Sim({ measure: () => ({ energyWh: 0, powerW: 0, currentMa: 0, voltageMv: 0 }) });
  const withCrc = (hex: string): Uint8Array => {
    const body = hexToBytes(hex);
    const crc = crc16Modbus(body);
    return Uint8Array.of(...body, crc & 0xff, crc >>> 8);
  };
  const answer = (frame: Uint8Array): string | undefined => {
    const a = meter.frame(frame, 0);
    return a && bytesToHex(a.bytes.subarray(0, 3));
  };
  assert.is(answer(hexToBytes('01040000000271cc')), undefined, 'bad CRC');
  assert.is(answer(withCrc('020400000002')), undefined, 'another address');
  assert.is(answer(withCrc('010600000002')), '018601', 'function 06');
  assert.is(answer(withCrc('010401580002')), '018402', 'outside the map');
  assert.is(answer(withCrc('010400010002')), '018402', 'odd register');
  assert.is(answer(withCrc('01040000003e')), '018403', '31 parameters');
  assert.is(answer(withCrc('01040000003c')), '010478', '30 parameters');
  assert.is(answer(withCrc('0103fc000002')), '010304', 'holding FC00: the serial number');
  assert.is(answer(withCrc('0103fc010002')), '018302', 'holding, odd register');
  assert.is(answer(withCrc('0103fc000004')), '018302', 'holding, past the serial number');
  assert.is(answer(withCrc('0103fc000003')), '018303', 'holding, odd count');
  assert.is(answer(withCrc('0103fc000000')), '018303', 'holding, no registers');
  assert.is(answer(withCrc('010300480002')), '018302', 'holding address outside the modelled map');
  assert.throws(() => new Sdm230Sim({ measure: () => ({ energyWh: 0, powerW: 0, currentMa: 0, voltageMv: 0 }), serialNumber: 2 ** 32 }), /"serialNumber" expected an unsigned 32-bit integer/);
});

test('bad settings are refused', () => {
  const { driver } = rig();
  assert.throws(() => driver.configure({ address: 0 }), /"address" expected an integer in 1..247, got 0/);
  assert.throws(() => driver.configure({ tries: 0 }), /"tries"/);
  assert.throws(() => rig({ baud: 300 }), /"baud"/);
});

test.run();

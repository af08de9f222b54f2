// PN7160 service self-test (drivers/pn7160/self-test.ts) against the bus-level simulation of the
// chip: one CORE_GET_CONFIG round trip that leaves listen discovery running, refused during a tap,
// failing with the fault named when the chip is held in reset or off the bus, and a strict reading
// of the response.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { Pn7160 } from '../../drivers/pn7160/pn7160.ts';
import { parseGetConfigResponse, selfTestReport } from '../../drivers/pn7160/self-test.ts';
import type { NfcCardHandler } from '../../hal/types.ts';
import { Pn7160Sim } from '../../hal/sim/chips/pn7160.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { NfcFieldSim } from '../../hal/sim/nfc-field.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';
import { nciExchange } from './pn7160-sim-exchange.ts';

const bytes = (text: string): Uint8Array => hexToBytes(text.replace(/ /g, ''));
const select = bytes('00a4040007f001020304050600');
/** What the simulated chip reports in CORE_RESET_NTF: NCI 2.0, NXP (0x04), its model information. */
const report = 'NCI 2.0, mfr 04 1250051e, ISO-DEP set';

function rig() {
  const time = new BusTime(new VirtualClock({ startMs: 0 }));
  const wiring = new BoardWiring(time);
  const chip = new Pn7160Sim();
  const bus = wiring.i2cBus(21);
  bus.attach(0x28, chip);
  wiring.connectDigital(34, chip.irq);
  wiring.connectDigital(25, chip.ven);
  const field = new NfcFieldSim();
  field.setHandler(chip.antenna);
  const io = simulatedIo(wiring, {});
  const driver = new Pn7160({ i2c: { io: io.I2C, data: 21, clock: 22 }, irq: { io: io.Digital, pin: 34 }, ven: { io: io.Digital, pin: 25 }, wait: time.wait });
  const events: string[] = [];
  const card: NfcCardHandler = {
    onFieldOn: () => events.push('on'),
    onFieldOff: () => events.push('off'),
    onApdu: (command) => {
      events.push(`apdu ${command.length}`);
      return Uint8Array.of(0x90, 0x00);
    },
  };
  driver.setHandler(card);
  return { time, bus, chip, field, driver, events };
}

test('the simulated chip answers CORE_GET_CONFIG in any state after CORE_INIT, strictly', () => {
  const chip = new Pn7160Sim();
  chip.ven.drive(1, 0);
  const exchange = nciExchange(chip);
  assert.equal(exchange('2003020132'), ['40030104'], 'before CORE_RESET: STATUS_NOT_INITIALIZED');
  exchange('20000101');
  exchange('2001020000');
  assert.equal(exchange('2003020132'), ['4003050001320100'], 'LA_SEL_INFO not set yet: 0');
  assert.equal(exchange('20020401320120'), ['4002020000']);
  assert.equal(exchange('2003020132'), ['4003050001320120'], 'LA_SEL_INFO = ISO-DEP');
  assert.equal(exchange('210303018001'), ['41030100'], 'discovery');
  assert.equal(exchange('2003020132'), ['4003050001320120'], 'in discovery too');
  assert.is(chip.state, 'discovery', 'and it stays there');
  assert.equal(exchange('2003020100'), ['4003040901' + '0000'], 'TOTAL_DURATION is not readable here: named, length 0');
  assert.equal(exchange('200303013233'), ['40030105'], 'count disagrees with the IDs: STATUS_SYNTAX_ERROR');
  assert.equal(exchange('20030100'), ['40030105'], 'no parameters');
});

test('selfTest: one CORE_GET_CONFIG round trip, listen discovery undisturbed, taps work after', () => {
  const { chip, driver, field, events } = rig();
  const before = chip.commandLog.length;
  assert.is(driver.selfTest(), report);
  assert.ok(report.length <= 48, 'fits the console\'s detail text');
  assert.equal(chip.commandLog.slice(before), ['2003020132']);
  assert.is(driver.state, 'discovery');
  assert.is(chip.state, 'discovery');
  assert.is(chip.packetsRejected, 0);
  const tap = field.tap();
  assert.equal([...tap.transceive(select)], [0x90, 0x00]);
  tap.end();
  assert.equal(events, ['on', `apdu ${select.length}`, 'off']);
  driver.setHandler(undefined);
  assert.is(driver.state, 'idle');
  assert.is(driver.selfTest(), report, 'idle, no handler: the same');
});

test('selfTest is refused during a tap and sends nothing; the tap goes on', () => {
  const { chip, driver, field, events } = rig();
  const tap = field.tap();
  tap.transceive(select);
  const before = chip.commandLog.length;
  assert.throws(() => driver.selfTest(), /pn7160: a tap is in progress; no self-test during a tap/);
  assert.is(chip.commandLog.length, before);
  assert.equal([...tap.transceive(select)], [0x90, 0x00]);
  tap.end();
  assert.equal(events, ['on', `apdu ${select.length}`, `apdu ${select.length}`, 'off']);
  assert.is(driver.selfTest(), report);
});

test('selfTest fails naming the fault: chip held in reset (VEN low), chip off the bus; then passes again', () => {
  const { time, bus, chip, driver } = rig();
  bus.detach(0x28);
  assert.throws(() => driver.selfTest(), /pn7160: no answer to CORE_GET_CONFIG_CMD \(bus: I2C: sim\/i2c: no acknowledge from address 0x28\)/);
  assert.is(driver.state, 'discovery', 'nothing reset by a failed test');
  bus.attach(0x28, chip);
  assert.is(driver.selfTest(), report);
  chip.ven.drive(0, time.nowUs()); // VEN held low: the chip is off and acknowledges nothing
  assert.throws(() => driver.selfTest(), /no acknowledge from address 0x28/);
  driver.configure(); // the way back: set up again from VEN
  assert.is(driver.selfTest(), report);
  driver.close();
  assert.throws(() => driver.selfTest(), /pn7160: closed/);
});

test('selfTestReport reads the response strictly and names what is wrong', () => {
  const identity = { nciVersion: 0x20, manufacturerId: 0x04, manufacturerInfo: bytes('1250051e') };
  assert.is(selfTestReport(identity, bytes('00 01 32 01 20')), report);
  assert.is(selfTestReport({ ...identity, manufacturerInfo: bytes('0102030405') }, bytes('00 01 32 01 60')), 'NCI 2.0, mfr 04 01020304, ISO-DEP set');
  const cases: [string, RegExp][] = [
    ['00 01 32 01 00', /LA_SEL_INFO reads 0x00, not ISO-DEP: the controller lost its set-up/],
    ['09 01 32 00', /answered status 0x9/],
    ['00 01 32 02 20 00', /does not hold LA_SEL_INFO alone/],
    ['00 01 00 01 20', /does not hold LA_SEL_INFO alone/],
    ['00 02 32 01 20', /ends inside parameter 1/],
    ['00 01 32 01 20 ff', /1 bytes after its parameters/],
    ['00', /has no status and count/],
  ];
  for (const [payload, error] of cases) assert.throws(() => selfTestReport(identity, bytes(payload)), error, payload);
  assert.equal(parseGetConfigResponse(bytes('09 01 00 00')), { status: 9, parameters: [{ id: 0, value: new Uint8Array(0) }] });
});

test.run();

// HD44780 + PCF8574 display driver on the simulated I2C bus, expander and controller: the
// datasheet's 4-bit initialisation, rows at their DDRAM addresses, only changed rows rewritten,
// the status LED colours, and recovery from a controller reset, a missing backpack and a wedged bus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Hd44780, Hd44780Error } from '../../drivers/hd44780/hd44780.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { Hd44780Sim } from '../../hal/sim/chips/hd44780.ts';
import { Pcf8574Sim } from '../../hal/sim/chips/pcf8574.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';

function rig() {
  const time = new BusTime(new VirtualClock({ startMs: 0 }));
  const wiring = new BoardWiring(time);
  const lcd = new Hd44780Sim();
  const expander = new Pcf8574Sim(lcd, { hz: 100_000 });
  const bus = wiring.i2cBus(21);
  bus.attach(0x27, expander);
  const led: Record<number, 0 | 1> = {};
  for (const pin of [18, 19, 23]) wiring.connectDigital(pin, { drive: (level) => (led[pin] = level) });
  const io = simulatedIo(wiring, {});
  const driver = new Hd44780({ i2c: { io: io.I2C, data: 21, clock: 22, address: 0x27 }, led: { io: io.Digital, red: 18, green: 19, blue: 23 }, wait: time.wait });
  return { time, bus, lcd, expander, driver, led: () => [led[18], led[19], led[23]] };
}

const screen = ['Pile 50a1e00000000017', 'Depot 4, bay 2', '$0.35/kWh $0.60/h', 'Tap your phone'];

test('the first show initialises the controller (Figure 24) and puts each row at its DDRAM address', () => {
  const { lcd, driver } = rig();
  assert.equal(lcd.text(), ['', '', '', ''], 'display off at power-on');
  driver.show(screen, 'idle');
  assert.equal(lcd.text(), ['Pile 50a1e0000000001', 'Depot 4, bay 2      ', '$0.35/kWh $0.60/h   ', 'Tap your phone      ']);
  assert.is(lcd.lost, 0, 'no instruction arrived while the controller was busy');
  assert.ok(lcd.backlight);
});

test('only changed rows are rewritten; missing rows are blank; A00 look-alikes for \\ and ~', () => {
  const { time, lcd, driver } = rig();
  driver.show(screen, 'idle');
  const full = time.nowUs();
  driver.show([screen[0]!, screen[1]!, screen[2]!, 'Tap ~ again \\o/'], 'idle');
  const oneRowUs = time.nowUs() - full;
  assert.equal(lcd.text()[3], 'Tap - again /o/     ');
  const start = time.nowUs();
  driver.show(screen, 'idle');
  assert.ok(oneRowUs < 10_000 && time.nowUs() - start === oneRowUs, `${oneRowUs} µs for one row at 100 kHz`);
  driver.show(['Receipt 12'], 'idle');
  assert.equal(lcd.text(), ['Receipt 12          ', '                    ', '                    ', '                    ']);
  assert.throws(() => driver.show(['a', 'b', 'c', 'd', 'e'], 'idle'), /at most 4 rows/);
  assert.throws(() => driver.show(['caf\u00e9'], 'idle'), /not printable ASCII/);
});

test('the status LED shows the status colour', () => {
  const { driver, led } = rig();
  const colours: [Parameters<Hd44780['show']>[1], (0 | 1)[]][] = [['idle', [0, 1, 0]], ['busy', [0, 0, 1]], ['charging', [0, 1, 1]], ['attention', [1, 1, 0]], ['fault', [1, 0, 0]]];
  for (const [status, rgb] of colours) {
    driver.show(['x'], status);
    assert.equal(led(), rgb, status);
  }
});

test('a controller reset (brown-out of the backpack) is found by the address read-back and repaired', () => {
  const { lcd, expander, driver } = rig();
  driver.show(screen, 'idle');
  expander.reset();
  driver.show(['Charging', screen[1]!, screen[2]!, screen[3]!], 'charging');
  assert.equal(lcd.text()[0], 'Charging            ');
  assert.equal(lcd.text()[3], 'Tap your phone      ', 'the whole screen is rewritten after the new initialisation');
});

test('a missing backpack or a wedged bus is a clear fault; the next show after it heals initialises again', () => {
  const { bus, expander, lcd, driver } = rig();
  driver.show(screen, 'idle');
  bus.wedge();
  assert.throws(() => driver.show(['Charging'], 'charging'), (e: unknown) => e instanceof Hd44780Error && /^hd44780: I2C: sim\/i2c: bus busy \(SDA held low\)$/.test(e.message));
  bus.release();
  expander.reset(); // whatever state the fault left
  driver.show(['Charging'], 'charging');
  assert.equal(lcd.text()[0], 'Charging            ');
  bus.detach(0x27);
  assert.throws(() => driver.show(['Receipt'], 'idle'), /no acknowledge from address 0x27/);
});

test.run();

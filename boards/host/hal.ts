// The host board: board v1's wiring (boards/esp32_pile_v1/board.ts) with every bus simulated at
// the level the drivers see it — Modbus frames on the RS-485 bus, GPIO levels, PWM values, ADC
// codes, I2C bytes into the PCF8574 — by chip simulations driven by the physical models of a
// simulated pile (hal/sim: charging circuit, contactor, control pilot). The same drivers as on the
// ESP32 turn them into the PileHal. The NFC controller (PN7160) sits in the simulated pile's RF
// field, where the phones tap; the secure element (SE050) holds the pile's key, or none yet (blank,
// as from the factory). Clock, RNG and the USB service port (when it has one) are the simulated
// pile's own.
// Runs in Node, in xsnap and in the native Moddable build (x-cli-lin).
import type { PileHal } from '../../hal/types.ts';
import type { FlashStorage } from '../../drivers/flash-partition/flash-partition.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { type SimulatedIo, simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring, type I2cBus } from '../../hal/sim/io/wiring.ts';
import { ContactorWiring } from '../../hal/sim/chips/contactor-wiring.ts';
import { Hd44780Sim } from '../../hal/sim/chips/hd44780.ts';
import { Pcf8574Sim } from '../../hal/sim/chips/pcf8574.ts';
import { PilotFrontend } from '../../hal/sim/chips/pilot-frontend.ts';
import { Rs485Bus } from '../../hal/sim/chips/rs485-bus.ts';
import { Sdm230Sim } from '../../hal/sim/chips/sdm230.ts';
import { Pn7160Sim } from '../../hal/sim/chips/pn7160.ts';
import { Se050Sim } from '../../hal/sim/chips/se050.ts';
import { SE050_PILE_KEY_ID } from '../../drivers/se050/se050.ts';
import type { SimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { type PileBoardDrivers, assemblePileHal, closePileBoard } from '../pile-board.ts';
import { pileBoardV1 } from '../esp32_pile_v1/board.ts';

/** The chip simulations, for tests to look at and to break. */
export type HostBoardChips = {
  rs485: Rs485Bus;
  meter: Sdm230Sim;
  contactor: ContactorWiring;
  pilot: PilotFrontend;
  i2c: I2cBus;
  expander: Pcf8574Sim;
  lcd: Hd44780Sim;
  nfc: Pn7160Sim;
  secureElement: Se050Sim;
};

export type HostBoard = {
  hal: PileHal;
  drivers: PileBoardDrivers;
  chips: HostBoardChips;
  time: BusTime;
  /** The board's IO classes (what `embedded:io/*` and `embedded:storage/flash` are here). */
  io: Omit<SimulatedIo, 'flash'> & { flash: FlashStorage };
  /** Close the drivers and open them again, as a reboot does (the chips keep their state). */
  restart(): void;
};

export type HostBoardOptions = {
  /** The 32-byte RFC 8032 secret key the SE050 was made to generate earlier (the pile's key); absent: a blank SE050. */
  pileSecretKey?: Uint8Array;
  /**
   * The board's `embedded:storage/flash` (default: the simulated pile's flash as the journal
   * partition; the native build can give partitions in files, flash-file.ts).
   */
  storage?: FlashStorage;
};

export function createHostBoard(pile: SimulatedPile, options: HostBoardOptions = {}): HostBoard {
  const table = pileBoardV1;
  const time = new BusTime(pile.clock);
  const wiring = new BoardWiring(time);
  const rs485 = new Rs485Bus();
  const meter = new Sdm230Sim({ measure: () => pile.circuit.meter.sample(), serialNumber: pile.circuit.meter.readSerialNumber(), address: table.meter.address });
  rs485.attach(meter);
  wiring.connectSerial(table.meter.port, rs485.uart);
  wiring.connectDigital(table.meter.direction, rs485.direction);
  const contactor = new ContactorWiring(pile.contactor);
  wiring.connectDigital(table.contactor.coil, contactor.coil);
  wiring.connectDigital(table.contactor.auxiliary, contactor.auxiliary);
  const pilot = new PilotFrontend({ pilot: pile.pilot, lowMv: table.pilot.lowMv, highMv: table.pilot.highMv });
  wiring.connectPwm(table.pilot.pwm, pilot.pwm);
  wiring.connectAnalog(table.pilot.sense, pilot.sense);
  const lcd = new Hd44780Sim({ rows: table.display.rows, columns: table.display.columns });
  const expander = new Pcf8574Sim(lcd, { hz: table.display.hz });
  const i2c = wiring.i2cBus(table.display.data);
  i2c.attach(table.display.address, expander);
  const nfc = new Pn7160Sim();
  i2c.attach(table.nfc.address, nfc);
  wiring.connectDigital(table.nfc.irq, nfc.irq);
  wiring.connectDigital(table.nfc.ven, nfc.ven);
  pile.nfc.setHandler(nfc.antenna);
  const { pileSecretKey } = options;
  const secureElement = new Se050Sim({ hz: table.secureElement.hz, ...(pileSecretKey ? { preloadedKey: { objectId: SE050_PILE_KEY_ID, secretKey: pileSecretKey } } : {}) });
  i2c.attach(table.secureElement.address, secureElement);
  wiring.connectDigital(table.secureElement.enable, secureElement.enableLine);
  const simulated = simulatedIo(wiring, { [table.journal.partition]: pile.flash });
  const io = { ...simulated, flash: options.storage ?? simulated.flash };
  const services = { clock: pile.clock, random: pile.hal.random, wait: time.wait };
  const servicePort = pile.hal.servicePort ? { servicePort: pile.hal.servicePort } : {};
  const assembled = assemblePileHal(io, table, services);
  const board: HostBoard = {
    drivers: assembled.drivers,
    hal: { ...assembled.hal, ...servicePort },
    chips: { rs485, meter, contactor, pilot, i2c, expander, lcd, nfc, secureElement },
    time,
    io,
    restart() {
      closePileBoard(board.drivers);
      const rebuilt = assemblePileHal(io, table, services);
      board.drivers = rebuilt.drivers;
      Object.assign(board.hal, rebuilt.hal);
    },
  };
  return board;
}

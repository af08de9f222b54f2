// What every pile board is made of: a pin and bus table, ECMA-419 IO classes (the real
// `embedded:io/*` on a device, their simulations on the host board) and a few platform services,
// assembled into the PileHal the firmware runs on. A board adds its table and its services; the
// drivers and this assembly are the same on every board.
import type { Clock, PileHal, Random } from '../hal/types.ts';
import { Contactor, type DigitalIoClass as ContactorDigital } from '../drivers/contactor/contactor.ts';
import { type AnalogIoClass, ControlPilot, type PwmIoClass } from '../drivers/control-pilot/control-pilot.ts';
import { FlashPartition, type FlashStorage } from '../drivers/flash-partition/flash-partition.ts';
import { Hd44780, type DigitalIoClass as DisplayDigital, type I2cIoClass } from '../drivers/hd44780/hd44780.ts';
import { type DigitalIoClass as MeterDigital, Sdm230, type SerialIoClass } from '../drivers/sdm230/sdm230.ts';
import { type DigitalIoClass as SecureElementDigital, Se050 } from '../drivers/se050/se050.ts';
import { type DigitalIoClass as NfcDigital, Pn7160 } from '../drivers/pn7160/pn7160.ts';

/** A board's wiring: which pin or bus each chip sits on, and the chips' settings. */
export type PileBoardTable = Readonly<{
  /** Eastron SDM230-Modbus on RS-485: UART port and pins, transceiver direction pin, Modbus address. */
  meter: Readonly<{ port: number; receive: number; transmit: number; baud: number; direction: number; address: number }>;
  /** Contactor coil driver and auxiliary contact input. */
  contactor: Readonly<{ coil: number; auxiliary: number }>;
  /** Control pilot PWM output, CP sense ADC input and the divider's range (mV at code 0 and at the top code). */
  pilot: Readonly<{ pwm: number; sense: number; lowMv: number; highMv: number; samples: number }>;
  /** HD44780 20 × 4 behind a PCF8574 on I2C, and the RGB status LED pins. */
  display: Readonly<{ data: number; clock: number; hz: number; address: number; rows: 2 | 4; columns: 16 | 20; led: Readonly<{ red: number; green: number; blue: number }> }>;
  /** The journal's flash partition (partitions.csv label). */
  journal: Readonly<{ partition: string }>;
  /** NXP PN7160 NFC controller (ISO-DEP card emulation) on I2C, its IRQ input and VEN pin: the pile's NFC card. */
  nfc: Readonly<{ data: number; clock: number; hz: number; address: number; irq: number; ven: number }>;
  /** NXP SE050 (C or E: the variants with Ed25519) on I2C, and its ENA pin: the pile's key store. */
  secureElement: Readonly<{ data: number; clock: number; hz: number; address: number; enable: number }>;
  /** The service console's serial port (USB-CDC or a USB-UART bridge): UART port, pins and baud. */
  servicePort: Readonly<{ port: number; receive: number; transmit: number; baud: number }>;
}>;

/** The ECMA-419 classes the drivers open (`embedded:io/*`, and `embedded:storage/flash`'s default export). */
export type PileBoardIo = {
  Serial: SerialIoClass;
  Digital: MeterDigital & ContactorDigital & DisplayDigital & SecureElementDigital & NfcDigital;
  PWM: PwmIoClass;
  Analog: AnalogIoClass;
  I2C: I2cIoClass;
  flash: FlashStorage;
};

/** What the platform gives beside the buses. */
export type PileBoardServices = {
  clock: Clock;
  random: Random;
  /** Blocking delay in ms, for the drivers' bus timing (Moddable `Timer.delay`). */
  wait: (ms: number) => void;
};

export type PileBoardDrivers = { meter: Sdm230; contactor: Contactor; pilot: ControlPilot; display: Hd44780; flash: FlashPartition; nfc: Pn7160; secureElement: Se050 };

export function assemblePileHal(io: PileBoardIo, table: PileBoardTable, services: PileBoardServices): { hal: PileHal; drivers: PileBoardDrivers } {
  const { wait } = services;
  const { meter, contactor, pilot, display, journal, nfc, secureElement } = table;
  const drivers: PileBoardDrivers = {
    meter: new Sdm230({
      serial: { io: io.Serial, port: meter.port, receive: meter.receive, transmit: meter.transmit, baud: meter.baud },
      direction: { io: io.Digital, pin: meter.direction },
      address: meter.address,
      wait,
    }),
    contactor: new Contactor({ coil: { io: io.Digital, pin: contactor.coil }, auxiliary: { io: io.Digital, pin: contactor.auxiliary }, wait }),
    pilot: new ControlPilot({
      pwm: { io: io.PWM, pin: pilot.pwm },
      sense: { io: io.Analog, pin: pilot.sense, lowMv: pilot.lowMv, highMv: pilot.highMv, samples: pilot.samples },
    }),
    display: new Hd44780({
      i2c: { io: io.I2C, data: display.data, clock: display.clock, hz: display.hz, address: display.address },
      led: { io: io.Digital, ...display.led },
      rows: display.rows,
      columns: display.columns,
      wait,
    }),
    flash: new FlashPartition({ storage: io.flash, path: journal.partition }),
    nfc: new Pn7160({
      i2c: { io: io.I2C, data: nfc.data, clock: nfc.clock, hz: nfc.hz, address: nfc.address },
      irq: { io: io.Digital, pin: nfc.irq },
      ven: { io: io.Digital, pin: nfc.ven },
      wait,
    }),
    secureElement: new Se050({
      i2c: { io: io.I2C, data: secureElement.data, clock: secureElement.clock, hz: secureElement.hz, address: secureElement.address },
      enable: { io: io.Digital, pin: secureElement.enable },
      wait,
    }),
  };
  const hal: PileHal = {
    clock: services.clock,
    flash: drivers.flash,
    contactor: drivers.contactor,
    pilot: drivers.pilot,
    meter: drivers.meter,
    display: drivers.display,
    nfc: drivers.nfc,
    keyStore: drivers.secureElement,
    random: services.random,
  };
  return { hal, drivers };
}

/** Close every driver (the board is going down, or is being rebuilt after a simulated power cut). */
export function closePileBoard(drivers: PileBoardDrivers): void {
  drivers.meter.close();
  drivers.contactor.close();
  drivers.pilot.close();
  drivers.display.close();
  drivers.flash.close();
  drivers.nfc.close();
  drivers.secureElement.close();
}

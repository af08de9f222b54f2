// SIMULATION of a board's wiring: what is at the other end of each UART port, GPIO, PWM output,
// ADC input and I2C address. The simulated ECMA-419 classes (simulated-io.ts) look their pin or
// port up here when a driver opens it, as a real pin is soldered to whatever the board put there.
import type { BusTime } from './bus-time.ts';

/** A UART's far side: the MCU transmits at bus time `atUs`; `receive` answers what arrived by `untilUs`. */
export interface SerialLine {
  transmit(bytes: Uint8Array, atUs: number, characterUs: number): void;
  receive(untilUs: number): Uint8Array;
}

/** What a GPIO is wired to: an output drives it, an input reads its level. */
export interface DigitalLine {
  drive?(level: 0 | 1, atUs: number): void;
  level?(atUs: number): 0 | 1;
}

export interface PwmLine {
  drive(value: number, resolution: number, hz: number): void;
}

export interface AnalogLine {
  /** The ADC code read now, 0..2^resolution − 1. */
  code(resolution: number, atUs: number): number;
}

/** A device on an I2C bus: throws `I2cNoAcknowledge` to refuse a transfer. */
export interface I2cDevice {
  write(bytes: Uint8Array, atUs: number): void;
  read(byteLength: number, atUs: number): Uint8Array;
}

export class I2cNoAcknowledge extends Error {
  override readonly name = 'I2cNoAcknowledge';
  constructor(address: number) {
    super(`sim/i2c: no acknowledge from address 0x${address.toString(16)}`);
  }
}

/** One I2C bus (its SDA pin names it), with the devices on it. */
export class I2cBus {
  readonly #devices = new Map<number, I2cDevice>();
  #wedged = false;

  attach(address: number, device: I2cDevice): void {
    if (this.#devices.has(address)) throw new Error(`sim/i2c: address 0x${address.toString(16)} is taken`);
    this.#devices.set(address, device);
  }

  detach(address: number): void {
    this.#devices.delete(address);
  }

  /** Fault: a device holds SDA low (a transfer cut by a reset): every transfer fails until `release`. */
  wedge(): void {
    this.#wedged = true;
  }

  release(): void {
    this.#wedged = false;
  }

  device(address: number): I2cDevice {
    if (this.#wedged) throw new Error('sim/i2c: bus busy (SDA held low)');
    const device = this.#devices.get(address);
    if (!device) throw new I2cNoAcknowledge(address);
    return device;
  }
}

export class BoardWiring {
  readonly time: BusTime;
  readonly #serial = new Map<number, SerialLine>();
  readonly #digital = new Map<number, DigitalLine>();
  readonly #pwm = new Map<number, PwmLine>();
  readonly #analog = new Map<number, AnalogLine>();
  readonly #i2c = new Map<number, I2cBus>();
  readonly #open = new Set<string>();

  constructor(time: BusTime) {
    this.time = time;
  }

  connectSerial(port: number, line: SerialLine): void {
    this.#serial.set(port, line);
  }

  connectDigital(pin: number, line: DigitalLine): void {
    this.#digital.set(pin, line);
  }

  connectPwm(pin: number, line: PwmLine): void {
    this.#pwm.set(pin, line);
  }

  connectAnalog(pin: number, line: AnalogLine): void {
    this.#analog.set(pin, line);
  }

  /** The I2C bus on SDA pin `data` (created on first use). */
  i2cBus(data: number): I2cBus {
    let bus = this.#i2c.get(data);
    if (!bus) this.#i2c.set(data, (bus = new I2cBus()));
    return bus;
  }

  serial(port: number): SerialLine | undefined {
    return this.#serial.get(port);
  }

  digital(pin: number): DigitalLine | undefined {
    return this.#digital.get(pin);
  }

  pwm(pin: number): PwmLine | undefined {
    return this.#pwm.get(pin);
  }

  analog(pin: number): AnalogLine | undefined {
    return this.#analog.get(pin);
  }

  /** Claim a pin or port for one open instance, as the ESP32 host does ("in use"). */
  claim(resource: string): void {
    if (this.#open.has(resource)) throw new Error(`sim/io: ${resource} in use`);
    this.#open.add(resource);
  }

  release(resource: string): void {
    this.#open.delete(resource);
  }
}

// SIMULATION of a TI/NXP PCF8574 remote 8-bit I/O expander on I2C (TI SCPS068J §8.3): each byte
// written sets the 8 quasi-bidirectional pins P0–P7 (one byte time apart on the bus); a read returns
// the pins' levels, where a pin written 1 is a weak pull-up that reads what the attached device
// drives. Power-on state: all pins high (§8.3.2).
// Fault: `reset()` — a brown-out: pins back to high, and the attached device is reset with it.
import type { I2cDevice } from '../io/wiring.ts';

/** What is soldered to P0–P7. */
export interface PortDevice {
  /** The expander set its pins to `port` at bus time `atUs`. */
  pins(port: number, atUs: number): void;
  /** Levels the device drives on the pins (1 where it drives nothing), at `atUs`. */
  driven(atUs: number): number;
  powerOnReset(): void;
}

export class Pcf8574Sim implements I2cDevice {
  readonly #device: PortDevice;
  readonly #byteUs: number;
  #port = 0xff;

  constructor(device: PortDevice, options: { hz: number }) {
    this.#device = device;
    this.#byteUs = (9 * 1_000_000) / options.hz;
  }

  write(bytes: Uint8Array, atUs: number): void {
    bytes.forEach((value, i) => {
      this.#port = value;
      this.#device.pins(value, atUs + i * this.#byteUs);
    });
  }

  read(byteLength: number, atUs: number): Uint8Array {
    return Uint8Array.from({ length: byteLength }, () => this.#port & this.#device.driven(atUs));
  }

  reset(): void {
    this.#port = 0xff;
    this.#device.powerOnReset();
  }
}

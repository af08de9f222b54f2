// SIMULATION of ECMA-419 `embedded:io/i2c` (one target address per instance) on a simulated board.
// A transfer takes 9 clocks per byte (8 bits and the acknowledge) plus the address byte at `hz`;
// a device that does not acknowledge, or a wedged bus, makes it throw as the ESP32 host does.
import type { BoardWiring, I2cBus } from './wiring.ts';

export type I2cOptions = { data: number; clock: number; hz: number; address: number };

export function simulatedI2c(wiring: BoardWiring) {
  return class I2C {
    readonly #bus: I2cBus;
    readonly #address: number;
    readonly #hz: number;
    #open = true;

    constructor(options: I2cOptions) {
      const { data, hz, address } = options;
      if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw new RangeError(`sim/i2c: invalid address ${address}`);
      if (!Number.isInteger(hz) || hz <= 0 || hz > 1_000_000) throw new RangeError(`sim/i2c: invalid hz ${hz}`);
      this.#bus = wiring.i2cBus(data);
      this.#address = address;
      this.#hz = hz;
    }

    get format(): 'buffer' {
      return 'buffer';
    }

    write(buffer: ArrayBuffer | ArrayBufferView, _stop?: boolean): void {
      this.#check();
      const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const atUs = this.#transfer(bytes.length);
      this.#bus.device(this.#address).write(bytes.slice(), atUs);
    }

    read(byteLength: number, _stop?: boolean): ArrayBuffer {
      this.#check();
      if (!Number.isInteger(byteLength) || byteLength < 0) throw new RangeError(`sim/i2c: invalid byteLength ${byteLength}`);
      const atUs = this.#transfer(byteLength);
      return this.#bus.device(this.#address).read(byteLength, atUs).slice().buffer;
    }

    close(): void {
      this.#open = false;
    }

    /** Spend the transfer's time on the bus; answers when its data bytes began. */
    #transfer(bytes: number): number {
      const startUs = wiring.time.nowUs() + (9 * 1_000_000) / this.#hz;
      wiring.time.spendUs(((1 + bytes) * 9 * 1_000_000) / this.#hz);
      return startUs;
    }

    #check(): void {
      if (!this.#open) throw new Error('sim/i2c: closed');
    }
  };
}

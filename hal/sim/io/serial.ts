// SIMULATION of ECMA-419 `embedded:io/serial` (format "buffer") on a simulated board: `write`
// hands the bytes to whatever is wired to the port at the present bus time (the UART sends them
// on its own, one character time apart); `read` returns what has arrived by now.
import type { BoardWiring, SerialLine } from './wiring.ts';

export type SerialOptions = { port: number; receive: number; transmit: number; baud: number; format?: 'buffer' | 'number' };

/** 8 data bits, no parity, 1 stop bit. */
const bitsPerCharacter = 10;

export function simulatedSerial(wiring: BoardWiring) {
  return class Serial {
    readonly #line: SerialLine;
    readonly #characterUs: number;
    readonly #resource: string;
    #open = true;

    constructor(options: SerialOptions) {
      const { port, baud } = options;
      if ((options.format ?? 'buffer') !== 'buffer') throw new RangeError('sim/serial: only format "buffer" is simulated');
      if (!Number.isInteger(baud) || baud <= 0) throw new RangeError(`sim/serial: invalid baud ${baud}`);
      const line = wiring.serial(port);
      if (!line) throw new Error(`sim/serial: nothing on port ${port}`);
      this.#resource = `serial port ${port}`;
      wiring.claim(this.#resource);
      this.#line = line;
      this.#characterUs = (bitsPerCharacter * 1_000_000) / baud;
    }

    get format(): 'buffer' {
      return 'buffer';
    }

    write(value: ArrayBuffer | ArrayBufferView): void {
      this.#check();
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      this.#line.transmit(bytes.slice(), wiring.time.nowUs(), this.#characterUs);
    }

    read(): ArrayBuffer | undefined {
      this.#check();
      const bytes = this.#line.receive(wiring.time.nowUs());
      return bytes.length === 0 ? undefined : bytes.slice().buffer;
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      wiring.release(this.#resource);
    }

    #check(): void {
      if (!this.#open) throw new Error('sim/serial: closed');
    }
  };
}

// SIMULATION of ECMA-419 `embedded:io/analog` on a simulated board: `read()` returns the code the
// ADC converts now (12 bits, as the ESP32's SAR ADC), one conversion taking `conversionUs` of bus time.
import type { AnalogLine, BoardWiring } from './wiring.ts';

export type AnalogOptions = { pin: number; resolution?: number };

const conversionUs = 50;

export function simulatedAnalog(wiring: BoardWiring) {
  return class Analog {
    readonly resolution: number;
    readonly #pin: number;
    readonly #line: AnalogLine;
    #open = true;

    constructor(options: AnalogOptions) {
      const { pin, resolution = 12 } = options;
      if (!Number.isInteger(resolution) || resolution < 1 || resolution > 16) throw new RangeError(`sim/analog: invalid resolution ${resolution}`);
      const line = wiring.analog(pin);
      if (!line) throw new Error(`sim/analog: nothing on pin ${pin}`);
      wiring.claim(`pin ${pin}`);
      this.#pin = pin;
      this.#line = line;
      this.resolution = resolution;
    }

    get format(): 'number' {
      return 'number';
    }

    read(): number {
      if (!this.#open) throw new Error(`sim/analog: pin ${this.#pin} closed`);
      wiring.time.spendUs(conversionUs);
      return this.#line.code(this.resolution, wiring.time.nowUs());
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      wiring.release(`pin ${this.#pin}`);
    }
  };
}

// SIMULATION of ECMA-419 `embedded:io/digital` on a simulated board (mode constants as Moddable's
// ESP32 host numbers them). An output drives what the pin is wired to; an input reads its level,
// or the pull resistor's level when nothing drives it.
import type { BoardWiring, DigitalLine } from './wiring.ts';

export type DigitalOptions = { pin: number; mode: number };

const Mode = Object.freeze({ Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9 });

export function simulatedDigital(wiring: BoardWiring) {
  return class Digital {
    static readonly Input = Mode.Input;
    static readonly InputPullUp = Mode.InputPullUp;
    static readonly InputPullDown = Mode.InputPullDown;
    static readonly InputPullUpDown = Mode.InputPullUpDown;
    static readonly Output = Mode.Output;
    static readonly OutputOpenDrain = Mode.OutputOpenDrain;

    readonly #pin: number;
    readonly #mode: number;
    readonly #line: DigitalLine | undefined;
    #level: 0 | 1 = 0;
    #open = true;

    constructor(options: DigitalOptions) {
      const { pin, mode } = options;
      if (!(Object.values(Mode) as number[]).includes(mode)) throw new RangeError(`sim/digital: invalid mode ${mode}`);
      wiring.claim(`pin ${pin}`);
      this.#pin = pin;
      this.#mode = mode;
      this.#line = wiring.digital(pin);
    }

    get format(): 'number' {
      return 'number';
    }

    write(value: 0 | 1): void {
      this.#check();
      if (this.#mode !== Mode.Output && this.#mode !== Mode.OutputOpenDrain) throw new Error(`sim/digital: pin ${this.#pin} is an input`);
      if (value !== 0 && value !== 1) throw new RangeError(`sim/digital: invalid value ${String(value)}`);
      this.#level = value;
      this.#line?.drive?.(value, wiring.time.nowUs());
    }

    read(): 0 | 1 {
      this.#check();
      if (this.#mode === Mode.Output) return this.#level;
      const driven = this.#line?.level?.(wiring.time.nowUs());
      if (driven !== undefined) return driven;
      return this.#mode === Mode.InputPullUp ? 1 : 0;
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      wiring.release(`pin ${this.#pin}`);
    }

    #check(): void {
      if (!this.#open) throw new Error(`sim/digital: pin ${this.#pin} closed`);
    }
  };
}

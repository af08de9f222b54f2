// SIMULATION of ECMA-419 `embedded:io/pwm` on a simulated board: `write(value)` sets the duty as
// value / (2^resolution − 1) at `hz` (the ESP32 LEDC timer, 10-bit resolution by default).
import type { BoardWiring, PwmLine } from './wiring.ts';

export type PwmOptions = { pin: number; hz?: number; resolution?: number };

export function simulatedPwm(wiring: BoardWiring) {
  return class PWM {
    readonly resolution: number;
    readonly hz: number;
    readonly #pin: number;
    readonly #line: PwmLine;
    #open = true;

    constructor(options: PwmOptions) {
      const { pin, hz = 1024, resolution = 10 } = options;
      if (!Number.isInteger(resolution) || resolution < 1 || resolution > 16) throw new RangeError(`sim/pwm: invalid resolution ${resolution}`);
      if (!Number.isInteger(hz) || hz <= 0) throw new RangeError(`sim/pwm: invalid hz ${hz}`);
      const line = wiring.pwm(pin);
      if (!line) throw new Error(`sim/pwm: nothing on pin ${pin}`);
      wiring.claim(`pin ${pin}`);
      this.#pin = pin;
      this.#line = line;
      this.resolution = resolution;
      this.hz = hz;
    }

    get format(): 'number' {
      return 'number';
    }

    write(value: number): void {
      if (!this.#open) throw new Error(`sim/pwm: pin ${this.#pin} closed`);
      if (!Number.isInteger(value) || value < 0 || value > 2 ** this.resolution - 1) throw new RangeError(`sim/pwm: invalid value ${value}`);
      this.#line.drive(value, this.resolution, this.hz);
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      wiring.release(`pin ${this.#pin}`);
    }
  };
}

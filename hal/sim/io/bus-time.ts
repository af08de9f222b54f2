// SIMULATION of time as the board's buses see it, in µs. The pile's clock (hal/sim/virtual-clock)
// moves only between timer callbacks; inside one, a driver's blocking waits and the bytes it
// clocks out still take time on a real board. Bus time is the virtual clock's time plus what the
// waits and transfers since it last moved have used, and never goes backwards.
import type { Clock } from '../../types.ts';

export class BusTime {
  readonly #clock: Pick<Clock, 'nowMs'>;
  #us = 0;

  constructor(clock: Pick<Clock, 'nowMs'>) {
    this.#clock = clock;
  }

  nowUs(): number {
    this.#us = Math.max(this.#us, this.#clock.nowMs() * 1000);
    return this.#us;
  }

  /** Time spent on the bus (a transfer) or in a blocking wait. */
  spendUs(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError(`sim/bus-time: "us" expected a non-negative number, got ${us}`);
    this.#us = this.nowUs() + Math.ceil(us);
  }

  /** A driver's blocking delay (what Moddable's `Timer.delay` is on the board). */
  readonly wait = (ms: number): void => {
    if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`sim/bus-time: "ms" expected a non-negative integer, got ${ms}`);
    this.spendUs(ms * 1000);
  };
}

// SIMULATION of an AC main contactor with an auxiliary (mirror) contact, e.g. a 2-pole 40 A EV
// contactor with a 1 NO auxiliary block. The main contacts follow the coil after `actuationMs`
// (0 = at once); the auxiliary contact mirrors the main contacts.
// Faults: `weld()` — the main contacts stay closed once closed, whatever the coil does (the aux
// contact, mechanically linked, keeps reporting closed); `loseFeedback()` — the auxiliary
// contact reads open whatever the main contacts do (broken wire or aux block).
import type { Clock, Contactor, TimerId } from '../types.ts';

export type ContactorOptions = {
  /** Delay between a coil change and the main contacts moving (needs `clock` when > 0). */
  actuationMs?: number;
  clock?: Clock;
};

export class ContactorSim implements Contactor {
  readonly #actuationMs: number;
  readonly #clock: Clock | undefined;
  #coil = false;
  #contactsClosed = false;
  #welded = false;
  #feedbackLost = false;
  #pending: TimerId | undefined;
  #operations = 0;

  constructor(options: ContactorOptions = {}) {
    const actuationMs = options.actuationMs ?? 0;
    if (!Number.isInteger(actuationMs) || actuationMs < 0) {
      throw new RangeError(`sim/contactor: "actuationMs" expected a non-negative integer, got ${actuationMs}`);
    }
    if (actuationMs > 0 && !options.clock) throw new TypeError('sim/contactor: "clock" is required when "actuationMs" > 0');
    this.#actuationMs = actuationMs;
    this.#clock = options.clock;
  }

  setClosed(closed: boolean): void {
    if (typeof closed !== 'boolean') throw new TypeError(`sim/contactor: "closed" expected a boolean, got ${typeof closed}`);
    if (closed === this.#coil) return;
    this.#coil = closed;
    this.#operations++;
    if (this.#pending !== undefined) this.#clock!.clearTimer(this.#pending);
    this.#pending = undefined;
    if (this.#actuationMs === 0) this.#move();
    else this.#pending = this.#clock!.setTimer(() => ((this.#pending = undefined), this.#move()), this.#actuationMs);
  }

  readFeedbackClosed(): boolean {
    return this.#feedbackLost ? false : this.#contactsClosed;
  }

  /** Whether current can flow through the main contacts (what the EV and the meter see). */
  get conducting(): boolean {
    return this.#contactsClosed;
  }

  /** The coil command last given. */
  get commandedClosed(): boolean {
    return this.#coil;
  }

  /** Coil changes so far (mechanical wear counter). */
  get operations(): number {
    return this.#operations;
  }

  /** Fault: the main contacts weld — closed now, or at their next closing — and never open again. */
  weld(): void {
    this.#welded = true;
  }

  /** Fault: the auxiliary contact stops reporting (always reads open). */
  loseFeedback(): void {
    this.#feedbackLost = true;
  }

  #move(): void {
    if (this.#welded && this.#contactsClosed) return;
    this.#contactsClosed = this.#coil;
  }
}

// Drives the main contactor and watches its auxiliary contact. Once the contacts have had
// `settleMs` to move, the feedback must match the command: closed while commanded open is a weld
// (the pile can no longer cut the supply), open while commanded closed is a feedback (or coil)
// failure. Either fault is latched: the pile stops offering energy until it is serviced.
import type { Clock, Contactor } from '../../hal/types.ts';

export type ContactorFault = 'welded' | 'feedback';

export class ContactorSupervisor {
  readonly #contactor: Contactor;
  readonly #clock: Clock;
  readonly #settleMs: number;
  #closed = false;
  #commandedAtMs: number;
  #fault: ContactorFault | undefined;

  constructor(contactor: Contactor, clock: Clock, settleMs: number) {
    this.#contactor = contactor;
    this.#clock = clock;
    this.#settleMs = settleMs;
    this.#commandedAtMs = clock.nowMs();
    try {
      contactor.setClosed(false); // whatever the coil did before boot, start released
    } catch {
      this.#fault = 'feedback';
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get fault(): ContactorFault | undefined {
    return this.#fault;
  }

  /** Command the coil (a throwing driver counts as a feedback fault: the state is unknown). */
  command(closed: boolean): void {
    if (closed && this.#fault) return;
    if (closed === this.#closed) return;
    this.#closed = closed;
    this.#commandedAtMs = this.#clock.nowMs();
    try {
      this.#contactor.setClosed(closed);
    } catch {
      this.#fault ??= 'feedback';
    }
  }

  /** Compare feedback with the command once settled; answers the fault found now or before. */
  check(): ContactorFault | undefined {
    if (this.#fault || this.#clock.nowMs() - this.#commandedAtMs < this.#settleMs) return this.#fault;
    let feedbackClosed: boolean;
    try {
      feedbackClosed = this.#contactor.readFeedbackClosed();
    } catch {
      feedbackClosed = !this.#closed;
    }
    if (feedbackClosed !== this.#closed) {
      this.#fault = feedbackClosed ? 'welded' : 'feedback';
      this.command(false);
    }
    return this.#fault;
  }
}

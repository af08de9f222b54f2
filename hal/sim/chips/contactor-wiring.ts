// SIMULATION of the contactor's wiring on the board: the coil driver's GPIO switches the coil of
// the contactor model (hal/sim/contactor.ts, weld and lost-feedback faults); the auxiliary NO
// contact pulls its input to ground when the main contacts are closed (closed reads 0).
// Fault: `chatter()` — the auxiliary contact bounces on every read (a loose or worn contact).
import type { ContactorSim } from '../contactor.ts';
import type { DigitalLine } from '../io/wiring.ts';

export class ContactorWiring {
  readonly coil: DigitalLine;
  readonly auxiliary: DigitalLine;
  #chattering = false;
  #reads = 0;

  constructor(contactor: ContactorSim) {
    this.coil = { drive: (level) => contactor.setClosed(level === 1) };
    this.auxiliary = {
      level: () => {
        this.#reads++;
        if (this.#chattering) return (this.#reads & 1) as 0 | 1;
        return contactor.readFeedbackClosed() ? 0 : 1;
      },
    };
  }

  chatter(on = true): void {
    this.#chattering = on;
  }
}

// SIMULATION of ECMA-419 `embedded:io/digital` on a simulated board (mode and edge constants as
// Moddable's ESP32 host numbers them). An output drives what the pin is wired to; an input reads its
// level, or the pull resistor's level when nothing drives it.
// An input opened with `onReadable` and `edge` (Rising, Falling or both) is called back when the line
// wired to it signals that edge (`EdgeSignal`) — at once, as an idle event loop would run it, and
// never re-entrantly: an edge that comes while the callback runs is delivered once it has returned.
import type { BoardWiring, DigitalLine } from './wiring.ts';

export type DigitalOptions = { pin: number; mode: number; edge?: number; onReadable?: () => void };

/** A line that tells its watchers when its level changes (what an input interrupt needs). */
export interface EdgeSignal {
  /** Call `listener` with the new level on every change; answers the function that stops it. */
  watchEdges(listener: (level: 0 | 1) => void): () => void;
}

const Mode = Object.freeze({ Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9 });
const Edge = Object.freeze({ Rising: 1, Falling: 2 });
/** Deliveries in a row for edges that came during the callback before it counts as a runaway interrupt. */
const maxDeliveries = 1000;

function signalsEdges(line: DigitalLine | undefined): line is DigitalLine & EdgeSignal {
  return typeof (line as Partial<EdgeSignal> | undefined)?.watchEdges === 'function';
}

export function simulatedDigital(wiring: BoardWiring) {
  return class Digital {
    static readonly Input = Mode.Input;
    static readonly InputPullUp = Mode.InputPullUp;
    static readonly InputPullDown = Mode.InputPullDown;
    static readonly InputPullUpDown = Mode.InputPullUpDown;
    static readonly Output = Mode.Output;
    static readonly OutputOpenDrain = Mode.OutputOpenDrain;
    static readonly Rising = Edge.Rising;
    static readonly Falling = Edge.Falling;

    readonly #pin: number;
    readonly #mode: number;
    readonly #line: DigitalLine | undefined;
    readonly #unwatch: (() => void) | undefined;
    #level: 0 | 1 = 0;
    #open = true;
    #inCallback = false;
    #edgeDuringCallback = false;

    constructor(options: DigitalOptions) {
      const { pin, mode, edge, onReadable } = options;
      if (!(Object.values(Mode) as number[]).includes(mode)) throw new RangeError(`sim/digital: invalid mode ${mode}`);
      const line = wiring.digital(pin);
      if (onReadable !== undefined) {
        if (typeof onReadable !== 'function') throw new TypeError(`sim/digital: pin ${pin}: "onReadable" expected a function`);
        if (mode >= Mode.Output) throw new RangeError(`sim/digital: pin ${pin}: "onReadable" needs an input mode`);
        if (edge !== Edge.Rising && edge !== Edge.Falling && edge !== (Edge.Rising | Edge.Falling)) {
          throw new RangeError(`sim/digital: pin ${pin}: "edge" expected Rising, Falling or both, got ${String(edge)}`);
        }
        if (!signalsEdges(line)) throw new Error(`sim/digital: pin ${pin} is wired to nothing that signals edges`);
      }
      wiring.claim(`pin ${pin}`);
      this.#pin = pin;
      this.#mode = mode;
      this.#line = line;
      if (onReadable && signalsEdges(line)) {
        const edges = edge!;
        this.#unwatch = line.watchEdges((level) => {
          if (edges & (level === 1 ? Edge.Rising : Edge.Falling)) this.#deliver(onReadable);
        });
      }
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
      this.#unwatch?.();
      wiring.release(`pin ${this.#pin}`);
    }

    #deliver(onReadable: () => void): void {
      if (!this.#open) return;
      if (this.#inCallback) {
        this.#edgeDuringCallback = true;
        return;
      }
      this.#inCallback = true;
      try {
        for (let delivery = 0; delivery < maxDeliveries; delivery++) {
          this.#edgeDuringCallback = false;
          onReadable.call(this);
          if (!this.#edgeDuringCallback || !this.#open) return;
        }
        throw new Error(`sim/digital: pin ${this.#pin}: edges keep coming while onReadable runs (runaway interrupt)`);
      } finally {
        this.#inCallback = false;
      }
    }

    #check(): void {
      if (!this.#open) throw new Error(`sim/digital: pin ${this.#pin} closed`);
    }
  };
}

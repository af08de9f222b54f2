// SIMULATION of a network outage between a pile's uplink and its central system. Wraps any
// `UplinkSocket` (the host's `ws` one in the simulated system, a loopback in tests) and breaks the
// link as a real network does: the pile's connection ends with `onClose` (frames in flight are
// lost), and every connection the pile opens fails until the link is restored.
//
// A cut can be programmed at the pile's k-th CALL of one kind (its action; a DataTransfer by its
// messageId, uplink-frames.ts), counted from when it is programmed, in one of three phases:
// - `before-send`: that frame is lost; the link drops.
// - `after-send`: the frame reaches the central system; the link drops when its reply comes back,
//   before the pile sees it (the central system acted, the pile does not know).
// - `after-reply`: the pile gets the reply, then the link drops; anything the pile sends while it
//   handles the reply is lost.
// A cut is an outage: the link stays down until `restore()`.
//
// The `UplinkSocket` promises hold: an `onClose` caused by a call the firmware makes (a frame lost
// in `send`, an `open` while down) is delivered later, from a resolved promise, never from inside
// that call; one `onClose` ends each `open` unless the firmware called `close()` first.
import type { UplinkEvents, UplinkSocket } from '../types.ts';
import { peekFrame } from './uplink-frames.ts';

export type OutagePhase = 'before-send' | 'after-send' | 'after-reply';
export const OUTAGE_PHASES: readonly OutagePhase[] = ['before-send', 'after-send', 'after-reply'];

/** Cut at the `nth` (from 1) CALL of `kind` the pile sends from now on, in `phase`. */
export type PlannedCut = { kind: string; nth: number; phase: OutagePhase };

type Connection = {
  events: UplinkEvents;
  /** The link under this connection has been cut: nothing more goes either way. */
  cut: boolean;
  /** after-send / after-reply: the reply to this uniqueId cuts the link (delivered first when `deliver`). */
  cutOnReply?: { id: string; deliver: boolean; what: string };
};

export class UplinkOutage implements UplinkSocket {
  readonly #link: UplinkSocket;
  #up = true;
  #connection: Connection | undefined;
  #plan: (PlannedCut & { seen: number }) | undefined;
  #cuts = 0;

  constructor(link: UplinkSocket) {
    this.#link = link;
  }

  /** The link carries frames (false from a cut until `restore()`). */
  get up(): boolean {
    return this.#up;
  }

  /** Cuts made so far, by `cut()` or a planned cut, while a connection was open or opening. */
  get cuts(): number {
    return this.#cuts;
  }

  /** A planned cut is still waiting for its frame. */
  get armed(): boolean {
    return this.#plan !== undefined;
  }

  /** The link goes down now; the pile's connection, if any, ends at once. Call it from the test, not from inside the firmware. */
  cut(): void {
    this.#up = false;
    const connection = this.#connection;
    if (connection && !connection.cut) this.#cut(connection, 'link lost (simulated outage)', 'now');
  }

  /** The link is back: the pile's next `open` reaches the central system. */
  restore(): void {
    this.#up = true;
  }

  /** Replaces any planned cut. */
  cutAt(plan: PlannedCut): void {
    if (typeof plan.kind !== 'string' || plan.kind.length === 0) throw new RangeError('sim/uplink-outage: "kind" expected an action or messageId');
    if (!Number.isSafeInteger(plan.nth) || plan.nth < 1) throw new RangeError(`sim/uplink-outage: "nth" expected an integer ≥ 1, got ${plan.nth}`);
    if (!OUTAGE_PHASES.includes(plan.phase)) throw new RangeError(`sim/uplink-outage: "phase" expected ${OUTAGE_PHASES.join(', ')}, got ${String(plan.phase)}`);
    this.#plan = { kind: plan.kind, nth: plan.nth, phase: plan.phase, seen: 0 };
  }

  open(url: string, events: UplinkEvents): void {
    if (this.#connection) throw new Error('sim/uplink-outage: a connection is already open or opening; close it first');
    const connection: Connection = { events, cut: false };
    this.#connection = connection;
    if (!this.#up) {
      this.#end(connection, 'no route to the central system (simulated outage)', 'later');
      return;
    }
    try {
      this.#link.open(url, {
        onOpen: () => {
          if (this.#connection === connection && !connection.cut) events.onOpen();
        },
        onMessage: (text) => this.#received(connection, text),
        onClose: (reason) => {
          if (this.#connection !== connection || connection.cut) return;
          this.#connection = undefined;
          events.onClose(reason);
        },
      });
    } catch (error) {
      this.#connection = undefined;
      throw error;
    }
  }

  send(text: string): boolean {
    const connection = this.#connection;
    if (!connection) return false;
    if (connection.cut) return true; // written into a dead link: lost, and the pile hears onClose next
    const frame = peekFrame(text);
    const plan = this.#plan;
    if (frame?.type !== 'call' || !plan || plan.kind !== frame.kind || ++plan.seen !== plan.nth) return this.#link.send(text);
    this.#plan = undefined;
    const what = `${plan.kind} #${plan.nth} ${plan.phase}`;
    if (plan.phase === 'before-send') {
      this.#up = false;
      this.#cut(connection, `link lost (simulated outage: ${what}, the frame lost)`, 'later');
      return true;
    }
    connection.cutOnReply = { id: frame.id, deliver: plan.phase === 'after-reply', what };
    return this.#link.send(text);
  }

  close(): void {
    this.#connection = undefined;
    this.#link.close();
  }

  #received(connection: Connection, text: string): void {
    if (this.#connection !== connection || connection.cut) return;
    const pending = connection.cutOnReply;
    const frame = pending && peekFrame(text);
    if (!pending || frame?.type !== 'reply' || frame.id !== pending.id) {
      connection.events.onMessage(text);
      return;
    }
    this.#up = false;
    connection.cut = true; // what the pile sends while handling the reply is lost
    if (pending.deliver) connection.events.onMessage(text);
    if (this.#connection === connection) this.#cut(connection, `link lost (simulated outage: ${pending.what})`, 'now');
  }

  #cut(connection: Connection, reason: string, when: 'now' | 'later'): void {
    this.#cuts++;
    connection.cut = true;
    this.#end(connection, reason, when);
  }

  /** The link under `connection` is gone: close it below, tell the pile. */
  #end(connection: Connection, reason: string, when: 'now' | 'later'): void {
    connection.cut = true;
    this.#link.close();
    const tell = (): void => {
      if (this.#connection !== connection) return;
      this.#connection = undefined;
      connection.events.onClose(reason);
    };
    if (when === 'now') tell();
    else void Promise.resolve().then(tell);
  }
}

// What happened on the pile since power-on, for the service console (Status, Logs): boot outcome,
// provisioning, faults, clock set, factory reset. A bounded ring in RAM, lost at power-off on
// purpose: persisting it would cost a flash write per event (wear, and journal room the billing
// records need). What must survive a power loss is in the journal already (receipts carry their
// end reason and detail).
import type { Clock } from '../../hal/types.ts';
import { asciiText } from '../../contracts-offline/display-text.ts';

export type EventLevel = 'info' | 'warning' | 'fault';

export type LoggedEvent = { seq: number; atS: number; level: EventLevel; text: string };

/** Where the pile's parts report events (the controller, the runtime, the console). */
export type EventSink = (level: EventLevel, text: string) => void;

export const EVENT_LOG_CAPACITY = 64;
export const EVENT_TEXT_MAX_CHARS = 64;

export class EventLog {
  readonly #clock: Clock;
  readonly #entries: LoggedEvent[] = [];
  #nextSeq = 1;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Append an event (text made printable ASCII and cut to 64 characters); the oldest goes when full. */
  record(level: EventLevel, text: string): void {
    const atS = Math.max(0, Math.floor(this.#clock.nowMs() / 1000));
    this.#entries.push({ seq: this.#nextSeq++, atS, level, text: asciiText(text).slice(0, EVENT_TEXT_MAX_CHARS) });
    if (this.#entries.length > EVENT_LOG_CAPACITY) this.#entries.shift();
  }

  /** Up to `maxEntries` events with seq > `afterSeq`, oldest first, and how many more follow. */
  after(afterSeq: number, maxEntries: number): { entries: LoggedEvent[]; remaining: number } {
    const newer = this.#entries.filter((e) => e.seq > afterSeq);
    return { entries: newer.slice(0, maxEntries).map((e) => ({ ...e })), remaining: Math.max(0, newer.length - maxEntries) };
  }

  /** The newest `count` fault and warning events, oldest first. */
  lastFaults(count: number): LoggedEvent[] {
    return this.#entries.filter((e) => e.level !== 'info').slice(-count).map((e) => ({ ...e }));
  }
}

// A driver's channel to a networked pile as the phone's app holds it: the ChannelSession and its
// live events (the relay's Server-Sent Events, read by `watch()`) collected as they arrive. The
// events are real I/O while the day runs on virtual time, so the script waits for the one it needs
// (bounded in real time) instead of assuming it is there.
import type { ChannelSession } from '../phone/channel-session.ts';
import type { ChannelEvent } from '../relay-api/routes.ts';
import { DayError } from './errors.ts';

export type ChannelEventOf<E extends ChannelEvent['event']> = Extract<ChannelEvent, { event: E }>;

/** How long the script waits for a channel event the relay must already have sent, real ms. */
const EVENT_WAIT_LIMIT_MS = 10_000;
const POLL_MS = 5;

export class WatchedChannel {
  readonly session: ChannelSession;
  /** Every event the phone received, oldest first. */
  readonly events: ChannelEvent[] = [];
  readonly #abort = new AbortController();
  readonly #watching: Promise<void>;
  #failure: unknown;

  constructor(session: ChannelSession) {
    this.session = session;
    this.#watching = (async () => {
      for await (const event of session.watch({ signal: this.#abort.signal })) this.events.push(event);
    })().catch((error: unknown) => {
      this.#failure = error;
    });
  }

  /** The first event of kind `name` that `matches`, waited for up to EVENT_WAIT_LIMIT_MS of real time. */
  async next<E extends ChannelEvent['event']>(name: E, matches: (event: ChannelEventOf<E>) => boolean, what: string): Promise<ChannelEventOf<E>> {
    const startedMs = Date.now();
    for (;;) {
      const found = this.events.find((e): e is ChannelEventOf<E> => e.event === name && matches(e as ChannelEventOf<E>));
      if (found) return found;
      if (this.#failure !== undefined) throw new DayError('script', `channel ${this.session.channelId}: the phone's event stream failed before ${what}: ${String(this.#failure)}`);
      if (Date.now() - startedMs > EVENT_WAIT_LIMIT_MS) {
        throw new DayError('script', `channel ${this.session.channelId}: no ${what} on the phone after ${EVENT_WAIT_LIMIT_MS} ms (got ${this.events.map((e) => e.event).join(', ') || 'nothing'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Stops reading (the stream ends by itself after `ended`); throws if reading had failed. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#watching;
    if (this.#failure !== undefined) throw new DayError('script', `channel ${this.session.channelId}: the phone's event stream failed: ${String(this.#failure)}`);
  }
}

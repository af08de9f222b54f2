// A loopback `UplinkSocket` for the RPC tests: the test plays the central system's end. It keeps
// the interface's promises — events only from the test's own calls (never from inside a call the
// firmware makes), one `onClose` per `open` unless the firmware closed first, nothing delivered
// after `close()` — and records every frame the pile sent.
import type { UplinkEvents, UplinkSocket } from '../../../hal/types.ts';

export class LoopbackUplink implements UplinkSocket {
  /** Frames the pile sent, on every connection, oldest first. */
  readonly sent: string[] = [];
  /** URLs the pile opened, one per attempt. */
  readonly opens: string[] = [];
  #state: 'closed' | 'opening' | 'open' = 'closed';
  #events: UplinkEvents | undefined;

  get state(): 'closed' | 'opening' | 'open' {
    return this.#state;
  }

  open(url: string, events: UplinkEvents): void {
    if (this.#state !== 'closed') throw new Error('loopback: a connection is already open');
    this.opens.push(url);
    this.#state = 'opening';
    this.#events = events;
  }

  send(text: string): boolean {
    if (this.#state !== 'open') return false;
    this.sent.push(text);
    return true;
  }

  close(): void {
    this.#state = 'closed';
    this.#events = undefined;
  }

  /** The server completes the handshake. */
  accept(): void {
    if (this.#state !== 'opening' || !this.#events) throw new Error('loopback: nothing to accept');
    this.#state = 'open';
    this.#events.onOpen();
  }

  /** The server sends one text message. */
  deliver(text: string): void {
    if (this.#state !== 'open' || !this.#events) throw new Error('loopback: not open');
    this.#events.onMessage(text);
  }

  /** The connection fails or the server closes it. */
  drop(reason: string): void {
    const events = this.#events;
    if (!events) throw new Error('loopback: no connection to drop');
    this.#state = 'closed';
    this.#events = undefined;
    events.onClose(reason);
  }

  /** The last frame the pile sent, parsed. */
  last(): unknown[] {
    const text = this.sent[this.sent.length - 1];
    if (text === undefined) throw new Error('loopback: the pile sent nothing');
    return JSON.parse(text) as unknown[];
  }
}

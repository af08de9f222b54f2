// What is in flight on a networked simulated pile's uplink, seen from the pile's side of its
// `UplinkSocket`: a connection being opened, the pile's CALLs the relay has not answered, the
// relay's CALLs the pile has not answered. The simulated system waits until it is quiet before it
// moves the pile's virtual clock on (sim-system.ts `settleUplinks`): the frames are real I/O, the
// pile's call timeouts, heartbeats and reconnect back-off run on virtual time.
//
// The relay's first CALL on every connection is its identity challenge (tools/relay/README.md
// "OCPP endpoint"), and a reconnected pile sends nothing before answering it: so an open
// connection is quiet only once the relay has called on it.
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';
import { peekFrame } from '../../hal/sim/uplink-frames.ts';

export class UplinkTraffic implements UplinkSocket {
  /** Kinds of the CALLs the pile sent (handed to the link), oldest first, every connection: the action, a DataTransfer by its messageId. */
  readonly calls: string[] = [];
  readonly #link: UplinkSocket;
  #state: 'closed' | 'opening' | 'open' = 'closed';
  #relayCalled = false;
  readonly #pileCalls = new Set<string>();
  readonly #relayCalls = new Set<string>();

  constructor(link: UplinkSocket) {
    this.#link = link;
  }

  /** Nothing in flight: no connection, or an open one where the relay has called and every CALL either way is answered. */
  get quiet(): boolean {
    if (this.#state === 'closed') return true;
    return this.#state === 'open' && this.#relayCalled && this.#pileCalls.size === 0 && this.#relayCalls.size === 0;
  }

  /** What is in flight, for an error message. */
  describe(): string {
    return `${this.#state}${this.#state === 'open' && !this.#relayCalled ? ', not challenged yet' : ''}, pile CALLs unanswered [${[...this.#pileCalls].join(', ')}], relay CALLs unanswered [${[...this.#relayCalls].join(', ')}]`;
  }

  open(url: string, events: UplinkEvents): void {
    this.#link.open(url, {
      onOpen: () => {
        this.#state = 'open';
        events.onOpen();
      },
      onMessage: (text) => {
        const frame = peekFrame(text);
        if (frame?.type === 'call') {
          this.#relayCalled = true;
          this.#relayCalls.add(frame.id);
        } else if (frame) {
          this.#pileCalls.delete(frame.id);
        }
        events.onMessage(text);
      },
      onClose: (reason) => {
        this.#forget();
        events.onClose(reason);
      },
    });
    this.#forget();
    this.#state = 'opening';
  }

  send(text: string): boolean {
    const sent = this.#link.send(text);
    const frame = sent ? peekFrame(text) : undefined;
    if (frame?.type === 'call') {
      this.#pileCalls.add(frame.id);
      this.calls.push(frame.kind);
    } else if (frame) {
      this.#relayCalls.delete(frame.id);
    }
    return sent;
  }

  close(): void {
    this.#forget();
    this.#link.close();
  }

  #forget(): void {
    this.#state = 'closed';
    this.#relayCalled = false;
    this.#pileCalls.clear();
    this.#relayCalls.clear();
  }
}

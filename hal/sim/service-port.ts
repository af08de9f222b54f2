// SIMULATION of the board's USB serial link (USB-CDC, or a USB-UART bridge) between a host computer
// and the pile: raw bytes both ways, no framing. The pile's end is the `ServicePort`; `host` is the
// computer's end (the tty a technician's tool opens).
//
// Delivery, chosen so tests stay deterministic and nothing re-enters:
// - host → pile: `host.write` queues the bytes; the pile's receiver gets them from its own event
//   loop, in one 0 ms timer per write on the pile's clock (so a test runs `clock.advance(0)`), never
//   inside the call that wrote them. A write with no receiver registered at delivery is lost.
// - pile → host: the host gets the bytes at once, in `write` order: to its `onData` listener when one
//   is set, else into a buffer that `takeReceived` empties. The host answering from `onData` is
//   queued as above, so the pile is never re-entered.
// Failure modes: with no host connected (cable out, or no terminal has the tty open) the pile's
// writes are lost without error, as USB-CDC drops them; `host.disconnect()` also loses the host's
// bytes not yet delivered, and `host.write` then throws, as writing to a vanished tty does.
import { concatBytes } from '../../contracts-offline/bytes.ts';
import type { Clock, ServicePort, TimerId } from '../types.ts';

export type ServicePortHost = {
  readonly connected: boolean;
  /** Plug the cable in / open the tty. */
  connect(): void;
  /** Pull the cable: bytes in flight to the pile are lost; the pile's writes are dropped until `connect`. */
  disconnect(): void;
  /** Send bytes to the pile. Throws when not connected. */
  write(bytes: Uint8Array): void;
  /** Receive the pile's bytes in a listener (`undefined`: back to the buffer). */
  onData(listener: ((bytes: Uint8Array) => void) | undefined): void;
  /** Everything the pile wrote since the last call (while no listener was set), and empty the buffer. */
  takeReceived(): Uint8Array;
};

export class ServicePortSim implements ServicePort {
  readonly host: ServicePortHost;
  readonly #clock: Clock;
  #receiver: ((bytes: Uint8Array) => void) | undefined;
  #hostConnected: boolean;
  #hostListener: ((bytes: Uint8Array) => void) | undefined;
  #hostBuffer: Uint8Array[] = [];
  #inFlight = new Set<TimerId>();
  #droppedBytes = 0;

  /** `clock`: the pile's clock, whose timers are its event loop. `hostConnected`: default true. */
  constructor(options: { clock: Clock; hostConnected?: boolean }) {
    this.#clock = options.clock;
    this.#hostConnected = options.hostConnected ?? true;
    const port = this;
    this.host = {
      get connected() {
        return port.#hostConnected;
      },
      connect: () => {
        this.#hostConnected = true;
      },
      disconnect: () => {
        this.#hostConnected = false;
        for (const id of this.#inFlight) this.#clock.clearTimer(id);
        this.#inFlight.clear();
      },
      write: (bytes) => this.#hostWrite(bytes),
      onData: (listener) => {
        this.#hostListener = listener;
      },
      takeReceived: () => {
        const received = concatBytes(...this.#hostBuffer);
        this.#hostBuffer = [];
        return received;
      },
    };
  }

  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void {
    this.#receiver = receiver;
  }

  write(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('sim/service-port: "bytes" expected a Uint8Array');
    if (!this.#hostConnected) {
      this.#droppedBytes += bytes.length;
      return;
    }
    if (this.#hostListener) this.#hostListener(bytes.slice());
    else this.#hostBuffer.push(bytes.slice());
  }

  /** Bytes the pile wrote while no host was connected (lost). */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  #hostWrite(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('sim/service-port: "bytes" expected a Uint8Array');
    if (!this.#hostConnected) throw new Error('sim/service-port: host not connected');
    const chunk = bytes.slice();
    const id = this.#clock.setTimer(() => {
      this.#inFlight.delete(id);
      this.#receiver?.(chunk);
    }, 0);
    this.#inFlight.add(id);
  }
}

// The pile's uplink (hal/types `UplinkSocket`) on the host: a WebSocket client from the `ws`
// package. It offers the one subprotocol `ocpp1.6`; `ws` fails the handshake when the server
// selects none or another (RFC 6455 §4.1: the client must fail the connection), which ends here
// as `onClose` without `onOpen`. Binary messages are dropped (OCPP-J uses text frames only); a
// message over `maxMessageBytes` makes `ws` close the connection (1009), so the firmware never
// holds more than that.
import WebSocket from 'ws';
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';

export type WsUplinkOptions = {
  /** Largest message taken, bytes (default 64 KiB: well above the firmware's frame limit, so it sees and answers an oversized frame). */
  maxMessageBytes?: number;
  /** Time the opening handshake may take, ms (default 10 000). */
  handshakeTimeoutMs?: number;
};

export class WsUplinkSocket implements UplinkSocket {
  readonly #maxMessageBytes: number;
  readonly #handshakeTimeoutMs: number;
  #socket: WebSocket | undefined;

  constructor(options: WsUplinkOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? 65_536;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  }

  open(url: string, events: UplinkEvents): void {
    if (this.#socket) throw new Error('uplink: a connection is already open; close it first');
    const socket = new WebSocket(url, ['ocpp1.6'], { maxPayload: this.#maxMessageBytes, handshakeTimeout: this.#handshakeTimeoutMs });
    this.#socket = socket;
    let failure: string | undefined;
    socket.on('open', () => events.onOpen());
    socket.on('message', (data, isBinary) => {
      if (!isBinary) events.onMessage(data.toString());
    });
    socket.on('error', (error) => (failure = error.message));
    socket.on('close', (code, reason) => {
      this.#socket = undefined;
      events.onClose(failure ?? `closed by the server (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });
  }

  send(text: string): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(text);
    return true;
  }

  close(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    socket.removeAllListeners();
    socket.on('error', () => {});
    socket.terminate();
  }
}

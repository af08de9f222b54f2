// The TCP socket handed to the ECMA-419 WebSocket client, passing everything through to the board's
// `embedded:io/socket/tcp` while it watches the server's handshake response go by. The client
// offers a subprotocol (its `protocol` option) but neither checks nor exposes the
// `Sec-WebSocket-Protocol` the server answers, and RFC 6455 §4.1 has the client fail the
// connection when the server selects none of those offered: the client reads the response one
// byte at a time (format "number") until the empty line, so the header lines are seen here and
// the selected subprotocol reported before the client calls its first onWritable.
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

/** The parts of an ECMA-419 TCP socket the WebSocket client uses (it reads a byte or a count, never into a buffer). */
export type TcpSocket = {
  format: 'number' | 'buffer';
  read(byteLength?: number): unknown;
  write(data: ArrayBuffer | Uint8Array): unknown;
  close(): void;
};
/** What the WebSocket client passes its socket's constructor. */
export type TcpSocketOptions = {
  address: string;
  host: string;
  port: number;
  onReadable(count: number): void;
  onWritable(count: number): void;
  onError(): void;
};
export type TcpSocketClass = new (options: TcpSocketOptions) => TcpSocket;

/** What the server selected: its one `Sec-WebSocket-Protocol` value, undefined when it sent none; a failure for a header it could not have meant. */
export type SelectedSubprotocol = Result<string | undefined>;

export type SubprotocolWatchingSocketOptions = TcpSocketOptions & {
  tcp: TcpSocketClass;
  onSelected(selected: SelectedSubprotocol): void;
};

/** Longest handshake header line taken, bytes: a protocol header is tens of bytes. */
const maxHeaderLineBytes = 1024;

export class SubprotocolWatchingSocket implements TcpSocket {
  readonly #socket: TcpSocket;
  readonly #onSelected: (selected: SelectedSubprotocol) => void;
  #watching = true;
  #line = '';
  #selected: SelectedSubprotocol = ok(undefined);

  constructor(options: SubprotocolWatchingSocketOptions) {
    const { tcp, onSelected, ...socketOptions } = options;
    this.#onSelected = onSelected;
    this.#socket = new tcp(socketOptions);
  }

  get format(): 'number' | 'buffer' {
    return this.#socket.format;
  }

  set format(value: 'number' | 'buffer') {
    this.#socket.format = value;
  }

  read(byteLength?: number): unknown {
    const result = this.#socket.read(byteLength);
    if (this.#watching && typeof result === 'number') this.#watch(result);
    return result;
  }

  /** The bytes the socket can take now, as the client expects (Moddable's typings say void; lwip/tcp.c returns tcp_sndbuf). */
  write(data: ArrayBuffer | Uint8Array): number {
    return this.#socket.write(data) as number;
  }

  close(): void {
    this.#socket.close();
  }

  #watch(byte: number): void {
    if (this.#line.length >= maxHeaderLineBytes) {
      this.#selected = fail('malformed', `handshake header line over ${maxHeaderLineBytes} bytes`);
      this.#line = '';
    }
    this.#line += String.fromCharCode(byte);
    if (byte !== 10) return;
    const line = this.#line;
    this.#line = '';
    if (line === '\r\n') {
      this.#watching = false;
      this.#onSelected(this.#selected);
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'sec-websocket-protocol' || !this.#selected.ok) return;
    const value = line.slice(colon + 1).trim();
    // RFC 6455 §4.1: one value, one of those offered; a second header is not a selection.
    this.#selected = this.#selected.value === undefined ? ok(value) : fail('malformed', 'more than one Sec-WebSocket-Protocol header');
  }
}

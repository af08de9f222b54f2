// The pile's uplink (hal/types `UplinkSocket`) on a device: the ECMA-419 WebSocket client
// (`embedded:network/websocket/client`, Moddable's examples/io/tcp/websocketclient) on a TCP
// socket, names looked up by the network stack (name-resolver.ts). `ws://` only: a `wss://` URL ends with onClose, as TLS is not in this build yet. The
// client sends `Sec-WebSocket-Protocol: ocpp1.6` (its `protocol` option); the server's answer is
// read by SubprotocolWatchingSocket, and a server that selects none or another is refused (RFC
// 6455 §4.1). The client answers ping and close itself. Text messages only: fragments are joined
// here, binary messages dropped, a message over `maxMessageBytes` or not UTF-8 ends the
// connection (close 1009 / 1007). Every event reaches the firmware through one queue, run from a
// timer (`defer`), so none is delivered inside a call the firmware makes.
import { utf8Decode, utf8Encode } from '../../contracts-offline/bytes.ts';
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';
import { type NameLookup, NameResolver } from './name-resolver.ts';
import { type SelectedSubprotocol, SubprotocolWatchingSocket, type TcpSocketClass } from './subprotocol-watching-socket.ts';

/** The options the ECMA-419 WebSocket client takes, as this adapter fills them. */
export type WebSocketClientOptions = {
  host: string;
  port: number;
  path: string;
  protocol: string;
  dns: { io: typeof NameResolver; lookup: NameLookup };
  socket: { io: typeof SubprotocolWatchingSocket; tcp: TcpSocketClass; onSelected(selected: SelectedSubprotocol): void };
  onReadable(count: number, options: { more: boolean; binary: boolean }): void;
  onWritable(count: number): void;
  onControl(opcode: number, data: ArrayBuffer): void;
  onClose(): void;
  onError(): void;
};
export type WebSocketClient = {
  read(count: number): ArrayBuffer | undefined;
  write(data: Uint8Array, options: { binary?: boolean; more?: boolean; opcode?: number }): number;
  close(): void;
};
export type WebSocketClientClass = new (options: WebSocketClientOptions) => WebSocketClient;

export type Ecma419UplinkOptions = {
  /** `embedded:network/websocket/client`. */
  webSocket: WebSocketClientClass;
  /** The network stack's name look-up (Moddable's `Net.resolve`). */
  lookup: NameLookup;
  /** `embedded:io/socket/tcp`. */
  tcp: TcpSocketClass;
  /** Runs `callback` once, soon, from the event loop (a zero-delay timer). */
  defer(callback: () => void): void;
  /** Largest message taken, bytes (default 64 KiB, as on the host). */
  maxMessageBytes?: number;
};

const subprotocol = 'ocpp1.6';
const closeOpcode = 8;
/** Largest frame written, bytes: the client's frame header is 8 bytes up to 65 535. */
const maxFrameBytes = 16_384;

type Connection = {
  readonly events: UplinkEvents;
  client: WebSocketClient | undefined;
  selected: SelectedSubprotocol | undefined;
  opened: boolean;
  ended: boolean;
  writableBytes: number;
  outgoing: Uint8Array[];
  outgoingOffset: number;
  incoming: Uint8Array[];
  incomingBytes: number;
  /** The message being received is dropped (binary), up to its last fragment. */
  dropping: boolean;
};

export class Ecma419UplinkSocket implements UplinkSocket {
  readonly #options: Ecma419UplinkOptions;
  readonly #maxMessageBytes: number;
  #connection: Connection | undefined;
  #queue: { connection: Connection; deliver: () => void }[] = [];
  #flushPending = false;

  constructor(options: Ecma419UplinkOptions) {
    this.#options = options;
    this.#maxMessageBytes = options.maxMessageBytes ?? 65_536;
  }

  open(url: string, events: UplinkEvents): void {
    if (this.#connection) throw new Error('uplink: a connection is already open; close it first');
    const target = parseUplinkUrl(url);
    const connection: Connection = { events, client: undefined, selected: undefined, opened: false, ended: false, writableBytes: 0, outgoing: [], outgoingOffset: 0, incoming: [], incomingBytes: 0, dropping: false };
    this.#connection = connection;
    if (target.secure) return this.#end(connection, 'wss:// needs TLS, which this build does not have yet');
    try {
      connection.client = new this.#options.webSocket({
        ...target,
        protocol: subprotocol,
        dns: { io: NameResolver, lookup: this.#options.lookup },
        socket: { io: SubprotocolWatchingSocket, tcp: this.#options.tcp, onSelected: (selected: SelectedSubprotocol) => (connection.selected = selected) },
        onReadable: (count, frame) => this.#onReadable(connection, count, frame),
        onWritable: (count) => this.#onWritable(connection, count),
        onControl: (opcode, data) => this.#onControl(connection, opcode, data),
        onClose: () => this.#end(connection, 'closed by the server'),
        onError: () => this.#end(connection, connection.opened ? 'connection broke' : 'connection failed (name look-up, TCP or handshake)'),
      });
    } catch (error) {
      this.#end(connection, `connection failed: ${(error as Error).message}`);
    }
  }

  send(text: string): boolean {
    const connection = this.#connection;
    if (!connection?.opened || connection.ended) return false;
    connection.outgoing.push(utf8Encode(text));
    this.#write(connection);
    return true;
  }

  close(): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#connection = undefined;
    const ended = connection.ended;
    connection.ended = true;
    if (!ended && connection.opened) this.#sendClose(connection, 1000);
    connection.client?.close();
  }

  #onWritable(connection: Connection, count: number): void {
    if (connection.ended) return;
    connection.writableBytes = count;
    if (!connection.opened) {
      const selected = connection.selected;
      if (!selected?.ok) return this.#fail(connection, `handshake refused: ${selected?.reason ?? 'response headers not seen'}`);
      if (selected.value !== subprotocol) return this.#fail(connection, `handshake refused: the server selected ${selected.value === undefined ? 'no subprotocol' : `subprotocol "${selected.value}"`}, not ${subprotocol}`);
      connection.opened = true;
      this.#schedule(connection, () => connection.events.onOpen());
    }
    this.#write(connection);
  }

  #onReadable(connection: Connection, count: number, frame: { more: boolean; binary: boolean }): void {
    const data = connection.client?.read(count);
    if (connection.ended || data === undefined) return;
    if (frame.binary || connection.dropping) {
      connection.dropping = frame.more;
      return;
    }
    if (connection.incomingBytes + data.byteLength > this.#maxMessageBytes) return this.#fail(connection, `message over ${this.#maxMessageBytes} bytes`, 1009);
    connection.incoming.push(new Uint8Array(data));
    connection.incomingBytes += data.byteLength;
    if (frame.more) return;
    const message = joinBytes(connection.incoming, connection.incomingBytes);
    connection.incoming = [];
    connection.incomingBytes = 0;
    const text = utf8Decode(message);
    if (!text.ok) return this.#fail(connection, 'a text message is not UTF-8', 1007);
    this.#schedule(connection, () => connection.events.onMessage(text.value));
  }

  #onControl(connection: Connection, opcode: number, data: ArrayBuffer): void {
    if (opcode !== closeOpcode || connection.ended) return;
    // The client answers the close and shuts the socket down itself; nothing of it reaches the firmware afterwards.
    const bytes = new Uint8Array(data);
    const code = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : undefined;
    const reason = bytes.length > 2 ? utf8Decode(bytes.subarray(2)) : undefined;
    this.#end(connection, `closed by the server (${code ?? 'no code'}${reason?.ok ? ` ${reason.value}` : ''})`);
  }

  #write(connection: Connection): void {
    while (!connection.ended && connection.outgoing.length > 0 && connection.writableBytes > 0) {
      const message = connection.outgoing[0]!;
      const end = Math.min(message.length, connection.outgoingOffset + connection.writableBytes, connection.outgoingOffset + maxFrameBytes);
      try {
        connection.writableBytes = connection.client!.write(message.subarray(connection.outgoingOffset, end), { binary: false, more: end < message.length });
      } catch {
        return this.#fail(connection, 'the client refused a write');
      }
      connection.outgoingOffset = end;
      if (end === message.length) {
        connection.outgoing.shift();
        connection.outgoingOffset = 0;
      }
    }
  }

  /** Ends the connection from this side (a protocol failure): a close frame if open, the socket shut. */
  #fail(connection: Connection, reason: string, closeCode?: number): void {
    if (connection.opened && closeCode !== undefined) this.#sendClose(connection, closeCode);
    connection.client?.close();
    this.#end(connection, reason);
  }

  #sendClose(connection: Connection, code: number): void {
    try {
      connection.client?.write(Uint8Array.of(code >> 8, code & 0xff), { opcode: closeOpcode });
    } catch {
      // No room to write it: the TCP shutdown that follows ends the connection anyway.
    }
  }

  #end(connection: Connection, reason: string): void {
    if (connection.ended) return;
    connection.ended = true;
    this.#schedule(connection, () => {
      this.#connection = undefined;
      connection.events.onClose(reason);
    });
  }

  #schedule(connection: Connection, deliver: () => void): void {
    this.#queue.push({ connection, deliver });
    if (this.#flushPending) return;
    this.#flushPending = true;
    this.#options.defer(() => this.#flush());
  }

  #flush(): void {
    this.#flushPending = false;
    for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
      if (item.connection === this.#connection) item.deliver();
    }
  }
}

export type UplinkTarget = { secure: boolean; host: string; port: number; path: string };

/** `ws://host[:port][/path]` or `wss://…`; throws on anything else (the firmware's configuration is trusted, its shape checked here). */
export function parseUplinkUrl(url: string): UplinkTarget {
  const match = /^(wss?):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(url);
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || (port !== undefined && (port < 1 || port > 65_535))) throw new Error(`uplink: "${url}" is not a ws:// or wss:// URL with a host name or IPv4 address`);
  const secure = match[1] === 'wss';
  return { secure, host: match[2]!, port: port ?? (secure ? 443 : 80), path: match[4] ?? '/' };
}

function joinBytes(chunks: Uint8Array[], byteLength: number): Uint8Array {
  const joined = new Uint8Array(byteLength);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

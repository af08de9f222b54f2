// boards/esp32_pile_v1/uplink-socket.ts (the device UplinkSocket) over a SIMULATION of Moddable's
// ECMA-419 WebSocket client (examples/io/tcp/websocketclient/websocketclient.js), keeping its rules:
// - construction looks the host up with `new dns.io(dns).resolve(...)`, then makes its socket with
//   `new socket.io({ ...socket, address, host, port, onReadable, onWritable, onError })`; a failed
//   look-up or socket calls `onError`;
// - it sends the GET with `Sec-WebSocket-Protocol: <protocol>` and reads the response one byte at
//   a time in format "number"; a status other than 101 is `onError`; it checks Connection, Upgrade
//   and Sec-WebSocket-Accept but ignores Sec-WebSocket-Protocol; then `onWritable(writable - 8)`;
// - data: `onReadable(count, { more, binary })`, `more` until the message's last bytes, `binary`
//   the first frame's type for every fragment; `read(count)` returns an ArrayBuffer;
// - `write` throws unless connected and the frame (payload + 6 or 8 bytes) fits; it returns the
//   room left less 14; a text message in fragments is `{ binary: false, more: true }` then
//   `{ binary: false }`; control frames by `{ opcode }`;
// - a close from the server: `onControl(8, data)`, the client replies and later calls `onClose`;
//   a socket error: `onError`;
// - `close()` shuts the socket, and no callback follows.
// The test calls the client's callbacks as its event loop would, and runs the board's timers itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NameLookup } from '../../boards/esp32_pile_v1/name-resolver.ts';
import type { TcpSocket, TcpSocketOptions } from '../../boards/esp32_pile_v1/subprotocol-watching-socket.ts';
import { Ecma419UplinkSocket, type WebSocketClientOptions, parseUplinkUrl } from '../../boards/esp32_pile_v1/uplink-socket.ts';
import type { UplinkEvents } from '../../hal/types.ts';

const SOCKET_ROOM_BYTES = 1024;

/** SIMULATION of an ECMA-419 TCP socket: the server's bytes in `input`, what the client wrote in `output`. */
class SimulatedTcp implements TcpSocket {
  static last: SimulatedTcp;
  format: 'number' | 'buffer' = 'buffer';
  input: number[] = [];
  output: Uint8Array[] = [];
  closed = false;
  readonly options: TcpSocketOptions;
  constructor(options: TcpSocketOptions) {
    this.options = options;
    SimulatedTcp.last = this;
  }
  read(): unknown {
    return this.input.shift();
  }
  write(data: ArrayBuffer | Uint8Array): number {
    this.output.push(new Uint8Array(data).slice());
    return SOCKET_ROOM_BYTES;
  }
  close(): void {
    this.closed = true;
  }
}

type Frame = { opcode: number; fin: boolean; payload: Uint8Array };

/** SIMULATION of Moddable's ECMA-419 WebSocket client (rules in the header). */
class SimulatedWebSocketClient {
  static last: SimulatedWebSocketClient;
  readonly options: WebSocketClientOptions;
  state: 'resolving' | 'handshake' | 'connected' | 'closed' = 'resolving';
  socket: TcpSocket | undefined;
  writableBytes = 0;
  frames: Frame[] = [];
  #fragmented = false;
  #data: Uint8Array = new Uint8Array(0);

  constructor(options: WebSocketClientOptions) {
    this.options = options;
    SimulatedWebSocketClient.last = this;
    new options.dns.io(options.dns).resolve({
      host: options.host,
      onResolved: (host, address) => {
        this.socket = new options.socket.io({ ...options.socket, address, host, port: options.port, onReadable: () => {}, onWritable: () => {}, onError: () => {} });
        this.state = 'handshake';
        this.socket.write(new TextEncoder().encode(`GET ${options.path} HTTP/1.1\r\nHost: ${host}\r\nSec-WebSocket-Protocol: ${options.protocol}\r\n\r\n`));
      },
      onError: () => this.#error(),
    });
  }

  /** The server's handshake response arrives: status line, the given header lines, the empty line. */
  respond(status: number, headers: string[]): void {
    const tcp = SimulatedTcp.last;
    tcp.input.push(...new TextEncoder().encode(`HTTP/1.1 ${status} Switching Protocols\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    this.socket!.format = 'number';
    let line = '';
    let flags = 0;
    let first = true;
    while (tcp.input.length > 0) {
      line += String.fromCharCode(this.socket!.read() as number);
      if (!line.endsWith('\r\n')) continue;
      if (first) {
        first = false;
        if (line.split(' ')[1] !== '101') return this.#error();
      } else if (line === '\r\n') break;
      else {
        const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
        if (name === 'connection') flags |= 1;
        if (name === 'sec-websocket-accept') flags |= 2;
        if (name === 'upgrade') flags |= 4;
      }
      line = '';
    }
    if (flags !== 7) return this.#error();
    this.state = 'connected';
    this.socket!.format = 'buffer';
    this.writableBytes = SOCKET_ROOM_BYTES;
    this.options.onWritable(this.writableBytes - 8);
  }

  receive(payload: Uint8Array, frame: { more: boolean; binary: boolean }): void {
    this.#data = payload;
    this.options.onReadable(payload.length, frame);
  }

  receiveClose(code: number, reason: string): void {
    const reasonBytes = new TextEncoder().encode(reason);
    this.options.onControl(8, Uint8Array.of(code >> 8, code & 0xff, ...reasonBytes).buffer);
  }

  /** The close handshake the client finishes on its own, a second later. */
  finishClose(): void {
    if (this.state === 'closed') return;
    this.close();
    this.options.onClose();
  }

  breakConnection(): void {
    this.#error();
  }

  /** The socket can take `bytes` more. */
  drain(bytes: number): void {
    this.writableBytes = bytes;
    this.options.onWritable(bytes - 8);
  }

  read(count: number): ArrayBuffer | undefined {
    if (this.#data.length === 0) return undefined;
    const taken = this.#data.slice(0, count);
    this.#data = this.#data.subarray(taken.length);
    return taken.buffer;
  }

  write(data: Uint8Array, options: { binary?: boolean; more?: boolean; opcode?: number }): number {
    const header = data.byteLength < 126 ? 6 : 8;
    if (this.state !== 'connected' || data.byteLength + header > this.writableBytes) throw new Error();
    let opcode: number;
    let fin = true;
    if (options.opcode !== undefined) opcode = options.opcode;
    else {
      opcode = this.#fragmented ? 0 : options.binary ?? true ? 2 : 1;
      fin = !options.more;
      this.#fragmented = !fin;
    }
    this.frames.push({ opcode, fin, payload: data.slice() });
    this.writableBytes -= data.byteLength + header;
    return Math.max(0, this.writableBytes - 14);
  }

  close(): void {
    this.state = 'closed';
    this.socket?.close();
  }

  #error(): void {
    this.close();
    this.options.onError();
  }
}

/** SIMULATION of lwIP's look-up (`Net.resolve`): `unknown.invalid` has no address, any other name 192.0.2.7. */
const simulatedLookup: NameLookup = (name, callback) => callback(name, name === 'unknown.invalid' ? undefined : '192.0.2.7');

type Event = ['open'] | ['message', string] | ['close', string];

function setup(maxMessageBytes?: number) {
  const timers: (() => void)[] = [];
  const uplink = new Ecma419UplinkSocket({
    webSocket: SimulatedWebSocketClient,
    lookup: simulatedLookup,
    tcp: SimulatedTcp,
    defer: (callback) => timers.push(callback),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
  });
  const events: Event[] = [];
  const listener: UplinkEvents = {
    onOpen: () => events.push(['open']),
    onMessage: (text) => events.push(['message', text]),
    onClose: (reason) => events.push(['close', reason]),
  };
  const runTimers = () => {
    for (let i = 0; i < 100 && timers.length > 0; i++) timers.shift()!();
  };
  return { uplink, events, listener, runTimers, timers };
}

const ocppHeaders = ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'Sec-WebSocket-Protocol: ocpp1.6'];
const utf8 = (text: string) => new TextEncoder().encode(text);

function opened(maxMessageBytes?: number) {
  const s = setup(maxMessageBytes);
  s.uplink.open('ws://relay.example:8180/ocpp/pile-7', s.listener);
  const client = SimulatedWebSocketClient.last;
  client.respond(101, ocppHeaders);
  s.runTimers();
  assert.equal(s.events, [['open']]);
  s.events.length = 0;
  return { ...s, client };
}

test('open offers exactly ocpp1.6 to the URL\'s host, port and path; onOpen comes from the timer, after the server selected ocpp1.6', () => {
  const { uplink, events, listener, runTimers } = setup();
  uplink.open('ws://relay.example:8180/ocpp/pile-7', listener);
  const client = SimulatedWebSocketClient.last;
  assert.equal([client.options.host, client.options.port, client.options.path, client.options.protocol], ['relay.example', 8180, '/ocpp/pile-7', 'ocpp1.6']);
  assert.is(SimulatedTcp.last.options.address, '192.0.2.7');
  assert.match(new TextDecoder().decode(SimulatedTcp.last.output[0]), /\r\nSec-WebSocket-Protocol: ocpp1\.6\r\n/);
  client.respond(101, ocppHeaders);
  assert.equal(events, [], 'nothing from inside the client callback');
  runTimers();
  assert.equal(events, [['open']]);
});

for (const [label, protocolHeaders, reason] of [
  ['none', [], /selected no subprotocol, not ocpp1\.6/],
  ['another', ['Sec-WebSocket-Protocol: ocpp2.0.1'], /selected subprotocol "ocpp2\.0\.1", not ocpp1\.6/],
  ['two headers', ['Sec-WebSocket-Protocol: ocpp1.6', 'Sec-WebSocket-Protocol: ocpp1.6'], /more than one Sec-WebSocket-Protocol header/],
  ['an overlong header line', [`Sec-WebSocket-Protocol: ocpp1.6${' '.repeat(1100)}x`], /header line over 1024 bytes/],
] as const) {
  test(`a server selecting ${label} is refused: one onClose, never onOpen, the client closed`, () => {
    const { uplink, events, listener, runTimers } = setup();
    uplink.open('ws://relay.example/ocpp/pile-7', listener);
    const client = SimulatedWebSocketClient.last;
    client.respond(101, [...ocppHeaders.slice(0, 3), ...protocolHeaders]);
    runTimers();
    assert.is(events.length, 1);
    assert.is(events[0]![0], 'close');
    assert.match(events[0]![1]!, reason);
    assert.is(client.state, 'closed');
    assert.is(uplink.send('[2,"1","Heartbeat",{}]'), false);
  });
}

test('a failed look-up, a refused handshake and a broken connection each end in exactly one onClose', () => {
  const lookup = setup();
  lookup.uplink.open('ws://unknown.invalid/ocpp/pile-7', lookup.listener);
  assert.equal(lookup.events, [], 'the client failed inside open: the event waits for the timer');
  lookup.runTimers();
  assert.equal(lookup.events, [['close', 'connection failed (name look-up, TCP or handshake)']]);

  const refused = setup();
  refused.uplink.open('ws://relay.example/ocpp/pile-7', refused.listener);
  SimulatedWebSocketClient.last.respond(404, ocppHeaders);
  refused.runTimers();
  assert.equal(refused.events, [['close', 'connection failed (name look-up, TCP or handshake)']]);

  const { client, events, runTimers, uplink, listener } = opened();
  client.breakConnection();
  client.finishClose();
  runTimers();
  assert.equal(events, [['close', 'connection broke']]);
  uplink.open('ws://relay.example/ocpp/pile-7', listener);
  assert.is.not(SimulatedWebSocketClient.last, client, 'after onClose a new connection opens');
});

test('fragments join into one message, UTF-8 split across them included; binary messages are dropped', () => {
  const { client, events, runTimers } = opened();
  const bytes = utf8('[2,"42","DataTransfer",{"vendorId":"com.tapcharge","data":"é€"}]');
  const cut = bytes.indexOf(0xe2) + 1;
  client.receive(bytes.subarray(0, 10), { more: true, binary: false });
  client.receive(bytes.subarray(10, cut), { more: true, binary: false });
  client.receive(bytes.subarray(cut), { more: false, binary: false });
  client.receive(Uint8Array.of(1, 2, 3), { more: true, binary: true });
  client.receive(Uint8Array.of(4, 5), { more: false, binary: true });
  client.receive(utf8('[3,"42",{}]'), { more: false, binary: false });
  assert.equal(events, []);
  runTimers();
  assert.equal(events, [
    ['message', '[2,"42","DataTransfer",{"vendorId":"com.tapcharge","data":"é€"}]'],
    ['message', '[3,"42",{}]'],
  ]);
});

test('a message over the bound ends the connection with close 1009, even in fragments; nothing of it is delivered', () => {
  const { client, events, runTimers } = opened(64);
  client.receive(new Uint8Array(40).fill(0x61), { more: true, binary: false });
  client.receive(new Uint8Array(25).fill(0x61), { more: false, binary: false });
  runTimers();
  assert.equal(events, [['close', 'message over 64 bytes']]);
  assert.equal(client.frames.map((f) => [f.opcode, [...f.payload]]), [[8, [0x03, 0xf1]]]);
  assert.is(client.state, 'closed');
});

test('a text message that is not UTF-8 ends the connection with close 1007', () => {
  const { client, events, runTimers } = opened();
  client.receive(Uint8Array.of(0x5b, 0xc0, 0xaf, 0x5d), { more: false, binary: false });
  runTimers();
  assert.equal(events, [['close', 'a text message is not UTF-8']]);
  assert.equal([...client.frames[0]!.payload], [0x03, 0xef]);
});

test('a close from the server: one onClose with its code and reason, the client left to answer it', () => {
  const { client, events, runTimers, uplink } = opened();
  client.receiveClose(1001, 'relay restarting');
  assert.is(uplink.send('[2,"1","Heartbeat",{}]'), false, 'nothing is sent once the server closed');
  client.finishClose();
  runTimers();
  assert.equal(events, [['close', 'closed by the server (1001 relay restarting)']]);
  assert.is(client.frames.length, 0, 'the client answers the close itself');
});

test('send: false before onOpen; text frames in order, a long message in fragments as room allows, the rest when the socket drains', () => {
  const s = setup();
  s.uplink.open('ws://relay.example/ocpp/pile-7', s.listener);
  assert.is(s.uplink.send('[2,"1","BootNotification",{}]'), false, 'before the handshake');
  const { client, uplink } = opened();
  const long = `[2,"2","DataTransfer",{"data":"${'x'.repeat(1500)}"}]`;
  assert.is(uplink.send('[2,"1","Heartbeat",{}]'), true);
  assert.is(uplink.send(long), true);
  assert.is(uplink.send('[2,"3","Heartbeat",{}]'), true);
  const before = client.frames.length;
  assert.ok(before >= 2 && !client.frames[before - 1]!.fin, 'the long message waits for room, part written');
  client.drain(SOCKET_ROOM_BYTES);
  client.drain(SOCKET_ROOM_BYTES);
  const messages: string[] = [];
  let current: number[] = [];
  for (const frame of client.frames) {
    assert.is(frame.opcode, current.length === 0 ? 1 : 0, 'a text frame, then continuations');
    current.push(...frame.payload);
    if (frame.fin) {
      messages.push(new TextDecoder().decode(Uint8Array.from(current)));
      current = [];
    }
  }
  assert.equal(messages, ['[2,"1","Heartbeat",{}]', long, '[2,"3","Heartbeat",{}]']);
});

test('close(): nothing is delivered afterwards, not even a message already received; send is false; a second close is harmless', () => {
  const { client, events, runTimers, uplink, listener } = opened();
  client.receive(utf8('[3,"1",{}]'), { more: false, binary: false });
  uplink.close();
  uplink.close();
  runTimers();
  assert.equal(events, []);
  assert.is(uplink.send('[2,"2","Heartbeat",{}]'), false);
  assert.is(client.state, 'closed');
  assert.equal(client.frames.map((f) => [f.opcode, [...f.payload]]), [[8, [0x03, 0xe8]]], 'a normal close frame, then the socket shut');
  uplink.open('ws://relay.example/ocpp/pile-7', listener);
  assert.throws(() => uplink.open('ws://relay.example/ocpp/pile-7', listener), /already open/);
});

test('wss:// ends with onClose (no TLS in this build), from the timer; a URL that is not ws:// or wss:// throws', () => {
  const { uplink, events, listener, runTimers } = setup();
  const clientBefore = SimulatedWebSocketClient.last;
  uplink.open('wss://relay.example/ocpp/pile-7', listener);
  assert.equal(events, []);
  runTimers();
  assert.equal(events, [['close', 'wss:// needs TLS, which this build does not have yet']]);
  assert.is(SimulatedWebSocketClient.last, clientBefore, 'no client made');
  for (const url of ['http://relay.example/ocpp', 'ws://', 'ws://relay.example:0/x', 'ws://relay.example:70000/x', 'ws://user@relay.example/x', 'ws://[::1]/x', 'ws://relay example/x']) {
    assert.throws(() => uplink.open(url, listener), /is not a ws:\/\/ or wss:\/\/ URL/, url);
  }
});

test('parseUplinkUrl: host, port (default 80 / 443) and path (default /)', () => {
  assert.equal(parseUplinkUrl('ws://192.0.2.7:8180/ocpp/pile-7'), { secure: false, host: '192.0.2.7', port: 8180, path: '/ocpp/pile-7' });
  assert.equal(parseUplinkUrl('ws://relay.example'), { secure: false, host: 'relay.example', port: 80, path: '/' });
  assert.equal(parseUplinkUrl('wss://relay.example/ocpp'), { secure: true, host: 'relay.example', port: 443, path: '/ocpp' });
});

test.run();

// boards/serial-service-port.ts over two fake ECMA-419 serials that keep the rules of Moddable's
// real ones (modules/io/serial/lin/serial.c and esp32/serial.c):
// - lin: `write` takes an ArrayBuffer only (a view is a TypeError), at most 1024 bytes; the tty
//   takes what it has room for and the serial keeps the rest, refusing any further write ("would
//   overflow") until the tty took it, then calls `onWritable(1024)`; it also calls `onWritable`
//   once after construction and after each write the tty took whole;
// - ESP32: `write` takes any buffer, at most the TX FIFO's free bytes ("output full");
//   `onWritable(free)` once after construction and whenever the FIFO has drained.
// Callbacks are called by the test, as the event loop would: never inside the call that caused them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SERVICE_PORT_QUEUE_MAX_BYTES, SerialServicePort, type SerialDevice, type SerialIo, type SerialIoClass, type SerialPins } from '../../boards/serial-service-port.ts';

type Callbacks = { onReadable: (this: SerialIo, bytes: number) => void; onWritable: (this: SerialIo, bytes: number) => void };

const LIN_BUFFER_BYTES = 1024;
const ESP32_TX_FIFO_BYTES = 128;

class FakeLinSerial implements SerialIo {
  static last: FakeLinSerial;
  readonly options: Record<string, unknown>;
  readonly callbacks: Callbacks;
  /** Bytes the tty can take now (the peer reads the rest later). */
  ttyRoomBytes = Infinity;
  /** What reached the tty, one entry per `write`'s bytes the tty took. */
  tty: number[] = [];
  writes: ArrayBuffer[] = [];
  pending: number[] = [];
  input: number[] = [];
  closed = false;
  failNextWrite: Error | undefined;

  constructor(options: Record<string, unknown> & Callbacks) {
    this.options = options;
    this.callbacks = { onReadable: options.onReadable, onWritable: options.onWritable };
    FakeLinSerial.last = this;
  }

  read(): ArrayBuffer | undefined {
    if (this.input.length === 0) return undefined;
    const bytes = Uint8Array.from(this.input);
    this.input = [];
    return bytes.buffer;
  }

  write(value: ArrayBuffer): void {
    if (!(value instanceof ArrayBuffer)) throw new TypeError('no ArrayBuffer instance');
    if (this.failNextWrite) {
      const fault = this.failNextWrite;
      this.failNextWrite = undefined;
      throw fault;
    }
    if (value.byteLength > LIN_BUFFER_BYTES || this.pending.length > 0) throw new Error('would overflow');
    this.writes.push(value);
    const bytes = [...new Uint8Array(value)];
    const taken = Math.min(bytes.length, this.ttyRoomBytes);
    this.tty.push(...bytes.slice(0, taken));
    this.ttyRoomBytes -= taken;
    this.pending = bytes.slice(taken);
  }

  close(): void {
    this.closed = true;
  }

  /** The event loop: the tty has room for `roomBytes` more; the serial sends what it kept, then says it is writable. */
  drain(roomBytes: number): void {
    this.ttyRoomBytes = roomBytes;
    const taken = Math.min(this.pending.length, this.ttyRoomBytes);
    this.tty.push(...this.pending.splice(0, taken));
    this.ttyRoomBytes -= taken;
    if (this.pending.length === 0) this.callbacks.onWritable.call(this, LIN_BUFFER_BYTES);
  }

  /** The event loop: bytes arrived on the tty. */
  arrive(bytes: number[]): void {
    this.input.push(...bytes);
    this.callbacks.onReadable.call(this, this.input.length);
  }
}

class FakeEsp32Serial implements SerialIo {
  static last: FakeEsp32Serial;
  readonly options: Record<string, unknown>;
  readonly callbacks: Callbacks;
  fifo: number[] = [];
  line: number[] = [];
  writes = 0;

  constructor(options: Record<string, unknown> & Callbacks) {
    this.options = options;
    this.callbacks = { onReadable: options.onReadable, onWritable: options.onWritable };
    FakeEsp32Serial.last = this;
  }

  read(): ArrayBuffer | undefined {
    return undefined;
  }

  write(value: ArrayBuffer | ArrayBufferView): void {
    const bytes = ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
    if (bytes.length > ESP32_TX_FIFO_BYTES - this.fifo.length) throw new Error('output full');
    this.fifo.push(...bytes);
    this.writes += 1;
  }

  close(): void {}

  /** The event loop: the UART shifted the FIFO out; the TX-empty interrupt reports the free space. */
  shiftOut(): void {
    this.line.push(...this.fifo.splice(0));
    this.callbacks.onWritable.call(this, ESP32_TX_FIFO_BYTES);
  }
}

const Lin = FakeLinSerial as unknown as SerialIoClass<SerialDevice>;
const Esp32 = FakeEsp32Serial as unknown as SerialIoClass<SerialPins>;

function bytesFrom(start: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (start + i) & 0xff);
}

test('the serial opens where the options say, in buffer format', () => {
  new SerialServicePort({ io: Lin, device: '/dev/pts/7', baud: 115_200 });
  assert.equal({ ...FakeLinSerial.last.options, onReadable: undefined, onWritable: undefined }, { device: '/dev/pts/7', baud: 115_200, format: 'buffer', onReadable: undefined, onWritable: undefined });
  new SerialServicePort({ io: Esp32, port: 0, receive: 3, transmit: 1, baud: 115_200 });
  assert.equal(Object.keys(FakeEsp32Serial.last.options).sort(), ['baud', 'format', 'onReadable', 'onWritable', 'port', 'receive', 'transmit']);
  assert.throws(() => new SerialServicePort({ io: Lin, device: '/dev/pts/7', baud: 0 }), /"baud" expected a positive integer, got 0/);
});

test('nothing is written before the serial says it is writable; then the queued frames go out in order, in one ArrayBuffer', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  port.write(Uint8Array.of(1, 2, 3));
  port.write(Uint8Array.of(4, 5));
  assert.equal(serial.writes, []);
  serial.drain(Infinity);
  assert.is(serial.writes.length, 1);
  assert.equal(serial.tty, [1, 2, 3, 4, 5]);
  serial.drain(Infinity);
  assert.is(serial.writes.length, 1, 'an empty queue writes nothing');
});

test('a view into a larger buffer goes out as exactly its bytes, in an ArrayBuffer; the caller may reuse its buffer at once', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  const whole = bytesFrom(100, 16);
  port.write(whole.subarray(4, 9));
  whole.fill(0);
  serial.drain(Infinity);
  assert.ok(serial.writes[0] instanceof ArrayBuffer);
  assert.is(serial.writes[0]!.byteLength, 5);
  assert.equal(serial.tty, [104, 105, 106, 107, 108]);
  assert.throws(() => serial.write(new Uint8Array(4) as unknown as ArrayBuffer), /no ArrayBuffer instance/, 'the fake keeps the lin rule');
});

test('lin, short writes: the tty takes part, the rest waits for onWritable, never a second write meanwhile; a frame over 1024 bytes goes in pieces', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  serial.drain(10);
  const frame = bytesFrom(0, 3000);
  port.write(frame);
  port.write(Uint8Array.of(0xaa, 0xbb));
  assert.is(serial.writes.length, 1);
  assert.is(serial.writes[0]!.byteLength, 1024, 'no more than the budget onWritable gave');
  assert.is(serial.tty.length, 10);
  port.write(Uint8Array.of(0xcc));
  assert.is(serial.writes.length, 1, 'no write while the serial holds bytes (it would overflow)');
  for (let step = 0; step < 20 && serial.tty.length < 3003; step += 1) serial.drain(300 + step);
  assert.equal(serial.tty, [...frame, 0xaa, 0xbb, 0xcc]);
  assert.ok(serial.writes.every((w) => w.byteLength <= LIN_BUFFER_BYTES));
});

test('ESP32: never more than the TX FIFO has room for; every byte arrives once, in order', () => {
  const port = new SerialServicePort({ io: Esp32, port: 0, receive: 3, transmit: 1, baud: 115_200 });
  const serial = FakeEsp32Serial.last;
  serial.shiftOut();
  const frames = [bytesFrom(0, 300), bytesFrom(50, 7), bytesFrom(9, 200)];
  for (const frame of frames) port.write(frame);
  for (let step = 0; step < 20 && serial.line.length + serial.fifo.length < 507; step += 1) serial.shiftOut();
  serial.shiftOut();
  assert.equal(serial.line, frames.flatMap((f) => [...f]));
  assert.is(serial.writes, 4, '507 bytes in 128-byte writes');
});

test('a peer that never reads: writes beyond the queue bound are dropped whole, the queued ones go out in order once the tty drains', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  serial.drain(0);
  const frameBytes = 1000;
  const frames = Array.from({ length: 10 }, (_, i) => new Uint8Array(frameBytes).fill(i + 1));
  for (const frame of frames) port.write(frame);
  for (let step = 0; step < 20; step += 1) serial.drain(Infinity);
  // the first frame went into the serial at once (the tty did not take it); four more fit the queue
  const kept = 1 + Math.floor(SERVICE_PORT_QUEUE_MAX_BYTES / frameBytes);
  assert.is(kept, 5);
  assert.equal(serial.tty, frames.slice(0, kept).flatMap((f) => [...f]));
  port.write(Uint8Array.of(0xee));
  serial.drain(Infinity);
  assert.is(serial.tty.at(-1), 0xee, 'the queue takes writes again once drained');
});

test('receiving: the bytes go to the receiver; without a receiver they are read and dropped, so the next ones are not mixed with them', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  const received: number[][] = [];
  serial.arrive([9, 9]);
  assert.equal(serial.input, [], 'read although nobody listens');
  port.setReceiver((bytes) => received.push([...bytes]));
  serial.arrive([1, 2, 3]);
  serial.arrive([4]);
  port.setReceiver(undefined);
  serial.arrive([5]);
  assert.equal(received, [[1, 2, 3], [4]]);
});

test('a device fault while sending from onWritable drops the queued bytes and is thrown once by the next write; then sending goes on', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  port.write(Uint8Array.of(1, 2, 3));
  serial.failNextWrite = new Error('EIO');
  serial.drain(Infinity);
  assert.throws(() => port.write(Uint8Array.of(4)), /EIO/);
  port.write(Uint8Array.of(5));
  serial.drain(Infinity);
  assert.equal(serial.tty, [5]);
});

test('a device fault in write itself is thrown to the caller', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  serial.drain(Infinity);
  serial.failNextWrite = new Error('EIO');
  assert.throws(() => port.write(Uint8Array.of(1)), /EIO/);
});

test('close closes the serial, forgets the receiver and the queue, and writes nothing more', () => {
  const port = new SerialServicePort({ io: Lin, device: '/dev/tty', baud: 115_200 });
  const serial = FakeLinSerial.last;
  const received: number[] = [];
  port.setReceiver((bytes) => received.push(...bytes));
  port.write(Uint8Array.of(1));
  serial.drain(Infinity);
  port.write(Uint8Array.of(2));
  port.close();
  assert.ok(serial.closed);
  port.write(Uint8Array.of(3));
  serial.arrive([7]);
  assert.equal(received, []);
  assert.equal(serial.tty, [1], 'nothing written after close, nothing queued sent');
});

test.run();

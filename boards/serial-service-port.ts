// The service console's port (hal/types `ServicePort`) on an ECMA-419 `embedded:io/serial`
// (ECMA-419 2nd ed., "Serial"; format "buffer"): a UART on a device (board v1's USB-UART bridge),
// a tty on Linux (Moddable's `lin` serial, its `device` option naming the path).
//
// Receiving: on `onReadable` one `read()` takes every byte waiting (always, so a level-triggered
// readiness clears even with no receiver registered) and hands them to the receiver.
// Sending: `write` queues a copy; bytes go out in `onWritable`'s budget, at most one `write` per
// `onWritable`. Why one: the lin serial takes any write up to its 1024-byte buffer, but refuses
// another one ("would overflow") while the tty has not taken the last, and tells so only by the
// next `onWritable`; the ESP32 serial refuses ("output full") more than its TX FIFO's free space,
// and also calls `onWritable` again after each write (TX FIFO below its threshold). Each write is a
// fresh ArrayBuffer holding exactly the bytes to send: the lin serial takes an ArrayBuffer only
// (a view is a TypeError there), the ESP32 one any buffer.
// The queue is bounded: a peer that sends requests but never reads its answers (the tty full, the
// serial silent) makes the port drop whole writes beyond `SERVICE_PORT_QUEUE_MAX_BYTES`, as a
// USB-CDC port drops what no host reads. A device fault while sending from `onWritable` drops the
// queued bytes (the technician's tool asks again) and is thrown by the next `write`.
import type { ServicePort } from '../hal/types.ts';

/** Bytes waiting for the serial at most (four of the console's largest frames). */
export const SERVICE_PORT_QUEUE_MAX_BYTES = 4096;

/** The part of ECMA-419 `embedded:io/serial` (format "buffer") the port uses. */
export interface SerialIo {
  read(): number | ArrayBuffer | undefined;
  write(buffer: ArrayBuffer): void;
  close(): void;
}

/** Where the serial is: a UART's port and pins on a device. */
export type SerialPins = { port: number; receive: number; transmit: number };
/** Where the serial is: a tty's path on Linux (Moddable's lin serial). */
export type SerialDevice = { device: string };

export type SerialIoClass<Place extends SerialPins | SerialDevice> = new (
  options: Place & {
    baud: number;
    format: 'buffer';
    onReadable: (this: SerialIo, bytes: number) => void;
    onWritable: (this: SerialIo, bytes: number) => void;
  },
) => SerialIo;

export type SerialServicePortOptions =
  | ({ io: SerialIoClass<SerialPins>; baud: number } & SerialPins)
  | ({ io: SerialIoClass<SerialDevice>; baud: number } & SerialDevice);

export class SerialServicePort implements ServicePort {
  readonly #serial: SerialIo;
  #receiver: ((bytes: Uint8Array) => void) | undefined;
  /** The budget the serial gave at its last `onWritable`, spent by the next write: 0 until it calls. */
  #writableBytes = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #fault: unknown = undefined;

  constructor(options: SerialServicePortOptions) {
    // Either class with its own kind of place: TypeScript cannot pair them through the spread.
    const { io, ...settings } = options as { io: SerialIoClass<SerialPins | SerialDevice>; baud: number } & (SerialPins | SerialDevice);
    if (!Number.isInteger(settings.baud) || settings.baud <= 0) throw new RangeError(`serial-service-port: "baud" expected a positive integer, got ${settings.baud}`);
    const port = this;
    this.#serial = new io({
      ...settings,
      format: 'buffer',
      onReadable(this: SerialIo) {
        port.#received(this.read());
      },
      onWritable(this: SerialIo, bytes: number) {
        port.#writable(this, bytes);
      },
    });
  }

  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void {
    this.#receiver = receiver;
  }

  /** Queue `bytes` and send what the serial takes now; throws a device fault (this write's or an earlier queued one's). */
  write(bytes: Uint8Array): void {
    if (this.#fault !== undefined) {
      const fault = this.#fault;
      this.#fault = undefined;
      throw fault;
    }
    if (bytes.length === 0 || this.#queuedBytes + bytes.length > SERVICE_PORT_QUEUE_MAX_BYTES) return;
    this.#queue.push(bytes.slice());
    this.#queuedBytes += bytes.length;
    this.#send(this.#serial);
  }

  /** Close the serial; later writes are dropped (a closed lin serial must not be written). */
  close(): void {
    this.#receiver = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#writableBytes = 0;
    this.#serial.close();
  }

  #received(buffer: number | ArrayBuffer | undefined): void {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    this.#receiver?.(new Uint8Array(buffer));
  }

  #writable(serial: SerialIo, bytes: number): void {
    this.#writableBytes = bytes;
    try {
      this.#send(serial);
    } catch (error) {
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#fault = error;
    }
  }

  /** One write of as many queued bytes as the serial's budget takes. */
  #send(serial: SerialIo): void {
    const byteLength = Math.min(this.#writableBytes, this.#queuedBytes);
    if (byteLength === 0) return;
    const chunk = new Uint8Array(byteLength);
    let filled = 0;
    for (const bytes of this.#queue) {
      const taken = Math.min(bytes.length, byteLength - filled);
      chunk.set(bytes.subarray(0, taken), filled);
      filled += taken;
      if (filled === byteLength) break;
    }
    serial.write(chunk.buffer);
    this.#writableBytes = 0;
    this.#dropSent(byteLength);
  }

  #dropSent(byteLength: number): void {
    this.#queuedBytes -= byteLength;
    let left = byteLength;
    while (left > 0) {
      const head = this.#queue[0]!;
      if (head.length <= left) {
        this.#queue.shift();
        left -= head.length;
      } else {
        this.#queue[0] = head.subarray(left);
        left = 0;
      }
    }
  }
}

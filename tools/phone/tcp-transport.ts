// The reader side of the TCP bridge (tcp-frames.ts): one tap = one connection to a pile simulator
// (`tapcharge pile serve`): FIELD_ON, APDUs, FIELD_OFF. `TcpTap` is an IsoDep transport for
// PileReader. A dropped connection fails the next transceive, as a lost tag does on a phone.
import { connect, type Socket } from 'node:net';
import { utf8Decode, utf8Encode } from '../../contracts-offline/bytes.ts';
import { PileLinkError } from './errors.ts';
import { type Frame, FrameReader, FrameType, encodeFrame } from './tcp-frames.ts';

export type PileAddress = { host: string; port: number };

/** Parses "HOST:PORT" (host defaults to 127.0.0.1 when only ":PORT" or "PORT" is given). */
export function parsePileAddress(text: string): PileAddress {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new TypeError(`tcp-transport: pile address expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: match[1] || '127.0.0.1', port };
}

const defaultTimeoutMs = 5000;

/** One TCP connection speaking frames: one request, one answer. */
class FrameLink {
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  readonly #timeoutMs: number;
  #waiting: { resolve: (frame: Frame) => void; reject: (error: Error) => void } | undefined;
  #closed: string | undefined;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => this.#receive(new Uint8Array(chunk)));
    socket.on('close', () => this.#close('the pile closed the connection'));
    socket.on('error', (error: NodeJS.ErrnoException) => this.#close(`connection error ${error.code ?? error.message}`));
  }

  static open(address: PileAddress, timeoutMs: number): Promise<FrameLink> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.host, port: address.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PileLinkError(`pile ${address.host}:${address.port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new FrameLink(socket, timeoutMs));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new PileLinkError(`pile ${address.host}:${address.port}: ${error.code ?? error.message}`));
      });
    });
  }

  /** Sends a frame, answers the pile's frame of type `expect`; ERROR or anything else fails. */
  async request(type: number, payload: Uint8Array, expect: number): Promise<Uint8Array> {
    if (this.#closed) throw new PileLinkError(`pile link closed: ${this.#closed}`);
    if (this.#waiting) throw new Error('tcp-transport: one request at a time');
    const answer = new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#close(`no answer within ${this.#timeoutMs} ms`);
      }, this.#timeoutMs);
      this.#waiting = {
        resolve: (frame) => { clearTimeout(timer); resolve(frame); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
    });
    this.#socket.write(encodeFrame(type, payload));
    const frame = await answer;
    if (frame.type === FrameType.error) {
      const reason = utf8Decode(frame.payload);
      this.#close('refused');
      throw new PileLinkError(`pile refused: ${reason.ok ? reason.value : 'unreadable reason'}`);
    }
    if (frame.type !== expect) {
      this.#close('unexpected frame');
      throw new PileLinkError(`pile answered frame type 0x${frame.type.toString(16)}, expected 0x${expect.toString(16)}`);
    }
    return frame.payload;
  }

  close(): void {
    this.#close('closed by the phone');
  }

  #receive(chunk: Uint8Array): void {
    const frames = this.#reader.push(chunk);
    if (!frames.ok) return this.#close(frames.reason);
    for (const frame of frames.value) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (!waiting) return this.#close('the pile sent a frame nobody asked for');
      waiting.resolve(frame);
    }
  }

  #close(reason: string): void {
    if (!this.#closed) this.#closed = reason;
    this.#socket.destroy();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new PileLinkError(`pile link lost: ${reason}`));
  }
}

/** One tap on a pile over TCP; `transceive` matches the IsoDep transport PileReader expects. */
export class TcpTap {
  readonly #link: FrameLink;
  #ended = false;

  private constructor(link: FrameLink) {
    this.#link = link;
  }

  /** Connects and switches the field on (the card activates). */
  static async open(address: PileAddress, options: { timeoutMs?: number } = {}): Promise<TcpTap> {
    const link = await FrameLink.open(address, options.timeoutMs ?? defaultTimeoutMs);
    try {
      await link.request(FrameType.fieldOn, new Uint8Array(0), FrameType.fieldOnOk);
    } catch (error) {
      link.close();
      throw error;
    }
    return new TcpTap(link);
  }

  async transceive(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#ended) throw new PileLinkError('tap ended (field is off)');
    return this.#link.request(FrameType.apdu, apdu, FrameType.response);
  }

  /** Field off, then close; the tap is over even when the pile is already gone. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#link.request(FrameType.fieldOff, new Uint8Array(0), FrameType.fieldOffOk);
    } catch {
      // the connection closing is field off for the pile as well
    } finally {
      this.#link.close();
    }
  }
}

/**
 * A tap that starts (connects, field on) at the first APDU, so a flow that gives up before talking
 * to the pile never touches it; `end` is then a no-op.
 */
export class LazyTcpTap {
  readonly #address: PileAddress;
  readonly #timeoutMs: number | undefined;
  #tap: Promise<TcpTap> | undefined;

  constructor(address: PileAddress, options: { timeoutMs?: number } = {}) {
    this.#address = address;
    this.#timeoutMs = options.timeoutMs;
  }

  async transceive(apdu: Uint8Array): Promise<Uint8Array> {
    this.#tap ??= TcpTap.open(this.#address, this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs });
    return (await this.#tap).transceive(apdu);
  }

  async end(): Promise<void> {
    const tap = this.#tap;
    if (!tap) return;
    try {
      await (await tap).end();
    } catch {
      // it never opened: nothing to end
    }
  }
}

/** Sends one control request (e.g. {"op":"plug"}) and answers the pile's JSON reply. */
export async function sendPileControl(address: PileAddress, request: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<unknown> {
  const link = await FrameLink.open(address, options.timeoutMs ?? defaultTimeoutMs);
  try {
    const payload = await link.request(FrameType.control, utf8Encode(JSON.stringify(request)), FrameType.controlOk);
    const text = utf8Decode(payload);
    if (!text.ok) throw new PileLinkError('pile control answer is not UTF-8');
    try {
      return JSON.parse(text.value) as unknown;
    } catch {
      throw new PileLinkError('pile control answer is not JSON');
    }
  } finally {
    link.close();
  }
}

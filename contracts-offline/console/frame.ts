// Service-console framing (firmware/console/README.md "Framing"): a frame is
// COBS(body ‖ CRC-32(body) little-endian) followed by one 0x00 delimiter. The reader takes bytes
// as they come (split anywhere, several frames at once) and turns each delimited frame into a
// body or one error; it never throws on what it reads.
import { crc32 } from '../crc32.ts';
import { cobsDecode, cobsEncode, cobsMaxEncodedBytes } from './cobs.ts';

export const CONSOLE_BODY_MAX_BYTES = 1024;
const CRC_BYTES = 4;
const DELIMITER = 0x00;
/** The largest frame on the wire, its delimiter included. */
export const CONSOLE_FRAME_MAX_BYTES = cobsMaxEncodedBytes(CONSOLE_BODY_MAX_BYTES + CRC_BYTES) + 1;

export type FrameErrorCode = 'bad-frame' | 'bad-crc' | 'oversized';
export type FrameEvent = { ok: true; body: Uint8Array } | { ok: false; code: FrameErrorCode; reason: string };

/** One frame for `body`, delimiter included. Throws RangeError/TypeError on our own bad input. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  if (!(body instanceof Uint8Array)) throw new TypeError('console-frame: "body" expected Uint8Array');
  if (body.length > CONSOLE_BODY_MAX_BYTES) throw new RangeError(`console-frame: "body" expected at most ${CONSOLE_BODY_MAX_BYTES} bytes, got ${body.length}`);
  const checked = new Uint8Array(body.length + CRC_BYTES);
  checked.set(body);
  new DataView(checked.buffer).setUint32(body.length, crc32(body), true);
  const stuffed = cobsEncode(checked);
  const frame = new Uint8Array(stuffed.length + 1);
  frame.set(stuffed);
  frame[stuffed.length] = DELIMITER;
  return frame;
}

function checkedBody(stuffed: Uint8Array): FrameEvent {
  const decoded = cobsDecode(stuffed);
  if (!decoded.ok) return { ok: false, code: 'bad-frame', reason: `console-frame: ${decoded.reason}` };
  const bytes = decoded.value;
  if (bytes.length < 1 + CRC_BYTES) return { ok: false, code: 'bad-frame', reason: `console-frame: ${bytes.length} bytes, fewer than a body byte and its CRC-32` };
  const bodyBytes = bytes.length - CRC_BYTES;
  if (bodyBytes > CONSOLE_BODY_MAX_BYTES) return { ok: false, code: 'oversized', reason: `console-frame: body of ${bodyBytes} bytes, more than ${CONSOLE_BODY_MAX_BYTES}` };
  const body = bytes.slice(0, bodyBytes);
  const sent = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bodyBytes, true);
  const computed = crc32(body);
  if (sent !== computed) return { ok: false, code: 'bad-crc', reason: `console-frame: CRC-32 ${hex32(sent)} does not match the body's ${hex32(computed)}` };
  return { ok: true, body };
}

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Collects bytes into frames; each `push` returns the frames its bytes completed, in order. */
export class FrameReader {
  readonly #pending = new Uint8Array(CONSOLE_FRAME_MAX_BYTES - 1);
  #length = 0;
  /** After an oversized frame: every byte is dropped until the next delimiter. */
  #dropping = false;

  push(bytes: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === DELIMITER) {
        if (!this.#dropping && this.#length > 0) events.push(checkedBody(this.#pending.subarray(0, this.#length)));
        this.#length = 0;
        this.#dropping = false;
      } else if (this.#dropping) {
        continue;
      } else if (this.#length === this.#pending.length) {
        events.push({ ok: false, code: 'oversized', reason: `console-frame: no delimiter within ${CONSOLE_FRAME_MAX_BYTES} bytes` });
        this.#length = 0;
        this.#dropping = true;
      } else {
        this.#pending[this.#length++] = byte;
      }
    }
    return events;
  }
}

// Framing of the TCP bridge between a phone (reader) and a pile simulator in another process
// (tools/pile-sim). It carries what the RF field carries — field on, command APDUs, field off — plus
// control requests for the simulated vehicle. Both sides use this file.
//
//   frame   = type (1 byte) ‖ length (2 bytes, big-endian) ‖ payload (length bytes, ≤ 1024)
//
//   phone → pile                              pile → phone
//   0x01 FIELD_ON   empty                     0x81 FIELD_ON_OK   empty
//   0x02 APDU       command APDU, 4..261 B    0x82 RESPONSE      response APDU, 2..258 B
//   0x03 FIELD_OFF  empty                     0x83 FIELD_OFF_OK  empty
//   0x04 CONTROL    UTF-8 JSON request        0x84 CONTROL_OK    UTF-8 JSON answer
//                                             0x7F ERROR         UTF-8 one-line reason
//
// One request, one answer, in order. ERROR means the request was refused; the pile then closes
// the connection, and a connection closed mid-tap is a field loss (the card sees field off).
// A reader refuses a frame with an unknown type, a length over 1024 or one outside its type's
// range as soon as the 3-byte header arrives, without waiting for the payload.
import { COMMAND_APDU_MAX_BYTES } from '../../contracts-offline/apdu.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

export const FrameType = Object.freeze({
  fieldOn: 0x01,
  apdu: 0x02,
  fieldOff: 0x03,
  control: 0x04,
  fieldOnOk: 0x81,
  response: 0x82,
  fieldOffOk: 0x83,
  controlOk: 0x84,
  error: 0x7f,
});

export const FRAME_HEADER_BYTES = 3;
export const FRAME_MAX_PAYLOAD_BYTES = 1024;

export type Frame = { type: number; payload: Uint8Array };

/** Payload length range per frame type. */
const payloadBytes: ReadonlyMap<number, readonly [number, number]> = new Map([
  [FrameType.fieldOn, [0, 0]],
  [FrameType.apdu, [4, COMMAND_APDU_MAX_BYTES]],
  [FrameType.fieldOff, [0, 0]],
  [FrameType.control, [2, FRAME_MAX_PAYLOAD_BYTES]],
  [FrameType.fieldOnOk, [0, 0]],
  [FrameType.response, [2, 258]],
  [FrameType.fieldOffOk, [0, 0]],
  [FrameType.controlOk, [2, FRAME_MAX_PAYLOAD_BYTES]],
  [FrameType.error, [0, FRAME_MAX_PAYLOAD_BYTES]],
]);

const typeName = (type: number): string => `0x${type.toString(16).padStart(2, '0')}`;

function checkHeader(type: number, length: number): string | undefined {
  const range = payloadBytes.get(type);
  if (!range) return `frame: unknown frame type ${typeName(type)}`;
  if (length > FRAME_MAX_PAYLOAD_BYTES) return `frame: payload of ${length} bytes exceeds ${FRAME_MAX_PAYLOAD_BYTES}`;
  if (length < range[0] || length > range[1]) return `frame: type ${typeName(type)} expected ${range[0]}..${range[1]} payload bytes, got ${length}`;
  return undefined;
}

export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bad = checkHeader(type, payload.length);
  if (bad) throw new RangeError(bad);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = type;
  out[1] = payload.length >> 8;
  out[2] = payload.length & 0xff;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Reassembles frames from a byte stream. After the first bad header it stays failed. */
export class FrameReader {
  #buffer = new Uint8Array(0);
  #failure: string | undefined;

  /** Adds received bytes; answers the frames now complete, or the reason the stream is bad. */
  push(chunk: Uint8Array): Result<Frame[]> {
    if (this.#failure) return fail('malformed', this.#failure);
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: Frame[] = [];
    let at = 0;
    while (joined.length - at >= FRAME_HEADER_BYTES) {
      const type = joined[at]!;
      const length = (joined[at + 1]! << 8) | joined[at + 2]!;
      const bad = checkHeader(type, length);
      if (bad) {
        this.#failure = bad;
        this.#buffer = new Uint8Array(0);
        return fail('malformed', bad);
      }
      if (joined.length - at - FRAME_HEADER_BYTES < length) break;
      frames.push({ type, payload: joined.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) });
      at += FRAME_HEADER_BYTES + length;
    }
    this.#buffer = joined.slice(at);
    return ok(frames);
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }
}

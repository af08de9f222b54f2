// Framing between vpcd — the virtual smart card reader driver of vsmartcard, loaded by pcscd —
// and a virtual card connected to it over TCP (vsmartcard's virtualsmartcard/doc/api.txt):
//
//   message = length (2 bytes, big-endian) ‖ payload (length bytes)
//
//   vpcd → card                                  card → vpcd
//   00 01 | 00   power off                       (no answer)
//   00 01 | 01   power on                        (no answer)
//   00 01 | 02   reset                           (no answer)
//   00 01 | 04   get ATR                         length ‖ ATR
//   length | command APDU                        length ‖ response APDU
//
// vpcd starts every exchange; a 1-byte payload is a control code, anything longer a command APDU.
// This reader takes what the pile's RF link carries: a command APDU of 4..261 bytes (design §6).
// An empty payload, 2 or 3 bytes, or more than 261 is refused as soon as the 2-byte header
// arrives; an unknown control code once its byte arrives.
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { COMMAND_APDU_MAX_BYTES } from '../../contracts-offline/apdu.ts';

export const VpcdControl = Object.freeze({ powerOff: 0x00, powerOn: 0x01, reset: 0x02, getAtr: 0x04 });

export type VpcdMessage = { kind: 'control'; code: number } | { kind: 'apdu'; apdu: Uint8Array };

const HEADER_BYTES = 2;
const COMMAND_APDU_MIN_BYTES = 4;
const controlCodes: ReadonlySet<number> = new Set(Object.values(VpcdControl));

function checkLength(length: number): string | undefined {
  if (length === 0) return 'vpcd frame: empty payload (neither a control code nor an APDU)';
  if (length > 1 && length < COMMAND_APDU_MIN_BYTES) return `vpcd frame: a command APDU has at least ${COMMAND_APDU_MIN_BYTES} bytes, got ${length}`;
  if (length > COMMAND_APDU_MAX_BYTES) return `vpcd frame: payload of ${length} bytes exceeds the ${COMMAND_APDU_MAX_BYTES}-byte command APDU limit`;
  return undefined;
}

/** The card's answer (ATR or response APDU) as one message. */
export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length < 1 || payload.length > 0xffff) throw new RangeError(`vpcd frame: payload expected 1..65535 bytes, got ${payload.length}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Reassembles vpcd's messages from a byte stream. After the first bad frame it stays failed. */
export class VpcdFrameReader {
  #buffer = new Uint8Array(0);
  #failure: string | undefined;

  /** Adds received bytes; answers the messages now complete, or the reason the stream is bad. */
  push(chunk: Uint8Array): Result<VpcdMessage[]> {
    if (this.#failure) return fail('malformed', this.#failure);
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const messages: VpcdMessage[] = [];
    let at = 0;
    while (joined.length - at >= HEADER_BYTES) {
      const length = (joined[at]! << 8) | joined[at + 1]!;
      let bad = checkLength(length);
      if (!bad && joined.length - at - HEADER_BYTES < length) break;
      const payload = joined.slice(at + HEADER_BYTES, at + HEADER_BYTES + length);
      if (!bad && length === 1 && !controlCodes.has(payload[0]!)) bad = `vpcd frame: unknown control code 0x${payload[0]!.toString(16).padStart(2, '0')}`;
      if (bad) {
        this.#failure = bad;
        this.#buffer = new Uint8Array(0);
        return fail('malformed', bad);
      }
      messages.push(length === 1 ? { kind: 'control', code: payload[0]! } : { kind: 'apdu', apdu: payload });
      at += HEADER_BYTES + length;
    }
    this.#buffer = joined.slice(at);
    return ok(messages);
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }
}

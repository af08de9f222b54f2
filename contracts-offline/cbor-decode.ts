// Strict decoder for deterministic CBOR (RFC 8949 §4.2.1) within the data model of cbor-value.ts.
// Anything another encoder could have written differently is refused, so an accepted input
// re-encodes to the identical bytes. Every refusal has its own reason.
import { compareBytes, utf8Decode } from './bytes.ts';
import { type CborKey, type CborMap, type CborValue, CborTag, CBOR_MAX_BYTES, CBOR_MAX_DEPTH } from './cbor-value.ts';
import { type Result, ok, fail } from './result.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

class Refusal {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

function refuse(reason: string): never {
  throw new Refusal(`cbor: ${reason}`);
}

class Reader {
  pos = 0;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) refuse('truncated');
    return this.bytes[this.pos++]!;
  }

  // The argument of a head (RFC 8949 §3): must use the shortest form (§4.2.1).
  argument(info: number, kind: 'integer' | 'length'): number {
    if (info < 24) return info;
    if (info === 31) refuse(kind === 'length' ? 'indefinite length' : 'indefinite-length marker on a non-container');
    if (info > 27) refuse(`reserved additional information ${info}`);
    const size = 1 << (info - 24);
    if (this.pos + size > this.bytes.length) refuse('truncated');
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.bytes[this.pos++]!;
    const smallest = info === 24 ? 24 : info === 25 ? 0x100 : info === 26 ? 0x10000 : 0x1_0000_0000;
    if (value < smallest) refuse(`non-canonical ${kind}`);
    if (value > MAX_SAFE) refuse('integer exceeds 2^53-1');
    return value;
  }

  take(length: number): Uint8Array {
    if (length > this.bytes.length - this.pos) refuse('truncated');
    const out = this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  item(depth: number): CborValue {
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 31;
    switch (major) {
      case 0:
        return this.argument(info, 'integer');
      case 1: {
        const n = this.argument(info, 'integer');
        if (n === MAX_SAFE) refuse('integer exceeds 2^53-1');
        return -1 - n;
      }
      case 2:
        return this.take(this.argument(info, 'length'));
      case 3: {
        const text = utf8Decode(this.take(this.argument(info, 'length')));
        if (!text.ok) refuse(text.reason);
        return text.value;
      }
      case 4: {
        const count = this.argument(info, 'length');
        if (depth >= CBOR_MAX_DEPTH) refuse(`nesting deeper than ${CBOR_MAX_DEPTH}`);
        if (count > this.bytes.length - this.pos) refuse('truncated');
        const out: CborValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5:
        return this.map(this.argument(info, 'length'), depth);
      case 6: {
        const tag = this.argument(info, 'integer');
        if (depth >= CBOR_MAX_DEPTH) refuse(`nesting deeper than ${CBOR_MAX_DEPTH}`);
        return new CborTag(tag, this.item(depth + 1));
      }
      default:
        return this.simple(info);
    }
  }

  map(count: number, depth: number): CborMap {
    if (depth >= CBOR_MAX_DEPTH) refuse(`nesting deeper than ${CBOR_MAX_DEPTH}`);
    if (count * 2 > this.bytes.length - this.pos) refuse('truncated');
    const out: CborMap = new Map();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const start = this.pos;
      const key = this.item(depth + 1);
      if (typeof key !== 'number' && typeof key !== 'string') refuse('map key must be an integer or text');
      const encoded = this.bytes.subarray(start, this.pos);
      if (previous) {
        const order = compareBytes(previous, encoded);
        if (order === 0) refuse('duplicate map key');
        if (order > 0) refuse('map keys not sorted');
      }
      previous = encoded;
      out.set(key as CborKey, this.item(depth + 1));
    }
    return out;
  }

  simple(info: number): CborValue {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info >= 25 && info <= 27) refuse('floats not supported');
    if (info === 31) refuse('unexpected break');
    if (info > 27) refuse(`reserved additional information ${info}`);
    if (info === 24) this.byte();
    return refuse('unsupported simple value');
  }
}

/**
 * Decodes one complete data item. Never throws; refusals carry a reason starting "cbor: ".
 * `maxBytes` (default `CBOR_MAX_BYTES`, the message limit) lets a container of several messages
 * (the NFC OUTBOX answer) be read by the same strict decoder.
 */
export function decodeCbor(bytes: Uint8Array, options: { maxBytes?: number } = {}): Result<CborValue> {
  const maxBytes = options.maxBytes ?? CBOR_MAX_BYTES;
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'cbor: input is not bytes');
  if (bytes.length > maxBytes) return fail('malformed', `cbor: input exceeds ${maxBytes} bytes`);
  if (bytes.length === 0) return fail('malformed', 'cbor: empty input');
  const reader = new Reader(bytes);
  try {
    const value = reader.item(0);
    if (reader.pos !== bytes.length) return fail('malformed', 'cbor: trailing bytes');
    return ok(value);
  } catch (error) {
    if (error instanceof Refusal) return fail('malformed', error.reason);
    throw error;
  }
}

// Deterministic CBOR encoding, RFC 8949 §4.2.1: preferred (shortest) integer and length
// arguments, definite lengths only, map keys sorted by the bytewise order of their encodings.
import { compareBytes, utf8Encode } from './bytes.ts';
import { type CborValue, CborTag, CBOR_MAX_DEPTH } from './cbor-value.ts';

const TWO_32 = 0x1_0000_0000;

/** The bytes written so far, in a buffer that doubles when full (byte strings copied natively with `set`). */
class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
  }

  room(count: number): void {
    if (this.length + count <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }

  append(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function head(out: ByteWriter, major: number, argument: number): void {
  const m = major << 5;
  out.room(9);
  const b = out.bytes;
  let at = out.length;
  if (argument < 24) b[at++] = m | argument;
  else if (argument < 0x100) {
    b[at++] = m | 24;
    b[at++] = argument;
  } else if (argument < 0x10000) {
    b[at++] = m | 25;
    b[at++] = argument >> 8;
    b[at++] = argument & 0xff;
  } else if (argument < TWO_32) {
    b[at++] = m | 26;
    b[at++] = argument >>> 24;
    b[at++] = (argument >> 16) & 0xff;
    b[at++] = (argument >> 8) & 0xff;
    b[at++] = argument & 0xff;
  } else {
    const hi = Math.floor(argument / TWO_32);
    const lo = argument % TWO_32;
    b[at++] = m | 27;
    b[at++] = 0;
    b[at++] = (hi >> 16) & 0xff;
    b[at++] = (hi >> 8) & 0xff;
    b[at++] = hi & 0xff;
    b[at++] = lo >>> 24;
    b[at++] = (lo >> 16) & 0xff;
    b[at++] = (lo >> 8) & 0xff;
    b[at++] = lo & 0xff;
  }
  out.length = at;
}

function smallKeysOnly(map: Map<unknown, unknown>): boolean {
  for (const key of map.keys()) if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key > 23) return false;
  return true;
}

function item(out: ByteWriter, value: CborValue, depth: number): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`cbor: only integers within ±(2^53-1) are encoded, got ${value}`);
    if (value >= 0) head(out, 0, value);
    else head(out, 1, -1 - value);
  } else if (typeof value === 'string') {
    const bytes = utf8Encode(value);
    head(out, 3, bytes.length);
    out.append(bytes);
  } else if (value instanceof Uint8Array) {
    head(out, 2, value.length);
    out.append(value);
  } else if (value === false) out.byte(0xf4);
  else if (value === true) out.byte(0xf5);
  else if (value === null) out.byte(0xf6);
  else {
    if (depth >= CBOR_MAX_DEPTH) throw new RangeError(`cbor: nesting deeper than ${CBOR_MAX_DEPTH}`);
    if (Array.isArray(value)) {
      head(out, 4, value.length);
      for (const v of value) item(out, v, depth + 1);
    } else if (value instanceof Map) {
      if (smallKeysOnly(value)) {
        // Keys 0..23 encode as the single byte of their value: bytewise order is numeric order.
        const keys = [...value.keys()].sort((a, b) => (a as number) - (b as number));
        head(out, 5, keys.length);
        for (const key of keys) {
          out.byte(key as number);
          item(out, value.get(key)!, depth + 1);
        }
        return;
      }
      const entries: { key: Uint8Array; value: CborValue }[] = [];
      for (const [k, v] of value) {
        if (typeof k !== 'number' && typeof k !== 'string') throw new TypeError(`cbor: map keys must be integers or text, got ${typeof k}`);
        const key = new ByteWriter(16);
        item(key, k, depth + 1);
        entries.push({ key: key.result(), value: v });
      }
      entries.sort((a, b) => compareBytes(a.key, b.key));
      head(out, 5, entries.length);
      for (const e of entries) {
        out.append(e.key);
        item(out, e.value, depth + 1);
      }
    } else if (value instanceof CborTag) {
      if (!Number.isSafeInteger(value.tag) || value.tag < 0) throw new RangeError(`cbor: tag number expected a non-negative safe integer, got ${value.tag}`);
      head(out, 6, value.tag);
      item(out, value.value, depth + 1);
    } else {
      throw new TypeError(`cbor: cannot encode ${Object.prototype.toString.call(value)}`);
    }
  }
}

/** Encodes a value deterministically. Throws TypeError/RangeError for values outside the data model. */
export function encodeCbor(value: CborValue): Uint8Array {
  const out = new ByteWriter();
  item(out, value, 0);
  return out.result();
}

// Deterministic CBOR encoding, RFC 8949 §4.2.1: preferred (shortest) integer and length
// arguments, definite lengths only, map keys sorted by the bytewise order of their encodings.
import { compareBytes, utf8Encode } from './bytes.ts';
import { type CborValue, CborTag, CBOR_MAX_DEPTH } from './cbor-value.ts';

const TWO_32 = 0x1_0000_0000;

function head(out: number[], major: number, argument: number): void {
  const m = major << 5;
  if (argument < 24) out.push(m | argument);
  else if (argument < 0x100) out.push(m | 24, argument);
  else if (argument < 0x10000) out.push(m | 25, argument >> 8, argument & 0xff);
  else if (argument < TWO_32) out.push(m | 26, argument >>> 24, (argument >> 16) & 0xff, (argument >> 8) & 0xff, argument & 0xff);
  else {
    const hi = Math.floor(argument / TWO_32);
    const lo = argument % TWO_32;
    out.push(m | 27, 0, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
  }
}

function pushBytes(out: number[], bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

function item(out: number[], value: CborValue, depth: number): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`cbor: only integers within ±(2^53-1) are encoded, got ${value}`);
    if (value >= 0) head(out, 0, value);
    else head(out, 1, -1 - value);
  } else if (typeof value === 'string') {
    const bytes = utf8Encode(value);
    head(out, 3, bytes.length);
    pushBytes(out, bytes);
  } else if (value instanceof Uint8Array) {
    head(out, 2, value.length);
    pushBytes(out, value);
  } else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (value === null) out.push(0xf6);
  else {
    if (depth >= CBOR_MAX_DEPTH) throw new RangeError(`cbor: nesting deeper than ${CBOR_MAX_DEPTH}`);
    if (Array.isArray(value)) {
      head(out, 4, value.length);
      for (const v of value) item(out, v, depth + 1);
    } else if (value instanceof Map) {
      const entries: { key: Uint8Array; value: CborValue }[] = [];
      for (const [k, v] of value) {
        if (typeof k !== 'number' && typeof k !== 'string') throw new TypeError(`cbor: map keys must be integers or text, got ${typeof k}`);
        const key: number[] = [];
        item(key, k, depth + 1);
        entries.push({ key: Uint8Array.from(key), value: v });
      }
      entries.sort((a, b) => compareBytes(a.key, b.key));
      head(out, 5, entries.length);
      for (const e of entries) {
        pushBytes(out, e.key);
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
  const out: number[] = [];
  item(out, value, 0);
  return Uint8Array.from(out);
}

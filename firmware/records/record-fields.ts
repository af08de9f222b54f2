// Strict reading of the small CBOR maps our own records use (integer keys 0..n-1, every key
// required, nothing else). A record that does not read back is a corrupt record, never guessed at.
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import type { CborMap, CborValue } from '../../contracts-offline/cbor-value.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

/** An unsigned integer up to `max`, or a byte string (of exactly `length` bytes when given). */
export type RecordField = { kind: 'uint'; max: number } | { kind: 'bytes'; length?: number };

/** Decodes `bytes` as a map holding exactly `fields.length` keys 0..n-1 of the given kinds. */
export function decodeRecordFields(record: string, bytes: Uint8Array, fields: readonly RecordField[]): Result<CborValue[]> {
  const decoded = decodeCbor(bytes);
  if (!decoded.ok) return fail('malformed', `${record}: ${decoded.reason}`);
  const map = decoded.value;
  if (!(map instanceof Map)) return fail('malformed', `${record}: not a map`);
  if (map.size !== fields.length) return fail('malformed', `${record}: expected ${fields.length} keys, got ${map.size}`);
  const values: CborValue[] = [];
  for (let key = 0; key < fields.length; key++) {
    const value = (map as CborMap).get(key);
    const field = fields[key]!;
    if (field.kind === 'uint') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > field.max) return fail('malformed', `${record}: key ${key} expected 0..${field.max}`);
    } else if (!(value instanceof Uint8Array) || (field.length !== undefined && value.length !== field.length)) {
      return fail('malformed', `${record}: key ${key} expected ${field.length ?? 'a byte string of'} bytes`);
    }
    values.push(value);
  }
  return ok(values);
}

/** The map our records are written as: key i = values[i]. */
export function encodeRecordFields(values: readonly CborValue[]): Map<number, CborValue> {
  return new Map(values.map((value, key) => [key, value]));
}

// Field kinds shared by the service console's requests and answers (firmware/console/README.md).
import type { FieldSpec } from '../messages/schema.ts';
import { CBOR_MAX_BYTES } from '../cbor-value.ts';

export const REQUEST_ID_MAX = 0xffff;
export const PUBLIC_KEY_BYTES = 32;

/** Key 2 of every request and answer; the Error answer alone may carry 0 (a frame it could not read). */
export const requestIdField = (min: 0 | 1): FieldSpec => ({ kind: 'uint', key: 2, min, max: REQUEST_ID_MAX });
export const publicKeyField = (key: number): FieldSpec => ({ kind: 'bytes', key, minLength: PUBLIC_KEY_BYTES, maxLength: PUBLIC_KEY_BYTES });
/** A signed message (COSE_Sign1) carried whole; whoever checks it opens it. */
export const signedField = (key: number): FieldSpec => ({ kind: 'bytes', key, minLength: 1, maxLength: CBOR_MAX_BYTES });
/** Bytes that are empty (not known yet) or exactly `length` long; pair with `emptyOrExact` in the check. */
export const emptyOrBytesField = (key: number, length: number): FieldSpec => ({ kind: 'bytes', key, minLength: 0, maxLength: length });

export function emptyOrExact(name: string, value: Uint8Array, length: number): string | undefined {
  return value.length === 0 || value.length === length ? undefined : `field "${name}" expected 0 or ${length} bytes, got ${value.length}`;
}

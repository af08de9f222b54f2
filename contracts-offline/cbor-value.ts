// The CBOR data model used by tapcharge (a subset of RFC 8949): integers within ±(2^53-1),
// byte and text strings, arrays, maps keyed by integer or text, tags, true/false/null.
// No floats (billing is integer-only), no undefined, no other simple values.

/** Largest input the strict decoder accepts (design §5). */
export const CBOR_MAX_BYTES = 512;
/** Deepest nesting of arrays, maps and tags accepted (design §5). */
export const CBOR_MAX_DEPTH = 8;

export type CborKey = number | string;
export type CborValue = number | string | Uint8Array | boolean | null | CborValue[] | CborMap | CborTag;
export type CborMap = Map<CborKey, CborValue>;

/** A tagged data item (RFC 8949 §3.4), e.g. COSE_Sign1 is tag 18. */
export class CborTag {
  readonly tag: number;
  readonly value: CborValue;
  constructor(tag: number, value: CborValue) {
    this.tag = tag;
    this.value = value;
  }
}

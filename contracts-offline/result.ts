// The outcome of reading untrusted input (bytes from NFC, an upload, a file, a signature): a value,
// or why it was refused — a code from a small closed set the caller acts on, and one line for
// people. Decoders and verifiers return this and never throw. Every layer answers its untrusted
// input in this one shape, with its own codes (design §4).
export type Failure<Code extends string = string> = { ok: false; code: Code; reason: string };
export type Result<T, Code extends string = Malformed> = { ok: true; value: T } | Failure<Code>;

/** Bytes that are not what they claim to be: CBOR, COSE, a message, an APDU, UTF-8. */
export type Malformed = 'malformed';
/** A well-formed signed message whose signature does not verify with the key asked for (or names another key). */
export type BadSignature = 'bad-signature';

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<Code extends string>(code: Code, reason: string): Failure<Code> {
  return { ok: false, code, reason };
}

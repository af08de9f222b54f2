// The outcome of decoding or verifying untrusted bytes: a value, or the reason it was refused.
// Decoders and verifiers return this and never throw.
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string): Result<T> {
  return { ok: false, reason };
}

// Ed25519 (RFC 8032) behind a small provider, so the device can plug a native SHA-512 and the
// relay can plug libsodium (tools/sodium-ed25519.ts). Same bytes in, same result out.
import * as ed from '@noble/ed25519';
import { concatBytes, expectBytes } from './bytes.ts';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';

export type Ed25519Provider = {
  /** 64-byte signature of `message` with a 32-byte RFC 8032 secret key (seed). */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** True only for a valid signature; any malformed input (lengths, encodings) gives false. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** 32-byte public key of a 32-byte secret key. */
  publicKey(secretKey: Uint8Array): Uint8Array;
};

export type HashFunction = (message: Uint8Array) => Uint8Array;

ed.hashes.sha512 = nobleSha512;
let sha256Function: HashFunction = nobleSha256;

/** Replaces the SHA-512 noble's Ed25519 uses (e.g. a native one on the device). */
export function setSha512(hash: HashFunction): void {
  if (typeof hash !== 'function') throw new TypeError(`crypto: "hash" expected function, got ${typeof hash}`);
  ed.hashes.sha512 = hash as typeof nobleSha512;
}

/** Replaces the SHA-256 used for key ids (e.g. a native one on the device). */
export function setSha256(hash: HashFunction): void {
  if (typeof hash !== 'function') throw new TypeError(`crypto: "hash" expected function, got ${typeof hash}`);
  sha256Function = hash;
}

export function sha256(message: Uint8Array): Uint8Array {
  return sha256Function(message);
}

/** The order of the prime subgroup, L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndianNumber(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Ed25519 verification as every provider here does it (libsodium ≥ 1.0.16 natively and in
 * tools/sodium-ed25519.ts agree on test/support/ed25519-corpus.ts): RFC 8032 §5.1.7 with
 * A and R decoded strictly (y < p, §5.1.3), neither of small order, S < L, and the cofactorless
 * equation [S]B = R + [k]A, k = SHA-512(R ‖ A ‖ M) mod L. noble's own strict verify checks the
 * cofactored [8][S]B = [8]R + [8][k]A, which also accepts an R with a small-order component: only
 * the key holder can make such a signature, but verifiers would then disagree on it.
 */
function verifyStrict(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const rBytes = signature.subarray(0, 32);
  let A: InstanceType<typeof ed.Point>, R: InstanceType<typeof ed.Point>;
  try {
    A = ed.Point.fromBytes(publicKey, false);
    R = ed.Point.fromBytes(rBytes, false);
  } catch {
    return false; // not the encoding of a curve point
  }
  if (A.isSmallOrder() || R.isSmallOrder()) return false;
  const s = littleEndianNumber(signature.subarray(32));
  if (s >= L) return false;
  const k = littleEndianNumber(ed.hashes.sha512!(concatBytes(rBytes, publicKey, message))) % L;
  return ed.Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)));
}

let smallOrder: readonly Uint8Array[] | undefined;

/** The eight points whose order divides 8, canonically encoded: [k]T for k = 0..7 and a point T of order 8 (found once from noble: [L]P keeps only the small-order part of P). */
export function smallOrderEncodings(): readonly Uint8Array[] {
  for (let y = 2n; !smallOrder; y++) {
    let point: InstanceType<typeof ed.Point>;
    try {
      point = ed.Point.fromBytes(numberBytes(y), false);
    } catch {
      continue; // no x for this y
    }
    const torsion = point.multiplyUnsafe(L - 1n).add(point);
    if (torsion.multiplyUnsafe(4n).is0()) continue; // a point of order 8 is needed
    smallOrder = [ed.Point.ZERO, ...[1n, 2n, 3n, 4n, 5n, 6n, 7n].map((k) => torsion.multiplyUnsafe(k))].map((t) => t.toBytes());
  }
  return smallOrder;
}

function numberBytes(n: bigint): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) bytes[i] = Number(n & 0xffn);
  return bytes;
}

/** The default provider: @noble/ed25519 for keys and signing, `verifyStrict` for checking. */
export const nobleEd25519: Ed25519Provider = Object.freeze({
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    expectBytes('crypto', 'message', message);
    expectBytes('crypto', 'secretKey', secretKey, 32);
    return ed.sign(message, secretKey);
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(message instanceof Uint8Array)) return false;
    return verifyStrict(signature, message, publicKey);
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    expectBytes('crypto', 'secretKey', secretKey, 32);
    return ed.getPublicKey(secretKey);
  },
});

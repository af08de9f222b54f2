// Verification inputs on which two Ed25519 providers are compared (test/device/native-host.test.ts,
// noble against the native libsodium one): the RFC 8032 §7.1 vectors, each also with one bit
// flipped in R, in S, in the message and in the key; S + L (malleability) and S ≥ L; the eight
// small-order points (contracts-offline's smallOrderEncodings) as keys; non-canonical encodings
// (y ≥ p) of keys and of R; signatures whose R is small-order or carries a small-order component
// (made with the vector's own secret scalar);
// and seeded random signatures and keys. Plain ECMAScript over noble's Point: it runs in XS.
import { Point, utils } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import { smallOrderEncodings } from '../../contracts-offline/crypto.ts';
import { rfc8032Vectors } from './rfc8032-vectors.ts';

export type VerifyCase = { name: string; signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array };

/** The order of the prime subgroup (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** The field prime 2^255 − 19. */
const p = 2n ** 255n - 19n;

const littleEndian = (n: bigint, length = 32): Uint8Array => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++, n >>= 8n) bytes[i] = Number(n & 0xffn);
  return bytes;
};
const fromLittleEndian = (bytes: Uint8Array): bigint => bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);

/** A seeded xorshift32 byte stream, so the corpus is the same in every runtime. */
function seededBytes(seed: number): (length: number) => Uint8Array {
  let state = seed >>> 0 || 1;
  return (length) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      bytes[i] = state & 0xff;
    }
    return bytes;
  };
}

const flipped = (bytes: Uint8Array, index: number): Uint8Array => {
  const copy = bytes.length > 0 ? bytes.slice() : new Uint8Array(1);
  copy[index % copy.length]! ^= 1;
  return copy;
};

/**
 * A signature of `message` by the vector's key whose R is `[r]B + torsion`: it satisfies the
 * cofactored equation [8][S]B = [8]R + [8][k]A and, unless torsion is the identity, not the
 * cofactorless one [S]B = R + [k]A.
 */
function withTorsionInR(secretKey: Uint8Array, message: Uint8Array, r: bigint, torsion: Uint8Array): Uint8Array {
  const { scalar, pointBytes } = utils.getExtendedPublicKey(secretKey);
  const big = r === 0n ? Point.fromBytes(torsion) : Point.BASE.multiply(r).add(Point.fromBytes(torsion));
  const rBytes = big.toBytes();
  const k = fromLittleEndian(sha512(concatBytes(rBytes, pointBytes, message))) % L;
  return concatBytes(rBytes, littleEndian((r + k * scalar) % L));
}

export function ed25519Corpus(): VerifyCase[] {
  const cases: VerifyCase[] = [];
  for (const v of rfc8032Vectors) {
    const signature = hexToBytes(v.signature), message = hexToBytes(v.message), publicKey = hexToBytes(v.publicKey);
    cases.push(
      { name: `${v.name}: valid`, signature, message, publicKey },
      { name: `${v.name}: R bit flipped`, signature: flipped(signature, 1), message, publicKey },
      { name: `${v.name}: S bit flipped`, signature: flipped(signature, 40), message, publicKey },
      { name: `${v.name}: message bit flipped`, signature, message: flipped(message, 0), publicKey },
      { name: `${v.name}: key bit flipped`, signature, message, publicKey: flipped(publicKey, 3) },
    );
  }
  const v = rfc8032Vectors[1]!;
  const signature = hexToBytes(v.signature), message = hexToBytes(v.message), publicKey = hexToBytes(v.publicKey), secretKey = hexToBytes(v.secretKey);
  const s = fromLittleEndian(signature.subarray(32));
  cases.push({ name: 'S + L (malleated)', signature: concatBytes(signature.subarray(0, 32), littleEndian(s + L)), message, publicKey });
  const highS = signature.slice();
  highS[63]! |= 0xf0;
  cases.push({ name: 'S ≥ 2^252 (top bits set)', signature: highS, message, publicKey });
  cases.push({ name: 'S = L', signature: concatBytes(signature.subarray(0, 32), littleEndian(L)), message, publicKey });

  const small = smallOrderEncodings();
  small.forEach((point, k) => {
    cases.push({ name: `small-order key [${k}]T, R = [${k}]T, S = 0`, signature: concatBytes(point, new Uint8Array(32)), message, publicKey: point });
    cases.push({ name: `small-order key [${k}]T, the vector's signature`, signature, message, publicKey: point });
  });
  for (const extra of [0n, 1n, 2n, 19n]) {
    const encoding = littleEndian(p + extra); // y ≥ p: a non-canonical encoding of y = extra
    cases.push({ name: `non-canonical key y = p + ${extra}`, signature, message, publicKey: encoding });
    cases.push({ name: `non-canonical R y = p + ${extra}`, signature: concatBytes(encoding, signature.subarray(32)), message, publicKey });
  }
  small.slice(1).forEach((torsion, i) => {
    cases.push({ name: `small-order R [${i + 1}]T, cofactored equation holds`, signature: withTorsionInR(secretKey, message, 0n, torsion), message, publicKey });
    cases.push({ name: `mixed-order R = [r]B + [${i + 1}]T, cofactored equation holds`, signature: withTorsionInR(secretKey, message, 123456789n + BigInt(i), torsion), message, publicKey });
  });
  cases.push({ name: 'R = [r]B, built like the mixed-order cases (valid)', signature: withTorsionInR(secretKey, message, 987654321n, small[0]!), message, publicKey });

  const random = seededBytes(0x8032);
  for (let i = 0; i < 200; i++) {
    cases.push({ name: `random ${i}`, signature: random(64), message: random(i % 40), publicKey: i % 2 ? random(32) : publicKey });
  }
  return cases;
}

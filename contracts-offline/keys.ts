// Ed25519 key pairs and key ids (design §5: kid = first 8 bytes of SHA-256 of the public key).
import { expectBytes } from './bytes.ts';
import { type Ed25519Provider, nobleEd25519, sha256 } from './crypto.ts';

export const KEY_ID_BYTES = 8;

export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array; kid: Uint8Array };
/** Fills and returns `length` cryptographically random bytes. */
export type RandomSource = (length: number) => Uint8Array;

type WithWebCrypto = { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } };

function defaultRandom(length: number): Uint8Array {
  const webCrypto = (globalThis as WithWebCrypto).crypto;
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') {
    throw new TypeError('keys: no crypto.getRandomValues here; pass a "random" source');
  }
  return webCrypto.getRandomValues(new Uint8Array(length));
}

export function keyId(publicKey: Uint8Array): Uint8Array {
  expectBytes('keys', 'publicKey', publicKey, 32);
  return sha256(publicKey).slice(0, KEY_ID_BYTES);
}

export function keyPairFromSecret(secretKey: Uint8Array, crypto: Ed25519Provider = nobleEd25519): KeyPair {
  expectBytes('keys', 'secretKey', secretKey, 32);
  const publicKey = crypto.publicKey(secretKey);
  return { secretKey: secretKey.slice(), publicKey, kid: keyId(publicKey) };
}

export function generateKeyPair(options: { random?: RandomSource; crypto?: Ed25519Provider } = {}): KeyPair {
  const random = options.random ?? defaultRandom;
  const secretKey = random(32);
  expectBytes('keys', 'random(32)', secretKey, 32);
  return keyPairFromSecret(secretKey, options.crypto);
}

/** Fresh random bytes for a tap nonce (8..16 bytes). */
export function randomNonce(length: number, random: RandomSource = defaultRandom): Uint8Array {
  if (!Number.isInteger(length) || length < 8 || length > 16) throw new RangeError(`keys: "length" expected 8..16, got ${length}`);
  const nonce = random(length);
  expectBytes('keys', `random(${length})`, nonce, length);
  return nonce;
}

// The Ed25519Provider of contracts-offline/crypto.ts on libsodium (sodium-native, its prebuilt
// addon), for the relay's throughput: a verify costs 73–82 µs here against node:crypto's 155 µs
// (OpenSSL) and noble's milliseconds. libsodium ≥ 1.0.16 applies the rule of design §5 itself
// (crypto_sign_verify_detached: S < L, A and R canonical and not of small order); the corpus
// test (test/contracts-offline/ed25519-sodium.node.test.ts) holds it to noble's verdicts.
import sodium from 'sodium-native';
import { expectBytes } from '../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../contracts-offline/crypto.ts';

const SIGNATURE_BYTES = 64;
const KEY_BYTES = 32;
// libsodium signs with the 64-byte expanded key (seed ‖ public key); deriving it is a scalar
// multiplication, a verify's cost, so the last keys used are kept.
const CACHE_LIMIT = 1024;
const expandedKeys = new Map<string, { secretKey: Uint8Array; publicKey: Uint8Array }>();

function expanded(seed: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const id = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('hex');
  let keys = expandedKeys.get(id);
  if (!keys) {
    keys = { secretKey: new Uint8Array(sodium.crypto_sign_SECRETKEYBYTES), publicKey: new Uint8Array(sodium.crypto_sign_PUBLICKEYBYTES) };
    sodium.crypto_sign_seed_keypair(keys.publicKey, keys.secretKey, seed);
    if (expandedKeys.size >= CACHE_LIMIT) expandedKeys.clear();
    expandedKeys.set(id, keys);
  }
  return keys;
}

export const sodiumEd25519: Ed25519Provider = Object.freeze({
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    expectBytes('sodium-ed25519', 'message', message);
    expectBytes('sodium-ed25519', 'secretKey', secretKey, KEY_BYTES);
    const signature = new Uint8Array(SIGNATURE_BYTES);
    sodium.crypto_sign_detached(signature, message, expanded(secretKey).secretKey);
    return signature;
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    // sodium-native throws on wrong lengths; the provider's contract is false for any malformed input.
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_BYTES) return false;
    if (!(message instanceof Uint8Array)) return false;
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    expectBytes('sodium-ed25519', 'secretKey', secretKey, KEY_BYTES);
    return expanded(secretKey).publicKey.slice();
  },
});

// The Ed25519Provider of contracts-offline/crypto.ts on node:crypto (OpenSSL), for the relay's
// throughput. Raw 32-byte keys become KeyObjects by prefixing the fixed DER headers of
// RFC 8410 (PKCS#8 private key, SubjectPublicKeyInfo public key). Same bytes, same verdicts as
// noble and libsodium (test/support/ed25519-corpus.ts).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { expectBytes } from '../contracts-offline/bytes.ts';
import { type Ed25519Provider, isSmallOrderEncoding } from '../contracts-offline/crypto.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// Building a KeyObject costs more than a verify (0.37 ms for a private key), so the last keys are kept.
const CACHE_LIMIT = 1024;
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new Map<string, KeyObject>();

function cachedKey(cache: Map<string, KeyObject>, raw: Uint8Array, make: () => KeyObject): KeyObject {
  const id = Buffer.from(raw).toString('hex');
  let key = cache.get(id);
  if (!key) {
    key = make();
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(id, key);
  }
  return key;
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  return cachedKey(privateKeys, secretKey, () => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' }));
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return cachedKey(publicKeys, publicKey, () => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }));
}

// RFC 8032 §5.1.7 requires S < L; OpenSSL checks it too, this keeps the rule explicit.
const L = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
function scalarIsCanonical(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    if (s !== L[i]) return s < L[i]!;
  }
  return false;
}

export const nodeEd25519: Ed25519Provider = Object.freeze({
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    expectBytes('node-ed25519', 'message', message);
    expectBytes('node-ed25519', 'secretKey', secretKey, 32);
    return new Uint8Array(sign(null, message, privateKeyObject(secretKey)));
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== 64 || !scalarIsCanonical(signature)) return false;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(message instanceof Uint8Array)) return false;
    // OpenSSL takes small-order keys and R; the rule every provider applies refuses them (contracts-offline/crypto.ts).
    if (isSmallOrderEncoding(publicKey) || isSmallOrderEncoding(signature.subarray(0, 32))) return false;
    try {
      return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      return false; // a public key that is not a curve point
    }
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    expectBytes('node-ed25519', 'secretKey', secretKey, 32);
    const der = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(SPKI_PREFIX.length));
  },
});

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { nobleEd25519, setSha256, setSha512 } from '../../contracts-offline/crypto.ts';
import { generateKeyPair, keyId, keyPairFromSecret, randomNonce } from '../../contracts-offline/keys.ts';
import { rfc8032Vectors, testRfc8032Vectors } from './vectors-rfc8032.ts';

// SHA-256 of the RFC 8032 TEST 1 public key, first 8 bytes (computed with sha256sum).
const KID_TEST1 = '21fe31dfa154a261';

testRfc8032Vectors(nobleEd25519, 'noble', 5);

test('RFC 8032 TEST SHA(abc) message is SHA-512("abc")', () => {
  const v = rfc8032Vectors.find((x) => x.name === 'TEST SHA(abc)')!;
  assert.is(bytesToHex(sha512(utf8Encode('abc'))), v.message);
});

test('verify returns false, never throws, on malformed inputs', () => {
  const v = rfc8032Vectors[0]!;
  const pk = hexToBytes(v.publicKey);
  const sig = hexToBytes(v.signature);
  assert.not.ok(nobleEd25519.verify(sig.slice(0, 63), new Uint8Array(0), pk));
  assert.not.ok(nobleEd25519.verify(sig, new Uint8Array(0), pk.slice(0, 31)));
  assert.not.ok(nobleEd25519.verify(sig, new Uint8Array(0), new Uint8Array(32).fill(0xff))); // not a point
  const highS = sig.slice();
  highS[63] = 0xff; // S >= L: non-canonical, refused under RFC 8032 rules
  assert.not.ok(nobleEd25519.verify(highS, new Uint8Array(0), pk));
  assert.not.ok(nobleEd25519.verify('x' as unknown as Uint8Array, new Uint8Array(0), pk));
});

test('sign with a wrong-length key throws a precise RangeError', () => {
  assert.throws(() => nobleEd25519.sign(new Uint8Array(1), new Uint8Array(31)), (e: unknown) => e instanceof RangeError && e.message === 'crypto: "secretKey" expected 32 bytes, got 31');
});

test('an injected SHA-512 is the one used', () => {
  let calls = 0;
  setSha512((m) => { calls++; return sha512(m); });
  try {
    const v = rfc8032Vectors[1]!;
    assert.is(bytesToHex(nobleEd25519.sign(hexToBytes(v.message), hexToBytes(v.secretKey))), v.signature);
    assert.ok(calls > 0);
  } finally {
    setSha512(sha512);
  }
  assert.throws(() => setSha512('sha512' as unknown as (m: Uint8Array) => Uint8Array), /crypto: "hash" expected function/);
});

test('keyId is the first 8 bytes of SHA-256 of the public key', () => {
  const kid = keyId(hexToBytes(rfc8032Vectors[0]!.publicKey));
  assert.is(kid.length, 8);
  assert.is(bytesToHex(kid), KID_TEST1);
  assert.throws(() => keyId(new Uint8Array(31)), /keys: "publicKey" expected 32 bytes, got 31/);
});
test('an injected SHA-256 is the one used for key ids', () => {
  let calls = 0;
  setSha256((m) => { calls++; return sha256(m); });
  try {
    assert.is(bytesToHex(keyId(hexToBytes(rfc8032Vectors[0]!.publicKey))), KID_TEST1);
    assert.is(calls, 1);
  } finally {
    setSha256(sha256);
  }
});

test('generateKeyPair uses the injected random source', () => {
  const v = rfc8032Vectors[2]!;
  const pair = generateKeyPair({ random: (n) => hexToBytes(v.secretKey).slice(0, n) });
  assert.is(bytesToHex(pair.publicKey), v.publicKey);
  assert.equal(pair.kid, keyId(pair.publicKey));
  assert.equal(keyPairFromSecret(hexToBytes(v.secretKey)).publicKey, pair.publicKey);
  assert.throws(() => generateKeyPair({ random: () => new Uint8Array(16) }), /keys: "random\(32\)" expected 32 bytes, got 16/);
  assert.is(randomNonce(12, (n) => new Uint8Array(n).fill(9)).length, 12);
  assert.throws(() => randomNonce(4, (n) => new Uint8Array(n)), RangeError);
});

test.run();

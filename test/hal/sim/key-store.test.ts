import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyStoreSim } from '../../../hal/sim/key-store.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';

// RFC 8032 §7.1, TEST 2 (one-byte message 0x72).
const secret = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const publicKey = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
const signature = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

test('signs with the RFC 8032 test key: published public key and signature', () => {
  const store = new KeyStoreSim({ secretKey: hexToBytes(secret) });
  assert.ok(store.hasKey());
  assert.is(bytesToHex(store.publicKey), publicKey);
  assert.is(bytesToHex(store.sign(Uint8Array.of(0x72))), signature);
  assert.is(store.signatures, 1);
});

test('the secret is copied in and never exposed; the public key handed out is a copy', () => {
  const input = hexToBytes(secret);
  const store = new KeyStoreSim({ secretKey: input });
  input.fill(0);
  const sig = store.sign(Uint8Array.of(1, 2, 3));
  assert.ok(nobleEd25519.verify(sig, Uint8Array.of(1, 2, 3), store.publicKey));
  store.publicKey.fill(0);
  assert.is(bytesToHex(store.publicKey), publicKey);
  assert.not.ok(Object.values(store).some((v) => v instanceof Uint8Array));
});

test('a key of the wrong length is refused', () => {
  assert.throws(() => new KeyStoreSim({ secretKey: new Uint8Array(31) }), /expected 32 bytes, got 31/);
});

test('a blank key store has no key: publicKey and sign throw, nothing is signed', () => {
  const store = new KeyStoreSim({ random: new SeededRandom(1) });
  assert.not.ok(store.hasKey());
  assert.throws(() => store.publicKey, /sim\/key-store: no key yet/);
  assert.throws(() => store.sign(Uint8Array.of(1)), /sim\/key-store: no key yet/);
  assert.is(store.signatures, 0);
});

test('createKey makes the key from the RNG, tells the non-volatile memory once, and signs with it', () => {
  const created: Uint8Array[] = [];
  const store = new KeyStoreSim({ random: new SeededRandom(9), onKeyCreated: (key) => created.push(key) });
  const answered = store.createKey();
  assert.ok(store.hasKey());
  assert.equal(answered, store.publicKey);
  const expectedSecret = new Uint8Array(32);
  new SeededRandom(9).fill(expectedSecret);
  assert.equal(created, [expectedSecret]);
  assert.equal(store.publicKey, nobleEd25519.publicKey(expectedSecret));
  const sig = store.sign(Uint8Array.of(5));
  assert.ok(nobleEd25519.verify(sig, Uint8Array.of(5), answered));
  // The persisted secret restores the same key store (the served pile's restart).
  assert.equal(new KeyStoreSim({ secretKey: created[0]! }).publicKey, answered);
});

test('a key is never replaced: createKey on a store holding one throws and changes nothing', () => {
  const created: Uint8Array[] = [];
  const store = new KeyStoreSim({ secretKey: hexToBytes(secret), random: new SeededRandom(1), onKeyCreated: (key) => created.push(key) });
  assert.throws(() => store.createKey(), /sim\/key-store: a key is already there; a key is never replaced/);
  assert.is(bytesToHex(store.publicKey), publicKey);
  const made = new KeyStoreSim({ random: new SeededRandom(2) });
  const first = made.createKey();
  assert.throws(() => made.createKey(), /a key is never replaced/);
  assert.equal(made.publicKey, first);
  assert.equal(created, []);
});

test('a failed write to the non-volatile memory fails createKey and leaves the store blank', () => {
  const store = new KeyStoreSim({ random: new SeededRandom(3), onKeyCreated: () => { throw new Error('disk full'); } });
  assert.throws(() => store.createKey(), /disk full/);
  assert.not.ok(store.hasKey());
  assert.throws(() => store.publicKey, /no key yet/);
});

test('createKey without a random source throws and leaves the store blank', () => {
  const store = new KeyStoreSim();
  assert.throws(() => store.createKey(), /no random source/);
  assert.not.ok(store.hasKey());
});

test.run();

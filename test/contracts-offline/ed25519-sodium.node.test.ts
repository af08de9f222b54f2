// The libsodium provider (sodium-native) gives the same bytes and the same verdicts as noble.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { signSign1, verifySign1 } from '../../contracts-offline/cose-sign1.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { rfc8032Vectors, testRfc8032Vectors } from './vectors-rfc8032.ts';
import { samples } from '../support/samples.ts';
import { ed25519Corpus } from '../support/ed25519-corpus.ts';

testRfc8032Vectors(sodiumEd25519, 'libsodium', 40);

test('same verdicts as noble on malformed and edge inputs', () => {
  const v = rfc8032Vectors[0]!;
  const pk = hexToBytes(v.publicKey);
  const sig = hexToBytes(v.signature);
  const empty = new Uint8Array(0);
  const highS = sig.slice();
  highS[63] |= 0xf0; // S >= L
  const sPlusL = sig.slice(); // S + L: same point equation, non-canonical scalar (malleability)
  let carry = 0;
  const L = hexToBytes('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
  for (let i = 0; i < 32; i++) {
    const s = sPlusL[32 + i]! + L[i]! + carry;
    sPlusL[32 + i] = s & 0xff;
    carry = s >> 8;
  }
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['valid', sig, pk],
    ['S >= L', highS, pk],
    ['S + L', sPlusL, pk],
    ['short signature', sig.subarray(0, 63), pk],
    ['short key', sig, pk.subarray(0, 31)],
    ['key not on the curve', sig, hexToBytes('0200000000000000000000000000000000000000000000000000000000000000')],
    ['all-zero signature', new Uint8Array(64), pk],
  ];
  for (const [what, s, k] of cases) {
    assert.is(sodiumEd25519.verify(s, empty, k), nobleEd25519.verify(s, empty, k), what);
  }
  assert.ok(sodiumEd25519.verify(sig, empty, pk));
  assert.not.ok(sodiumEd25519.verify(sPlusL, empty, pk));
});

test('the same verdicts as noble on the whole corpus: only the valid signatures pass, none with a small-order key or R, malleated S or a non-canonical point', () => {
  const corpus = ed25519Corpus();
  assert.ok(corpus.length >= 250);
  const accepted: string[] = [];
  for (const { name, signature, message, publicKey } of corpus) {
    const byNoble = nobleEd25519.verify(signature, message, publicKey);
    assert.is(sodiumEd25519.verify(signature, message, publicKey), byNoble, name);
    if (byNoble) accepted.push(name);
  }
  assert.equal(accepted, [...rfc8032Vectors.map((v) => `${v.name}: valid`), 'R = [r]B, built like the mixed-order cases (valid)']);
});

test('COSE_Sign1 bytes are identical with either provider, and each verifies the other', () => {
  const pile = keyPairFromSecret(hexToBytes(rfc8032Vectors[2]!.secretKey));
  const payload = encodeContract(samples.Contract);
  const aad = Uint8Array.of(1, 2, 3);
  const byNode = signSign1(payload, pile.secretKey, { externalAad: aad, crypto: sodiumEd25519 });
  const byNoble = signMessage(payload, pile.secretKey, { externalAad: aad });
  assert.equal(byNode, byNoble);
  assert.ok(verifySign1(byNoble, pile.publicKey, { externalAad: aad, crypto: sodiumEd25519 }).ok);
  assert.ok(openSigned(byNode, { publicKey: pile.publicKey, externalAad: aad, crypto: nobleEd25519, expectType: 'Contract' }).ok);
  assert.equal(verifySign1(byNode, pile.publicKey, { crypto: sodiumEd25519 }), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
});

test('bad own arguments throw with the module prefix', () => {
  assert.throws(() => sodiumEd25519.sign(new Uint8Array(0), new Uint8Array(31)), /sodium-ed25519: "secretKey" expected 32 bytes, got 31/);
  assert.throws(() => sodiumEd25519.publicKey(new Uint8Array(33)), /sodium-ed25519: "secretKey" expected 32 bytes, got 33/);
});

test.run();

// RFC 8032 §7.1 Ed25519 test vectors through a provider (the vectors: test/support/rfc8032-vectors.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { rfc8032Vectors } from '../support/rfc8032-vectors.ts';

export { rfc8032Vectors };

// Registers one test per vector: public key, signature and verify through `provider`, and a
// signature with one bit flipped at `flipIndex` rejected.
export function testRfc8032Vectors(provider: Ed25519Provider, label: string, flipIndex: number): void {
  for (const v of rfc8032Vectors) {
    test(`RFC 8032 §7.1 ${v.name}: public key, signature, verify (${label})`, () => {
      const secretKey = hexToBytes(v.secretKey);
      const message = hexToBytes(v.message);
      assert.is(bytesToHex(provider.publicKey(secretKey)), v.publicKey);
      assert.is(bytesToHex(provider.sign(message, secretKey)), v.signature);
      assert.ok(provider.verify(hexToBytes(v.signature), message, hexToBytes(v.publicKey)));
      const flipped = hexToBytes(v.signature);
      flipped[flipIndex]! ^= 1;
      assert.not.ok(provider.verify(flipped, message, hexToBytes(v.publicKey)));
    });
  }
}

// `tapcharge crypto` (host-main.ts): the Ed25519 corpus (test/support/ed25519-corpus.ts) checked
// by noble and by the native libsodium provider (boards/sodium), the RFC 8032 vectors' public keys
// and signatures made natively, SHA-512("abc") and SHA-256("abc") natively, and the native provider's refusal of a
// short key; printed as one `XS-CRYPTO {json}` line.
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { sodiumEd25519, sodiumSha256, sodiumSha512 } from '../../boards/sodium/ed25519-sodium.ts';
import { ed25519Corpus } from '../support/ed25519-corpus.ts';
import { rfc8032Vectors } from '../support/rfc8032-vectors.ts';

declare function print(...values: unknown[]): void;

export function runCrypto(): number {
  const verdicts = ed25519Corpus().map(({ name, signature, message, publicKey }) => ({
    name,
    noble: nobleEd25519.verify(signature, message, publicKey),
    native: sodiumEd25519.verify(signature, message, publicKey),
  }));
  const vectors = rfc8032Vectors.map((v) => {
    const secretKey = hexToBytes(v.secretKey);
    return { name: v.name, publicKey: bytesToHex(sodiumEd25519.publicKey(secretKey)), signature: bytesToHex(sodiumEd25519.sign(hexToBytes(v.message), secretKey)) };
  });
  let shortKey = '';
  try {
    sodiumEd25519.sign(new Uint8Array(0), new Uint8Array(31));
  } catch (error) {
    shortKey = String(error);
  }
  print(`XS-CRYPTO ${JSON.stringify({ verdicts, vectors, sha512Abc: bytesToHex(sodiumSha512(Uint8Array.of(0x61, 0x62, 0x63))), sha256Abc: bytesToHex(sodiumSha256(Uint8Array.of(0x61, 0x62, 0x63))), shortKey })}`);
  return 0;
}

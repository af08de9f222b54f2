// Ed25519 (RFC 8032) behind a small provider, so the device can plug a native SHA-512 and the
// relay can plug node:crypto (tools/node-ed25519.ts). Same bytes in, same result out.
import * as ed from '@noble/ed25519';
import { expectBytes } from './bytes.ts';
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

/** The default provider: @noble/ed25519, RFC 8032 verification (zip215: false — no malleable signatures). */
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
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false; // noble throws on encodings that are not points; that is a bad signature
    }
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    expectBytes('crypto', 'secretKey', secretKey, 32);
    return ed.getPublicKey(secretKey);
  },
});

// The firmware's Ed25519 in native code (ed25519-sodium.c, libsodium) for a Moddable build, as the
// Ed25519Provider of contracts-offline/crypto.ts: the same signatures as noble, the same verdicts
// on every input where RFC 8032 implementations agree (test/device/native-host.test.ts runs both
// over one corpus), at native speed and without noble's precomputed tables in the heap.
import { expectBytes } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider, HashFunction } from '../../contracts-offline/crypto.ts';

const verifyNative = native('xs_sodium_ed25519_verify') as (signature: ArrayBuffer, message: ArrayBuffer, publicKey: ArrayBuffer) => boolean;
const signNative = native('xs_sodium_ed25519_sign') as (message: ArrayBuffer, secretKey: ArrayBuffer) => ArrayBuffer;
const publicKeyNative = native('xs_sodium_ed25519_public_key') as (secretKey: ArrayBuffer) => ArrayBuffer;
const sha512Native = native('xs_sodium_sha512') as (message: ArrayBuffer) => ArrayBuffer;
const sha256Native = native('xs_sodium_sha256') as (message: ArrayBuffer) => ArrayBuffer;

/** The bytes of a view, alone in their own buffer (what the host functions read). */
const own = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

export const sodiumEd25519: Ed25519Provider = Object.freeze({
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    expectBytes('sodium', 'message', message);
    expectBytes('sodium', 'secretKey', secretKey, 32);
    return new Uint8Array(signNative(own(message), own(secretKey)));
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(message instanceof Uint8Array)) return false;
    return verifyNative(own(signature), own(message), own(publicKey));
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    expectBytes('sodium', 'secretKey', secretKey, 32);
    return new Uint8Array(publicKeyNative(own(secretKey)));
  },
});

/** SHA-512 in native code, for noble's Ed25519 where it still runs (contracts-offline `setSha512`). */
export const sodiumSha512: HashFunction = (message) => new Uint8Array(sha512Native(own(message)));

/** SHA-256 in native code, for key ids (contracts-offline `setSha256`): one in every signature check and user STOP. */
export const sodiumSha256: HashFunction = (message) => new Uint8Array(sha256Native(own(message)));

// SIMULATION of the pile's key store (on a board: a secure element such as an NXP SE050, or the
// ESP32's encrypted NVS): holds one Ed25519 secret key and signs with it (RFC 8032) through
// contracts-offline's crypto provider. Nothing reads the secret back out; `publicKey` is a copy.
import { type Ed25519Provider, nobleEd25519 } from '../../contracts-offline/crypto.ts';
import type { KeyStore } from '../types.ts';

export class KeyStoreSim implements KeyStore {
  readonly #secretKey: Uint8Array;
  readonly #publicKey: Uint8Array;
  readonly #crypto: Ed25519Provider;
  #signatures = 0;

  /** `secretKey`: the 32-byte RFC 8032 seed put in at provisioning (copied). */
  constructor(secretKey: Uint8Array, crypto: Ed25519Provider = nobleEd25519) {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
      throw new RangeError(`sim/key-store: "secretKey" expected 32 bytes, got ${secretKey instanceof Uint8Array ? secretKey.length : typeof secretKey}`);
    }
    this.#secretKey = secretKey.slice();
    this.#crypto = crypto;
    this.#publicKey = crypto.publicKey(this.#secretKey);
  }

  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  /** Signatures made so far. */
  get signatures(): number {
    return this.#signatures;
  }

  sign(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError('sim/key-store: "message" expected a Uint8Array');
    this.#signatures++;
    return this.#crypto.sign(message, this.#secretKey);
  }
}

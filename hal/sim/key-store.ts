// SIMULATION of the pile's key store (on a board: a secure element such as an NXP SE050): holds at
// most one Ed25519 secret key and signs with it (RFC 8032) through contracts-offline's crypto
// provider. It may start blank, as a factory-fresh secure element does; `createKey` then generates
// the key inside from the board's RNG, once — a key is never replaced. Nothing reads the secret
// back out; `publicKey` is a copy. The one exception is `onKeyCreated`: it stands for the secure
// element's non-volatile memory, so a simulated pile that persists itself (the served pile writes
// it to a file) keeps its key across restarts.
import { type Ed25519Provider, nobleEd25519 } from '../../contracts-offline/crypto.ts';
import type { KeyStore, Random } from '../types.ts';

export type KeyStoreSimOptions = {
  /** The 32-byte RFC 8032 seed already in the key store (copied); absent: the key store is blank. */
  secretKey?: Uint8Array;
  /** Source of a key made by `createKey` (the board's RNG). */
  random?: Random;
  crypto?: Ed25519Provider;
  /** The simulated non-volatile memory: told the new secret key (a copy) when `createKey` makes one. */
  onKeyCreated?: (secretKey: Uint8Array) => void;
};

type Key = { secretKey: Uint8Array; publicKey: Uint8Array };

export class KeyStoreSim implements KeyStore {
  readonly #crypto: Ed25519Provider;
  readonly #random: Random | undefined;
  readonly #onKeyCreated: ((secretKey: Uint8Array) => void) | undefined;
  #key: Key | undefined;
  #signatures = 0;

  constructor(options: KeyStoreSimOptions = {}) {
    this.#crypto = options.crypto ?? nobleEd25519;
    this.#random = options.random;
    this.#onKeyCreated = options.onKeyCreated;
    const { secretKey } = options;
    if (secretKey === undefined) return;
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
      throw new RangeError(`sim/key-store: "secretKey" expected 32 bytes, got ${secretKey instanceof Uint8Array ? secretKey.length : typeof secretKey}`);
    }
    this.#key = this.#keyOf(secretKey.slice());
  }

  get publicKey(): Uint8Array {
    return this.#present().publicKey.slice();
  }

  /** Signatures made so far. */
  get signatures(): number {
    return this.#signatures;
  }

  sign(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError('sim/key-store: "message" expected a Uint8Array');
    const { secretKey } = this.#present();
    this.#signatures++;
    return this.#crypto.sign(message, secretKey);
  }

  /** Signs, then runs `work` (nothing here computes in parallel); `work` runs even when signing fails. */
  signWhile(message: Uint8Array, work: () => void): Uint8Array {
    let signature: Uint8Array;
    try {
      signature = this.sign(message);
    } catch (error) {
      work();
      throw error;
    }
    work();
    return signature;
  }

  hasKey(): boolean {
    return this.#key !== undefined;
  }

  createKey(): Uint8Array {
    if (this.#key) throw new Error('sim/key-store: a key is already there; a key is never replaced');
    if (!this.#random) throw new Error('sim/key-store: no random source to create a key with');
    const secretKey = new Uint8Array(32);
    this.#random.fill(secretKey);
    const key = this.#keyOf(secretKey);
    this.#onKeyCreated?.(secretKey.slice()); // a failed write to the memory throws: the store stays blank
    this.#key = key;
    return this.publicKey;
  }

  #keyOf(secretKey: Uint8Array): Key {
    return { secretKey, publicKey: this.#crypto.publicKey(secretKey) };
  }

  #present(): Key {
    if (!this.#key) throw new Error('sim/key-store: no key yet');
    return this.#key;
  }
}

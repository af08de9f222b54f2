// SIMULATION of a hardware RNG: a seeded, reproducible byte source (sfc32, Chris Doty-Humphrey's
// "Small Fast Chaotic" 32-bit generator). NOT cryptographically secure — tests and simulator only.
import type { Random } from '../types.ts';

export class SeededRandom implements Random {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`sim/random: "seed" expected an integer, got ${seed}`);
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = seed >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32(); // sfc32 warm-up: mix the seed in
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, bound) for 0 < bound ≤ 2^32 (small modulo bias is fine for a simulation). */
  below(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 2 ** 32) {
      throw new RangeError(`sim/random: "bound" expected an integer in 1..2^32, got ${bound}`);
    }
    return this.nextUint32() % bound;
  }

  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
      let word = this.nextUint32();
      for (let j = i; j < i + 4 && j < bytes.length; j++) {
        bytes[j] = word & 0xff;
        word >>>= 8;
      }
    }
  }
}

// The pile's tap nonces (README.md "Nonces"): SELECT issues a fresh 16-byte nonce; the last 8 stay
// usable for 15 minutes so tap 1's nonce can travel to the relay and come back in a voucher; START
// and STOP consume the nonce they carry. Kept in RAM only: a reboot forgets every nonce.
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { Clock, Random } from '../../hal/types.ts';

export const PILE_NONCE_BYTES = 16;
export const NONCES_KEPT = 8;
export const NONCE_LIFETIME_MS = 15 * 60 * 1000;

type IssuedNonce = { nonce: Uint8Array; issuedAtMs: number };

export class NonceBook {
  readonly #clock: Clock;
  readonly #random: Random;
  /** Oldest first. */
  #issued: IssuedNonce[] = [];

  constructor(clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
  }

  /** A fresh nonce; the oldest is forgotten when more than NONCES_KEPT are held. */
  issue(): Uint8Array {
    const nonce = new Uint8Array(PILE_NONCE_BYTES);
    this.#random.fill(nonce);
    this.#issued.push({ nonce, issuedAtMs: this.#clock.nowMs() });
    if (this.#issued.length > NONCES_KEPT) this.#issued.shift();
    return nonce.slice();
  }

  /** True when `nonce` was issued, is not consumed, and is at most NONCE_LIFETIME_MS old. */
  isOutstanding(nonce: Uint8Array): boolean {
    return this.#indexOf(nonce) >= 0;
  }

  /** Marks `nonce` used; answers false (and changes nothing) when it is not outstanding. */
  consume(nonce: Uint8Array): boolean {
    const index = this.#indexOf(nonce);
    if (index < 0) return false;
    this.#issued.splice(index, 1);
    return true;
  }

  /** Nonces still usable now. */
  get outstanding(): number {
    let count = 0;
    for (const issued of this.#issued) if (this.#fresh(issued)) count++;
    return count;
  }

  #fresh(issued: IssuedNonce): boolean {
    const ageMs = this.#clock.nowMs() - issued.issuedAtMs;
    return ageMs >= 0 && ageMs <= NONCE_LIFETIME_MS;
  }

  #indexOf(nonce: Uint8Array): number {
    for (let i = 0; i < this.#issued.length; i++) {
      const issued = this.#issued[i]!;
      if (equalBytes(issued.nonce, nonce) && this.#fresh(issued)) return i;
    }
    return -1;
  }
}

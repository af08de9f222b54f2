// The pile's tap nonces (README.md "Nonces"): SELECT issues a fresh 16-byte nonce; the last 8
// issued are kept, each usable for PILE_NONCE_LIFETIME_MS on the pile's own clock so tap 1's nonce
// can travel to the relay and come back in a voucher; START and STOP use the nonce they carry, once.
// The book says why a nonce is not usable (unknown, used, expired), so the pile can say it too.
// Kept in RAM only: a reboot forgets every nonce.
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { isNonceFresh } from '../../contracts-offline/voucher-lifetime.ts';
import type { Clock, Random } from '../../hal/types.ts';

export const PILE_NONCE_BYTES = 16;
export const NONCES_KEPT = 8;

/** A nonce as the book knows it: usable now, or why not. */
export type NonceStatus = 'outstanding' | 'unknown' | 'used' | 'expired';

type IssuedNonce = { nonce: Uint8Array; issuedAtMs: number; used: boolean };

export class NonceBook {
  readonly #clock: Clock;
  readonly #random: Random;
  /** The last NONCES_KEPT issued, used ones included; oldest first. */
  #issued: IssuedNonce[] = [];

  constructor(clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
  }

  /** A fresh nonce; the oldest is forgotten when more than NONCES_KEPT are held. */
  issue(): Uint8Array {
    const nonce = new Uint8Array(PILE_NONCE_BYTES);
    this.#random.fill(nonce);
    this.#issued.push({ nonce, issuedAtMs: this.#clock.nowMs(), used: false });
    if (this.#issued.length > NONCES_KEPT) this.#issued.shift();
    return nonce.slice();
  }

  /**
   * 'outstanding' when `nonce` is held, not used, and fresh on the pile's clock; else 'unknown'
   * (never issued, pushed out, or issued before a reboot), 'used', or 'expired'.
   */
  status(nonce: Uint8Array): NonceStatus {
    const held = this.#find(nonce);
    if (!held) return 'unknown';
    if (held.used) return 'used';
    return isNonceFresh(held.issuedAtMs, this.#clock.nowMs()) ? 'outstanding' : 'expired';
  }

  /** Marks `nonce` used; answers false (and changes nothing) when it is not outstanding. */
  consume(nonce: Uint8Array): boolean {
    if (this.status(nonce) !== 'outstanding') return false;
    this.#find(nonce)!.used = true;
    return true;
  }

  /** Nonces still usable now. */
  get outstanding(): number {
    let count = 0;
    for (const issued of this.#issued) if (this.status(issued.nonce) === 'outstanding') count++;
    return count;
  }

  #find(nonce: Uint8Array): IssuedNonce | undefined {
    for (const issued of this.#issued) if (equalBytes(issued.nonce, nonce)) return issued;
    return undefined;
  }
}

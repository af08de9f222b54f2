// The console session's challenge (README.md "Who may do what"): 16 bytes from the board's RNG,
// made at start, renewed by every Identify and after every changing command that ran, so an
// authorisation works once and only for the challenge it was issued for.
import type { Random } from '../../hal/types.ts';
import { CONSOLE_CHALLENGE_BYTES } from '../../contracts-offline/messages/service-authorization.ts';

export class Challenge {
  readonly #random: Random;
  #current = new Uint8Array(CONSOLE_CHALLENGE_BYTES);

  constructor(random: Random) {
    this.#random = random;
    this.renew();
  }

  get current(): Uint8Array {
    return this.#current.slice();
  }

  renew(): void {
    const next = new Uint8Array(CONSOLE_CHALLENGE_BYTES);
    this.#random.fill(next);
    this.#current = next;
  }
}

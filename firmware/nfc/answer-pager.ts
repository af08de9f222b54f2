// Long answers (ISO 7816-4 §7.6.1 / README.md "Framing"): over 256 bytes, the first 256 go out with
// SW 61xx (xx = bytes left, 00 = 256 or more) and GET RESPONSE fetches the rest, Le bytes at a time.
import { SHORT_LE_MAX, SW, encodeResponseApdu } from '../../contracts-offline/apdu.ts';

export class AnswerPager {
  #pending: Uint8Array | undefined;

  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** The response APDU for a 9000 answer: all of it, or its first part with 61xx. */
  first(data: Uint8Array): Uint8Array {
    this.#pending = data;
    return this.next(SHORT_LE_MAX);
  }

  /** The next `le` (1..256) bytes of the pending answer; call only when `pending`. */
  next(le: number): Uint8Array {
    const data = this.#pending ?? new Uint8Array(0);
    const part = data.subarray(0, le);
    const rest = data.subarray(part.length);
    this.#pending = rest.length > 0 ? rest : undefined;
    return encodeResponseApdu(part, rest.length > 0 ? SW.moreDataBase | (rest.length > 0xff ? 0 : rest.length) : SW.ok);
  }

  drop(): void {
    this.#pending = undefined;
  }
}

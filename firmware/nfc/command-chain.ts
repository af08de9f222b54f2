// Command chaining (ISO 7816-4 §5.3.3): parts with CLA bit 0x10 are joined until the last part.
// README.md "Framing": at most CHAIN_MAX_BYTES in all; a part with another header breaks the chain.
import { CHAIN_MAX_BYTES } from '../../contracts-offline/apdu.ts';

/** A command header without the chaining bit. */
export type ChainHeader = { cla: number; ins: number; p1: number; p2: number };

export class CommandChain {
  #header: ChainHeader | undefined;
  #parts: Uint8Array[] = [];
  #byteLength = 0;

  get active(): boolean {
    return this.#header !== undefined;
  }

  /** True when `header` continues the chain in progress. */
  continues(header: ChainHeader): boolean {
    const held = this.#header;
    return held !== undefined && held.cla === header.cla && held.ins === header.ins && held.p1 === header.p1 && held.p2 === header.p2;
  }

  /** Adds a part (starting a chain when none is active). False, and the chain dropped, past CHAIN_MAX_BYTES. */
  append(header: ChainHeader, data: Uint8Array): boolean {
    this.#header ??= header;
    this.#byteLength += data.length;
    if (this.#byteLength > CHAIN_MAX_BYTES) {
      this.drop();
      return false;
    }
    this.#parts.push(data);
    return true;
  }

  /** The joined data of every part appended; the chain is then over. */
  take(): Uint8Array {
    const joined = new Uint8Array(this.#byteLength);
    let at = 0;
    for (const part of this.#parts) {
      joined.set(part, at);
      at += part.length;
    }
    this.drop();
    return joined;
  }

  drop(): void {
    this.#header = undefined;
    this.#parts = [];
    this.#byteLength = 0;
  }
}

// Seeded generator of hostile APDU traffic for the NFC fuzz test: random frames, and mutations of
// valid commands — bit flips, truncation, extension, wrong Lc, header bytes, chains split at random
// with parts dropped, swapped or interleaved, chains past 1024 bytes. Deterministic for a seed.
import { CHAIN_MAX_BYTES, CLA_CHAINING_BIT, SHORT_LC_MAX, encodeCommandApdu, getResponseCommand } from '../../../contracts-offline/apdu.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';

/** One thing the reader does in a tap: send a frame, or move away (field off) right there. */
export type FuzzStep = { kind: 'apdu'; bytes: Uint8Array } | { kind: 'fieldLoss' };

/** What a reader can put on air: the simulated field carries 4..261 bytes (Android's limit). */
const FRAME_MIN = 4;
const FRAME_MAX = 261;

export class ApduMutator {
  readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  below(bound: number): number {
    return this.random.below(bound);
  }

  chance(perMille: number): boolean {
    return this.random.below(1000) < perMille;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.random.below(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.random.fill(out);
    return out;
  }

  /** A frame of random bytes, sometimes with our CLA/INS so it reaches the command decoders. */
  randomFrame(): Uint8Array {
    const frame = this.bytes(FRAME_MIN + this.below(this.chance(200) ? FRAME_MAX - FRAME_MIN + 1 : 40));
    if (this.chance(500)) {
      frame[0] = this.pick([0x00, 0x80, 0x90, 0x10]);
      frame[1] = this.pick([0xa4, 0xc0, 0x10, 0x12, 0x14, 0x16, 0x18, 0x1a]);
      frame[2] = this.chance(800) ? 0 : frame[2]!;
      frame[3] = 0;
      if (frame.length > 5 && this.chance(700)) frame[4] = frame.length - 5; // a consistent Lc
    }
    return frame;
  }

  /** Mutates command data (a message, usually signed). */
  mutateData(data: Uint8Array): Uint8Array {
    const out = data.slice();
    switch (this.below(6)) {
      case 0: // flip 1..3 bits
        for (let n = 1 + this.below(3); n > 0; n--) out[this.below(out.length)]! ^= 1 << this.below(8);
        return out;
      case 1: // overwrite one byte
        out[this.below(out.length)] = this.below(256);
        return out;
      case 2: // truncate
        return out.subarray(0, this.below(out.length));
      case 3: // extend
        return concat(out, this.bytes(1 + this.below(8)));
      case 4: // drop a byte in the middle
        return concat(out.subarray(0, this.below(out.length)), out.subarray(this.below(out.length)));
      default: // CBOR-sensitive bytes: the first few (tag, array and map heads)
        out[this.below(Math.min(8, out.length))]! ^= 1 << this.below(8);
        return out;
    }
  }

  /** Mutates the frame of a single command (header, Lc, Le, length). */
  mutateFrame(frame: Uint8Array): Uint8Array {
    const out = frame.slice();
    switch (this.below(5)) {
      case 0:
        out[this.below(Math.min(4, out.length))]! ^= 1 << this.below(8);
        return out;
      case 1: // wrong Lc
        if (out.length > 4) out[4] = this.below(256);
        return out;
      case 2: // cut
        return out.subarray(0, Math.max(FRAME_MIN, this.below(out.length)));
      case 3: // trailing bytes
        return out.length + 1 <= FRAME_MAX ? concat(out, this.bytes(1 + this.below(Math.min(4, FRAME_MAX - out.length)))) : out;
      default:
        out[this.below(out.length)]! ^= 1 << this.below(8);
        return out;
    }
  }

  /**
   * The steps sending `data` with this header: whole, or chained in random part sizes; in hostile
   * mode parts go missing, repeat, get another header, another command cuts in, the field drops.
   */
  chained(cla: number, ins: number, data: Uint8Array, hostile: boolean): FuzzStep[] {
    const parts: { cla: number; ins: number; p1: number; data: Uint8Array }[] = [];
    for (let at = 0; at < data.length || parts.length === 0; ) {
      const size = Math.min(data.length - at, 1 + this.below(this.chance(500) ? SHORT_LC_MAX : 64));
      parts.push({ cla: cla | CLA_CHAINING_BIT, ins, p1: 0, data: data.subarray(at, at + size) });
      at += size;
    }
    parts[parts.length - 1]!.cla = cla;
    const steps: FuzzStep[] = parts.map((p) => ({ kind: 'apdu', bytes: frameOf(p.cla, p.ins, p.p1, p.data) }));
    if (!hostile) return steps;
    const at = this.below(steps.length);
    switch (this.below(7)) {
      case 0: steps.splice(at, 1); break; // a part goes missing
      case 1: steps.splice(at, 0, steps[at]!); break; // a part twice
      case 2: steps.splice(at, 0, { kind: 'fieldLoss' }); break;
      case 3: steps.splice(at, 0, { kind: 'apdu', bytes: this.randomFrame() }); break; // another command cuts in
      case 4: steps.splice(at, 0, { kind: 'apdu', bytes: getResponseCommand(256) }); break;
      case 5: { // a part with another P1 or INS
        const p = parts[at]!;
        steps[at] = { kind: 'apdu', bytes: frameOf(p.cla, this.chance(500) ? p.ins ^ 2 : p.ins, this.chance(500) ? 1 : 0, p.data) };
        break;
      }
      default: { // past the 1024-byte chain limit
        const filler = Math.ceil((CHAIN_MAX_BYTES + 1 - data.length) / SHORT_LC_MAX) + 1;
        for (let i = 0; i < filler; i++) steps.unshift({ kind: 'apdu', bytes: frameOf(cla | CLA_CHAINING_BIT, ins, 0, this.bytes(SHORT_LC_MAX)) });
      }
    }
    return steps;
  }
}

function frameOf(cla: number, ins: number, p1: number, data: Uint8Array): Uint8Array {
  return encodeCommandApdu({ cla, ins, p1, p2: 0, data, le: (cla & CLA_CHAINING_BIT) === 0 ? 256 : undefined });
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// SIMULATION of a SPI NOR flash partition (behaviour of e.g. Winbond W25Q32JV / the ESP32's
// external flash as seen through esp_partition_*): erased bytes read 0xFF, page program can only
// clear bits (stored = old AND new), sector erase (4 KiB) sets a whole block back to 0xFF.
//
// Power cut: `cutPowerAt(n)` makes program/erase operation number n (counting every program and
// erase since construction, from 0) the last one: it is torn — by default a seeded-random part of
// it lands, the rest does not ('none' / 'all' force either end) — and from then on every
// operation, reads included, throws `PowerCutError` until `reboot()`. The contents survive for
// the next boot, as on the chip.
import type { Flash } from '../types.ts';
import { SeededRandom } from './seeded-random.ts';

export class PowerCutError extends Error {
  override readonly name = 'PowerCutError';
  constructor(message = 'sim/flash: power cut') {
    super(message);
  }
}

export type NorFlashOptions = {
  /** Partition size in bytes (whole blocks). Default 64 KiB. */
  byteLength?: number;
  /** Erase block size. Default 4096 (SPI NOR sector). */
  blockLength?: number;
  /** Seed for the torn-operation pattern. Default 1. */
  seed?: number;
};

/** How much of the operation a power cut lets land: a random part, nothing, or all of it. */
export type Tear = 'random' | 'none' | 'all';

export type NorFlashStats = { reads: number; programs: number; erases: number; bytesProgrammed: number; erasesPerBlock: number[] };

const defaults = { byteLength: 64 * 1024, blockLength: 4096, seed: 1 };

export class NorFlashSim implements Flash {
  readonly byteLength: number;
  readonly blockLength: number;
  #cells: Uint8Array;
  #random: SeededRandom;
  #operations = 0;
  #cutAt = -1;
  #tear: Tear = 'random';
  #powered = true;
  #stats: NorFlashStats;

  constructor(options: NorFlashOptions = {}) {
    const o = { ...defaults, ...options };
    if (!Number.isInteger(o.blockLength) || o.blockLength <= 0) {
      throw new RangeError(`sim/flash: "blockLength" expected a positive integer, got ${o.blockLength}`);
    }
    if (!Number.isInteger(o.byteLength) || o.byteLength <= 0 || o.byteLength % o.blockLength !== 0) {
      throw new RangeError(`sim/flash: "byteLength" expected a positive multiple of ${o.blockLength}, got ${o.byteLength}`);
    }
    this.byteLength = o.byteLength;
    this.blockLength = o.blockLength;
    this.#cells = new Uint8Array(o.byteLength).fill(0xff);
    this.#random = new SeededRandom(o.seed);
    this.#stats = { reads: 0, programs: 0, erases: 0, bytesProgrammed: 0, erasesPerBlock: new Array<number>(o.byteLength / o.blockLength).fill(0) };
  }

  /** Program/erase operations attempted so far (the index the next one will get). */
  get operationCount(): number {
    return this.#operations;
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** Counters since construction (copies). */
  stats(): NorFlashStats {
    return { ...this.#stats, erasesPerBlock: [...this.#stats.erasesPerBlock] };
  }

  /** Arm a power cut during program/erase operation number `operationIndex` (see header). */
  cutPowerAt(operationIndex: number, tear: Tear = 'random'): void {
    if (!Number.isInteger(operationIndex) || operationIndex < this.#operations) {
      throw new RangeError(`sim/flash: "operationIndex" expected an integer ≥ ${this.#operations}, got ${operationIndex}`);
    }
    if (tear !== 'random' && tear !== 'none' && tear !== 'all') throw new TypeError(`sim/flash: "tear" expected 'random', 'none' or 'all', got ${String(tear)}`);
    this.#cutAt = operationIndex;
    this.#tear = tear;
  }

  /** Power comes back: operations work again, contents are what the cut left. Disarms any cut. */
  reboot(): void {
    this.#powered = true;
    this.#cutAt = -1;
  }

  /** A copy of the whole partition (for byte-for-byte comparisons). */
  contents(): Uint8Array {
    return this.#cells.slice();
  }

  read(byteLength: number, byteOffset: number): ArrayBuffer {
    this.#checkPower();
    this.#checkRange(byteLength, byteOffset);
    this.#stats.reads++;
    return this.#cells.slice(byteOffset, byteOffset + byteLength).buffer;
  }

  write(buffer: ArrayBuffer | ArrayBufferView, byteOffset: number): void {
    this.#checkPower();
    const data = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#checkRange(data.length, byteOffset);
    const torn = this.#beginOperation();
    this.#stats.programs++;
    this.#stats.bytesProgrammed += data.length;
    // A torn program: bytes before `landed` are done, the byte at `landed` gets a random subset of
    // its cleared bits, the rest is untouched.
    const landed = torn ? this.#landed(data.length) : data.length;
    for (let i = 0; i < landed; i++) this.#cells[byteOffset + i]! &= data[i]!;
    if (torn) {
      if (landed < data.length && this.#tear === 'random') {
        const cell = byteOffset + landed;
        const toClear = this.#cells[cell]! & ~data[landed]! & 0xff;
        this.#cells[cell]! &= ~(toClear & this.#random.below(256)) & 0xff;
      }
      this.#cut();
    }
  }

  eraseBlock(block: number): void {
    this.#checkPower();
    const blocks = this.byteLength / this.blockLength;
    if (!Number.isInteger(block) || block < 0 || block >= blocks) {
      throw new RangeError(`sim/flash: "block" expected an integer in 0..${blocks - 1}, got ${block}`);
    }
    const torn = this.#beginOperation();
    this.#stats.erases++;
    this.#stats.erasesPerBlock[block]!++;
    const start = block * this.blockLength;
    // A torn erase: a prefix is erased, the byte at the edge gets random bits set, the rest keeps
    // its old contents (an interrupted erase leaves the cells between states).
    const landed = torn ? this.#landed(this.blockLength) : this.blockLength;
    this.#cells.fill(0xff, start, start + landed);
    if (torn) {
      if (landed < this.blockLength && this.#tear === 'random') this.#cells[start + landed]! |= this.#random.below(256);
      this.#cut();
    }
  }

  #landed(length: number): number {
    return this.#tear === 'none' ? 0 : this.#tear === 'all' ? length : this.#random.below(length + 1);
  }

  #beginOperation(): boolean {
    return this.#operations++ === this.#cutAt;
  }

  #cut(): never {
    this.#powered = false;
    throw new PowerCutError(`sim/flash: power cut during operation ${this.#operations - 1}`);
  }

  #checkPower(): void {
    if (!this.#powered) throw new PowerCutError();
  }

  #checkRange(byteLength: number, byteOffset: number): void {
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || !Number.isInteger(byteLength) || byteLength < 0 || byteOffset + byteLength > this.byteLength) {
      throw new RangeError(`sim/flash: range ${byteOffset}+${byteLength} outside the ${this.byteLength}-byte partition`);
    }
  }
}

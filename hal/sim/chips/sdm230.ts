// SIMULATION of an Eastron SDM230-Modbus meter's RS-485 side (SDM230-Modbus protocol: function 04
// input registers, IEEE-754 big-endian floats; function 03 holding registers; Modbus over Serial
// Line V1.02): it answers reads of its input registers with the readings of the energy model behind
// it (hal/sim/energy-meter.ts, driven by the charging circuit), as a meter that measures the same
// physical day, and reads of holding register FC00 with its serial number (unsigned 32-bit, high
// word first, read only). The setup holding registers (§1.3: pulse width, parity, node, baud …) are
// not modelled: reading them answers exception 02 like any address outside the map.
// As the Modbus specification has a server do, it ignores frames with a bad CRC or another address;
// it answers exception 01 to other functions, 02 to addresses outside its maps or an odd start, 03
// to quantities above 30 parameters or an odd register count. Input registers inside the map that
// the SDM230 does not define (e.g. phases 2 and 3) read 0.0. It answers `responseDelayMs` after the
// request's frame ended (a model value: Eastron states none).
// Faults, for the next `count` requests (default: until `clear()`):
//   'no-answer'  — silent;       'bad-crc'  — the answer's CRC is wrong;
//   'exception'  — exception 04 (server device failure);   'garbage' — noise instead of an answer;
//   'reset'      — the meter resets in the middle of its answer and hears nothing for `resetMs`.
import type { MeterSample } from '../../types.ts';
import { SeededRandom } from '../seeded-random.ts';
import type { RtuDevice } from './rs485-bus.ts';

export type Sdm230Fault = 'no-answer' | 'bad-crc' | 'exception' | 'garbage' | 'reset';

export type Sdm230SimOptions = {
  /** What the meter measures (the energy model). */
  measure: () => MeterSample;
  address?: number;
  /** The serial number in holding register FC00 (unsigned 32-bit). */
  serialNumber?: number;
  responseDelayMs?: number;
  resetMs?: number;
  seed?: number;
};

/** Input registers (the SDM230 protocol's hex start addresses) and how each reads from a sample. */
const registerValues: Readonly<Record<number, (sample: MeterSample) => number>> = Object.freeze({
  0x0000: (s) => s.voltageMv / 1000, // voltage, V
  0x0006: (s) => s.currentMa / 1000, // current, A
  0x000c: (s) => s.powerW, // active power, W
  0x0012: (s) => s.powerW, // apparent power, VA (unity power factor)
  0x001e: () => 1, // power factor
  0x0046: () => 50, // frequency, Hz
  0x0048: (s) => s.energyWh / 1000, // import active energy, kWh
  0x0156: (s) => s.energyWh / 1000, // total active energy, kWh
});
/** One past the last register of the map (30343 Total active energy is the last read here). */
const registerMapEnd = 0x0158;
const maxRegistersPerRequest = 60;
/** Holding register FC00, two registers: the serial number. */
const serialNumberRegister = 0xfc00;
const defaultSerialNumber = 20_260_001;

export class Sdm230Sim implements RtuDevice {
  readonly address: number;
  readonly serialNumber: number;
  readonly #measure: () => MeterSample;
  readonly #responseDelayUs: number;
  readonly #resetUs: number;
  readonly #random: SeededRandom;
  #fault: { kind: Sdm230Fault; remaining: number } | undefined;
  #deafUntilUs = 0;
  #requests = 0;

  constructor(options: Sdm230SimOptions) {
    this.#measure = options.measure;
    this.address = options.address ?? 1;
    this.serialNumber = options.serialNumber ?? defaultSerialNumber;
    if (!Number.isInteger(this.serialNumber) || this.serialNumber < 0 || this.serialNumber > 0xffff_ffff) {
      throw new RangeError(`sim/sdm230: "serialNumber" expected an unsigned 32-bit integer, got ${this.serialNumber}`);
    }
    this.#responseDelayUs = (options.responseDelayMs ?? 20) * 1000;
    this.#resetUs = (options.resetMs ?? 1500) * 1000;
    this.#random = new SeededRandom(options.seed ?? 230);
  }

  /** Requests addressed to this meter so far (answered or not). */
  get requests(): number {
    return this.#requests;
  }

  inject(kind: Sdm230Fault, count = Infinity): void {
    this.#fault = { kind, remaining: count };
  }

  clear(): void {
    this.#fault = undefined;
  }

  frame(frame: Uint8Array, endUs: number): { bytes: Uint8Array; startUs: number } | undefined {
    if (endUs < this.#deafUntilUs || frame.length < 4 || crc(frame, frame.length - 2) !== (frame[frame.length - 2]! | (frame[frame.length - 1]! << 8))) return undefined;
    if (frame[0] !== this.address) return undefined;
    this.#requests++;
    const fault = this.#takeFault();
    if (fault === 'no-answer') return undefined;
    let answer = this.#answer(frame);
    if (fault === 'exception') answer = withCrc([this.address, frame[1]! | 0x80, 0x04]);
    if (fault === 'bad-crc') answer[answer.length - 1] ^= 0xff;
    if (fault === 'garbage') answer = Uint8Array.from({ length: answer.length }, () => this.#random.below(256));
    const startUs = endUs + this.#responseDelayUs;
    if (fault === 'reset') {
      this.#deafUntilUs = startUs + this.#resetUs;
      answer = answer.subarray(0, 3);
    }
    return { bytes: answer, startUs };
  }

  #answer(frame: Uint8Array): Uint8Array {
    const fn = frame[1]!;
    if ((fn !== 0x03 && fn !== 0x04) || frame.length !== 8) return withCrc([this.address, fn | 0x80, 0x01]);
    const start = (frame[2]! << 8) | frame[3]!;
    const count = (frame[4]! << 8) | frame[5]!;
    if (count === 0 || count > maxRegistersPerRequest || count % 2 !== 0) return withCrc([this.address, fn | 0x80, 0x03]);
    return fn === 0x03 ? this.#holdingAnswer(start, count) : this.#inputAnswer(start, count);
  }

  #holdingAnswer(start: number, count: number): Uint8Array {
    if (start !== serialNumberRegister || count !== 2) return withCrc([this.address, 0x83, 0x02]);
    const body = new Uint8Array(7);
    body.set([this.address, 0x03, 4]);
    new DataView(body.buffer).setUint32(3, this.serialNumber, false);
    return withCrc(body);
  }

  #inputAnswer(start: number, count: number): Uint8Array {
    if (start % 2 !== 0 || start + count > registerMapEnd) return withCrc([this.address, 0x84, 0x02]);
    const sample = this.#measure();
    const body = new Uint8Array(3 + count * 2);
    body.set([this.address, 0x04, count * 2]);
    const view = new DataView(body.buffer);
    for (let i = 0; i < count / 2; i++) view.setFloat32(3 + i * 4, registerValues[start + i * 2]?.(sample) ?? 0, false);
    return withCrc(body);
  }

  #takeFault(): Sdm230Fault | undefined {
    const fault = this.#fault;
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.#fault = undefined;
    return fault.kind;
  }
}

/** CRC-16/MODBUS (Modbus over Serial Line V1.02 §6.2.2), computed here on the meter's side. */
function crc(bytes: Uint8Array | readonly number[], end: number): number {
  let value = 0xffff;
  for (let i = 0; i < end; i++) {
    value ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? (value >>> 1) ^ 0xa001 : value >>> 1;
  }
  return value;
}

function withCrc(body: Uint8Array | readonly number[]): Uint8Array {
  const frame = new Uint8Array(body.length + 2);
  frame.set(body);
  const value = crc(body, body.length);
  frame[body.length] = value & 0xff;
  frame[body.length + 1] = value >>> 8;
  return frame;
}

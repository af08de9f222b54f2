// SIMULATION of a half-duplex RS-485 bus between the pile's UART (through a MAX3485-class
// transceiver, DE and /RE tied to one GPIO: high transmits, low listens) and Modbus RTU devices.
// Bytes travel one character time apart. A byte the UART sends reaches the bus only if the
// transceiver was transmitting for all of it; a byte a device sends reaches the UART only if the
// transceiver was listening for all of it. A frame ends after 3.5 character times of silence
// (Modbus over Serial Line V1.02 §2.5.1.1); every device then sees it.
// Fault: `jam()` — something on the bus transmits noise without pause (a wedged transceiver): the
// devices see no frame and the UART receives only noise until `clear()`. Two stations sending at
// once garble each other's bytes (what the UART sends while a device still answers is lost).
import type { DigitalLine, SerialLine } from '../io/wiring.ts';
import { SeededRandom } from '../seeded-random.ts';

/** A device on the bus: sees each complete frame; answers the bytes it sends back and when they start. */
export interface RtuDevice {
  frame(frame: Uint8Array, endUs: number): { bytes: Uint8Array; startUs: number } | undefined;
}

type WireByte = { value: number; startUs: number; endUs: number; characterUs: number };

export class Rs485Bus {
  /** The transceiver's direction pin. */
  readonly direction: DigitalLine;
  /** The UART's side. */
  readonly uart: SerialLine;
  readonly #devices: RtuDevice[] = [];
  readonly #random: SeededRandom;
  #directionChanges: { atUs: number; level: 0 | 1 }[] = [{ atUs: 0, level: 0 }];
  #fromUart: WireByte[] = [];
  #toUart: WireByte[] = [];
  #frame: WireByte[] = [];
  #uartFreeAtUs = 0;
  #jammedSinceUs: number | undefined;
  #lastReceiveUs = 0;
  #devicesBusyUntilUs = 0;

  constructor(options: { seed?: number } = {}) {
    this.#random = new SeededRandom(options.seed ?? 485);
    this.direction = { drive: (level, atUs) => this.#drive(level, atUs) };
    this.uart = {
      transmit: (bytes, atUs, characterUs) => this.#transmit(bytes, atUs, characterUs),
      receive: (untilUs) => this.#receive(untilUs),
    };
  }

  attach(device: RtuDevice): void {
    this.#devices.push(device);
  }

  jam(): void {
    this.#jammedSinceUs ??= 0;
  }

  clear(): void {
    this.#jammedSinceUs = undefined;
  }

  #drive(level: 0 | 1, atUs: number): void {
    this.#settle(atUs);
    this.#directionChanges.push({ atUs, level });
  }

  #transmit(bytes: Uint8Array, atUs: number, characterUs: number): void {
    let startUs = Math.max(atUs, this.#uartFreeAtUs);
    for (const value of bytes) {
      this.#fromUart.push({ value, startUs, endUs: startUs + characterUs, characterUs });
      startUs += characterUs;
    }
    this.#uartFreeAtUs = startUs;
  }

  #receive(untilUs: number): Uint8Array {
    this.#settle(untilUs);
    const arrived: number[] = [];
    while (this.#toUart.length > 0 && this.#toUart[0]!.endUs <= untilUs) {
      const byte = this.#toUart.shift()!;
      if (this.#levelThroughout(byte, 0)) arrived.push(byte.value);
    }
    if (this.#jammedSinceUs !== undefined) {
      const characterUs = 1042; // noise at 9600 baud
      const fromUs = Math.max(this.#lastReceiveUs, this.#jammedSinceUs, untilUs - 64 * characterUs);
      for (let t = fromUs + characterUs; t <= untilUs; t += characterUs) arrived.push(this.#random.below(256));
    }
    this.#lastReceiveUs = untilUs;
    return Uint8Array.from(arrived);
  }

  /** Put what the UART sent by `nowUs` on the bus, and hand finished frames to the devices. */
  #settle(nowUs: number): void {
    while (this.#fromUart.length > 0 && this.#fromUart[0]!.endUs <= nowUs) {
      const byte = this.#fromUart.shift()!;
      const last = this.#frame.at(-1);
      if (last && byte.startUs - last.endUs >= 3.5 * last.characterUs) this.#deliver();
      const clean = this.#jammedSinceUs === undefined && byte.startUs >= this.#devicesBusyUntilUs && this.#levelThroughout(byte, 1);
      this.#frame.push(clean ? byte : { ...byte, value: byte.value ^ 0xa5 }); // a collision or a half-sent byte: garbled
    }
    const last = this.#frame.at(-1);
    if (last && nowUs - last.endUs >= 3.5 * last.characterUs && (this.#fromUart.length === 0 || this.#fromUart[0]!.startUs - last.endUs >= 3.5 * last.characterUs)) {
      this.#deliver();
    }
    const oldestUs = Math.min(this.#fromUart[0]?.startUs ?? nowUs, this.#toUart[0]?.startUs ?? nowUs, nowUs);
    while (this.#directionChanges.length > 1 && this.#directionChanges[1]!.atUs <= oldestUs) this.#directionChanges.shift();
  }

  #deliver(): void {
    const frame = this.#frame;
    this.#frame = [];
    const last = frame.at(-1)!;
    const endUs = last.endUs + 3.5 * last.characterUs;
    const bytes = Uint8Array.from(frame, (b) => b.value);
    for (const device of this.#devices) {
      const answer = device.frame(bytes, endUs);
      if (!answer) continue;
      let startUs = answer.startUs;
      for (const value of answer.bytes) {
        this.#toUart.push({ value, startUs, endUs: startUs + last.characterUs, characterUs: last.characterUs });
        startUs += last.characterUs;
      }
      this.#devicesBusyUntilUs = Math.max(this.#devicesBusyUntilUs, startUs);
    }
  }

  /** Whether the direction pin held `level` for the whole of `byte`. */
  #levelThroughout(byte: WireByte, level: 0 | 1): boolean {
    let at: 0 | 1 = 0;
    for (const change of this.#directionChanges) {
      if (change.atUs <= byte.startUs) at = change.level;
      else if (change.atUs < byte.endUs && change.level !== at) return false;
    }
    return at === level;
  }
}

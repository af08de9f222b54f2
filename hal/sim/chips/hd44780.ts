// SIMULATION of a Hitachi HD44780U character LCD controller (ADE-207-272) behind a PCF8574
// backpack (P0 RS, P1 R/W, P2 E, P3 backlight, P4–P7 D4–D7), on a 20 × 4 module. It latches D4–D7
// on each falling edge of E; after power-on it is in 8-bit mode (§"Initializing by Internal Reset
// Circuit": 8-bit interface, 1 line, display off, increment), where each nibble is a whole
// instruction with D0–D3 low (unconnected); "function set" with DL = 0 switches it to 4-bit mode,
// where two nibbles make one instruction, high first. An instruction sent while the previous one
// still executes (Table 6: 37 µs, clear and home 1.52 ms) is lost, as the busy flag warns.
// With R/W high and E high it drives busy flag and address counter (RS low) on D4–D7, high nibble
// at the first E pulse. DDRAM is 80 characters; a 4-line module shows 0x00, 0x40, 0x14 and 0x54
// onwards (Figure 9).
import type { PortDevice } from './pcf8574.ts';

const Pin = Object.freeze({ rs: 0x01, rw: 0x02, e: 0x04, backlight: 0x08 });
const executeUs = 37;
const clearUs = 1520;

export class Hd44780Sim implements PortDevice {
  readonly rows: number;
  readonly columns: number;
  readonly #ddram = new Uint8Array(0x80);
  #port = 0xff;
  #fourBit = false;
  #pendingNibble: number | undefined;
  #readPhase = 0;
  #address = 0;
  #displayOn = false;
  #twoLines = false;
  #increment = true;
  #busyUntilUs = 0;
  #lost = 0;

  constructor(options: { rows?: number; columns?: number } = {}) {
    this.rows = options.rows ?? 4;
    this.columns = options.columns ?? 20;
    this.powerOnReset();
  }

  /** Instructions and characters dropped because they came while the controller was busy. */
  get lost(): number {
    return this.#lost;
  }

  get backlight(): boolean {
    return (this.#port & Pin.backlight) !== 0;
  }

  /** The rows as the module shows them ('' while the display is off). */
  text(): string[] {
    return Array.from({ length: this.rows }, (_, row) => {
      if (!this.#displayOn) return '';
      const start = (row & 1 ? 0x40 : 0) + (row & 2 ? this.columns : 0);
      return String.fromCharCode(...this.#ddram.subarray(start, start + this.columns));
    });
  }

  powerOnReset(): void {
    this.#ddram.fill(0x20);
    this.#fourBit = false;
    this.#pendingNibble = undefined;
    this.#readPhase = 0;
    this.#address = 0;
    this.#displayOn = false;
    this.#twoLines = false;
    this.#increment = true;
    this.#busyUntilUs = 0;
  }

  pins(port: number, atUs: number): void {
    const falling = (this.#port & Pin.e) !== 0 && (port & Pin.e) === 0;
    const rising = (this.#port & Pin.e) === 0 && (port & Pin.e) !== 0;
    this.#port = port;
    if (port & Pin.rw) {
      if (falling) this.#readPhase ^= 1;
      return;
    }
    if (rising) this.#readPhase = 0;
    if (!falling) return;
    const nibble = port >> 4;
    const rs = (port & Pin.rs) !== 0;
    if (!this.#fourBit) return this.#execute(nibble << 4, rs, atUs);
    if (this.#pendingNibble === undefined) {
      this.#pendingNibble = nibble;
      return;
    }
    const value = (this.#pendingNibble << 4) | nibble;
    this.#pendingNibble = undefined;
    this.#execute(value, rs, atUs);
  }

  driven(atUs: number): number {
    if (!(this.#port & Pin.rw) || !(this.#port & Pin.e) || this.#port & Pin.rs) return 0xff;
    const status = (atUs < this.#busyUntilUs ? 0x80 : 0) | (this.#address & 0x7f);
    const nibble = this.#readPhase === 0 ? status >> 4 : status & 0x0f;
    return (nibble << 4) | 0x0f;
  }

  #execute(value: number, rs: boolean, atUs: number): void {
    if (atUs < this.#busyUntilUs) {
      this.#lost++;
      return;
    }
    let takesUs = executeUs;
    if (rs) {
      this.#ddram[this.#address] = value;
      this.#step();
    } else if (value & 0x80) {
      this.#address = value & 0x7f;
    } else if (value & 0x20) {
      this.#fourBit = (value & 0x10) === 0;
      this.#twoLines = (value & 0x08) !== 0;
    } else if (value & 0x08) {
      this.#displayOn = (value & 0x04) !== 0;
    } else if (value & 0x04) {
      this.#increment = (value & 0x02) !== 0;
    } else if (value & 0x02) {
      this.#address = 0;
      takesUs = clearUs;
    } else if (value & 0x01) {
      this.#ddram.fill(0x20);
      this.#address = 0;
      this.#increment = true;
      takesUs = clearUs;
    }
    this.#busyUntilUs = atUs + takesUs;
  }

  /** The address counter after a DDRAM write: a 2-line display runs 0x00–0x27 then 0x40–0x67. */
  #step(): void {
    const next = this.#address + (this.#increment ? 1 : -1);
    if (!this.#twoLines) this.#address = (next + 80) % 80;
    else if (next === 0x28) this.#address = 0x40;
    else if (next === 0x68) this.#address = 0x00;
    else if (next === 0x3f) this.#address = 0x27;
    else if (next === -1) this.#address = 0x67;
    else this.#address = next;
  }
}

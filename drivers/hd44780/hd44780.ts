// Character LCD: Hitachi HD44780U controller (20 × 4 module, e.g. LCD2004) driven in 4-bit mode
// through an NXP/TI PCF8574 I2C 8-bit I/O expander backpack, plus an RGB status LED on three GPIOs.
// Datasheets: Hitachi HD44780U (ADE-207-272): Table 6 instructions, Figure 24 initialisation
// for the 4-bit interface, Table 6 execution times (37 µs; 1.52 ms for clear); Figure 9 DDRAM
// addresses of a 4-line display; character ROM A00. TI PCF8574 (SCPS068J) §8.3: each data byte
// written sets the 8 quasi-bidirectional pins; pins written 1 are weak pull-ups that read back what
// the attached device drives. Backpack wiring (the common LCM1602/YwRobot board): P0 RS, P1 R/W,
// P2 E, P3 backlight, P4–P7 D4–D7.
//
// `show` rewrites only the rows that changed, then reads the controller's address counter back: a
// controller that lost its 4-bit sync (a reset, a glitch on E) is found there, initialised again
// and the whole screen rewritten.

/** The part of ECMA-419 `embedded:io/i2c` this driver uses (Moddable's typings omit its `close`). */
export interface I2cIo {
  write(buffer: ArrayBuffer, stop?: boolean): void;
  read(byteLength: number, stop?: boolean): ArrayBuffer;
  close?(): void;
}
export type I2cIoClass = new (options: { data: number; clock: number; hz: number; address: number }) => I2cIo;

/** The part of ECMA-419 `embedded:io/digital` this driver uses. */
export interface DigitalIo {
  write(value: 0 | 1): void;
  close(): void;
}
export type DigitalIoClass = { new (options: { pin: number; mode: number }): DigitalIo; readonly Output: number };

export type StatusName = 'idle' | 'busy' | 'charging' | 'attention' | 'fault';

export type Hd44780Options = {
  i2c: { io: I2cIoClass; data: number; clock: number; hz?: number; address?: number };
  /** The status LED's red, green and blue pins (high: lit). */
  led: { io: DigitalIoClass; red: number; green: number; blue: number };
  /** Blocking delay in ms (Moddable `Timer.delay`). */
  wait: (ms: number) => void;
  rows?: 2 | 4;
  columns?: 16 | 20;
};

export class Hd44780Error extends Error {
  override readonly name = 'Hd44780Error';
  constructor(message: string) {
    super(`hd44780: ${message}`);
  }
}

/** PCF8574 pins on the backpack. */
const Backpack = Object.freeze({ rs: 0x01, rw: 0x02, e: 0x04, backlight: 0x08, data: 0xf0 });
/** HD44780U Table 6. */
const Instruction = Object.freeze({
  clearDisplay: 0x01,
  entryModeIncrement: 0x06,
  displayOff: 0x08,
  displayOn: 0x0c,
  functionSet4Bit2Lines: 0x28,
  setDdramAddress: 0x80,
});
/** Figure 24: the 8-bit "function set" nibble sent three times, then the switch to 4 bits. */
const Reset = Object.freeze({ eightBit: 0x3, fourBit: 0x2 });
/** Colours of the status LED (red, green, blue). */
const statusColours: Readonly<Record<StatusName, readonly [0 | 1, 0 | 1, 0 | 1]>> = Object.freeze({
  idle: Object.freeze([0, 1, 0] as const),
  busy: Object.freeze([0, 0, 1] as const),
  charging: Object.freeze([0, 1, 1] as const),
  attention: Object.freeze([1, 1, 0] as const),
  fault: Object.freeze([1, 0, 0] as const),
});

export class Hd44780 {
  readonly rows: number;
  readonly columns: number;
  readonly #i2c: I2cIo;
  readonly #leds: readonly [DigitalIo, DigitalIo, DigitalIo];
  readonly #wait: (ms: number) => void;
  readonly #shown: string[];
  #needsInit = true;

  constructor(options: Hd44780Options) {
    const { i2c, led } = options;
    this.rows = options.rows ?? 4;
    this.columns = options.columns ?? 20;
    if (this.rows !== 2 && this.rows !== 4) throw new RangeError(`hd44780: "rows" expected 2 or 4, got ${this.rows}`);
    if (this.columns !== 16 && this.columns !== 20) throw new RangeError(`hd44780: "columns" expected 16 or 20, got ${this.columns}`);
    this.#wait = options.wait;
    this.#shown = new Array<string>(this.rows).fill('');
    this.#i2c = new i2c.io({ data: i2c.data, clock: i2c.clock, hz: i2c.hz ?? 100_000, address: i2c.address ?? 0x27 });
    const pin = (n: number): DigitalIo => new led.io({ pin: n, mode: led.io.Output });
    this.#leds = [pin(led.red), pin(led.green), pin(led.blue)];
    this.#wait(50); // Figure 24: more than 40 ms after VCC rises to 2.7 V
  }

  /** Replace the screen: printable ASCII, at most `rows` lines, each clipped to `columns`. */
  show(lines: readonly string[], status: StatusName): void {
    if (lines.length > this.rows) throw new RangeError(`hd44780: "lines" expected at most ${this.rows} rows, got ${lines.length}`);
    const colours = statusColours[status];
    if (!colours) throw new TypeError(`hd44780: unknown status ${String(status)}`);
    const wanted = Array.from({ length: this.rows }, (_, row) => romText((lines[row] ?? '').slice(0, this.columns).padEnd(this.columns)));
    colours.forEach((level, i) => this.#leds[i]!.write(level));
    try {
      if (this.#needsInit) this.#initialise();
      if (!this.#write(wanted)) {
        this.#initialise();
        if (!this.#write(wanted)) throw new Hd44780Error('the controller does not follow its address counter after a new initialisation');
      }
    } catch (error) {
      this.#needsInit = true;
      if (error instanceof Hd44780Error) throw error;
      throw new Hd44780Error(`I2C: ${(error as Error).message}`);
    }
  }

  close(): void {
    for (const led of this.#leds) led.write(0), led.close();
    this.#i2c.close?.();
  }

  /** Figure 24 (4-bit interface), then 2 lines, display on, cursor off, increment. */
  #initialise(): void {
    this.#nibble(Reset.eightBit, 0);
    this.#wait(5); // > 4.1 ms
    this.#nibble(Reset.eightBit, 0);
    this.#wait(1); // > 100 µs
    this.#nibble(Reset.eightBit, 0);
    this.#nibble(Reset.fourBit, 0);
    this.#instruction(Instruction.functionSet4Bit2Lines);
    this.#instruction(Instruction.displayOff);
    this.#instruction(Instruction.clearDisplay);
    this.#wait(2); // 1.52 ms
    this.#instruction(Instruction.entryModeIncrement);
    this.#instruction(Instruction.displayOn);
    this.#shown.fill(' '.repeat(this.columns));
    this.#needsInit = false;
  }

  /** Write the rows that differ from what is shown; false when the address counter disagrees. */
  #write(wanted: readonly string[]): boolean {
    for (let row = 0; row < this.rows; row++) {
      if (wanted[row] === this.#shown[row]) continue;
      const address = this.#rowAddress(row);
      this.#instruction(Instruction.setDdramAddress | address);
      const bytes = new Uint8Array(this.columns * 4);
      for (let i = 0; i < this.columns; i++) bytes.set(this.#byteFrames(wanted[row]!.charCodeAt(i), Backpack.rs), i * 4);
      this.#i2c.write(bytes.buffer);
      this.#shown[row] = '';
      if (this.#readAddressCounter() !== nextAddress(address + this.columns - 1)) return false;
      this.#shown[row] = wanted[row]!;
    }
    return true;
  }

  /** Figure 9: rows 0 and 1 start at 0x00 and 0x40, rows 2 and 3 continue them after `columns`. */
  #rowAddress(row: number): number {
    return (row & 1 ? 0x40 : 0x00) + (row & 2 ? this.columns : 0);
  }

  #instruction(code: number): void {
    this.#i2c.write(this.#byteFrames(code, 0).buffer);
  }

  /** One nibble on D4–D7 with E pulsed (E high, then low: the controller latches on the falling edge). */
  #nibble(value: number, control: number): void {
    const bits = (value << 4) | control | Backpack.backlight;
    this.#i2c.write(Uint8Array.of(bits | Backpack.e, bits).buffer);
  }

  /** The four PCF8574 writes that clock one byte in as two nibbles, high nibble first. */
  #byteFrames(value: number, control: number): Uint8Array<ArrayBuffer> {
    const high = (value & 0xf0) | control | Backpack.backlight;
    const low = ((value << 4) & 0xf0) | control | Backpack.backlight;
    return Uint8Array.of(high | Backpack.e, high, low | Backpack.e, low);
  }

  /** Read busy flag and address counter (RS = 0, R/W = 1): D4–D7 released high to read them. */
  #readAddressCounter(): number {
    const idle = Backpack.data | Backpack.rw | Backpack.backlight;
    let counter = 0;
    for (let nibble = 0; nibble < 2; nibble++) {
      this.#i2c.write(Uint8Array.of(idle | Backpack.e).buffer);
      const port = new Uint8Array(this.#i2c.read(1))[0]!;
      this.#i2c.write(Uint8Array.of(idle).buffer);
      counter = (counter << 4) | (port >> 4);
    }
    return counter & 0x7f; // bit 7 is the busy flag
  }
}

/** The address counter after a write at `address` on a 2-line layout (0x00–0x27, 0x40–0x67). */
function nextAddress(address: number): number {
  if (address === 0x27) return 0x40;
  if (address === 0x67) return 0x00;
  return address + 1;
}

/** Character ROM A00 shows ¥ at 0x5C and → at 0x7E: those two are drawn as their nearest look-alikes. */
function romText(line: string): string {
  if (!/^[\x20-\x7e]*$/.test(line)) throw new TypeError(`hd44780: line ${JSON.stringify(line)} is not printable ASCII`);
  return line.replace(/\\/g, '/').replace(/~/g, '-');
}

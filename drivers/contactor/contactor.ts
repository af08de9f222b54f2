// AC main contactor with an auxiliary (mirror) contact, e.g. Schneider Electric TeSys Deca LC1D25
// (AC-1 40 A) with a 1 NO auxiliary block. Datasheet (LC1D25 product data sheet): operating time
// 12–22 ms closing, 4–19 ms opening. The coil is switched by a low-side driver from a GPIO (high:
// energised); the auxiliary NO contact pulls its input to ground when the main contacts are closed,
// against the input's pull-up, so closed reads 0.
//
// Reading the auxiliary contact waits for it to stop bouncing: `stableReads` equal reads
// `readSpacingMs` apart, within `maxReads`; a contact still chattering after that is a fault. The
// firmware's own settle time (contactorSettleMs, default 500 ms) covers the 22 ms operating time
// before it compares feedback with command.

/** The part of ECMA-419 `embedded:io/digital` this driver uses. */
export interface DigitalIo {
  read(): 0 | 1;
  write(value: 0 | 1): void;
  close(): void;
}
export type DigitalIoClass = {
  new (options: { pin: number; mode: number }): DigitalIo;
  readonly Output: number;
  readonly InputPullUp: number;
};

export type ContactorOptions = {
  coil: { io: DigitalIoClass; pin: number };
  auxiliary: { io: DigitalIoClass; pin: number };
  /** Blocking delay in ms (Moddable `Timer.delay`). */
  wait: (ms: number) => void;
  stableReads?: number;
  readSpacingMs?: number;
  maxReads?: number;
};

export type ContactorSettings = { stableReads: number; readSpacingMs: number; maxReads: number };

export class ContactorError extends Error {
  override readonly name = 'ContactorError';
  constructor(message: string) {
    super(`contactor: ${message}`);
  }
}

const defaults: Readonly<ContactorSettings> = Object.freeze({ stableReads: 3, readSpacingMs: 1, maxReads: 20 });
const auxiliaryClosedLevel = 0;

export class Contactor {
  readonly #coil: DigitalIo;
  readonly #auxiliary: DigitalIo;
  readonly #wait: (ms: number) => void;
  #settings: ContactorSettings;

  constructor(options: ContactorOptions) {
    this.#settings = checkSettings({ ...defaults, ...pickSettings(options) });
    this.#wait = options.wait;
    this.#coil = new options.coil.io({ pin: options.coil.pin, mode: options.coil.io.Output });
    this.#coil.write(0);
    this.#auxiliary = new options.auxiliary.io({ pin: options.auxiliary.pin, mode: options.auxiliary.io.InputPullUp });
  }

  configure(options: Partial<ContactorSettings>): void {
    this.#settings = checkSettings({ ...this.#settings, ...pickSettings(options) });
  }

  /** Energise (true) or release (false) the coil. */
  setClosed(closed: boolean): void {
    if (typeof closed !== 'boolean') throw new TypeError(`contactor: "closed" expected a boolean, got ${typeof closed}`);
    this.#coil.write(closed ? 1 : 0);
  }

  /** The auxiliary contact once it has stopped bouncing: true when it reports the main contacts closed. */
  readFeedbackClosed(): boolean {
    const { stableReads, readSpacingMs, maxReads } = this.#settings;
    let level = this.#auxiliary.read();
    let same = 1;
    for (let reads = 1; same < stableReads; reads++) {
      if (reads >= maxReads) throw new ContactorError(`auxiliary contact still bouncing after ${reads} reads ${readSpacingMs} ms apart`);
      this.#wait(readSpacingMs);
      const next = this.#auxiliary.read();
      same = next === level ? same + 1 : 1;
      level = next;
    }
    return level === auxiliaryClosedLevel;
  }

  close(): void {
    this.#coil.write(0);
    this.#coil.close();
    this.#auxiliary.close();
  }
}

function pickSettings(options: Partial<ContactorSettings>): Partial<ContactorSettings> {
  const picked: Partial<ContactorSettings> = {};
  if (options.stableReads !== undefined) picked.stableReads = options.stableReads;
  if (options.readSpacingMs !== undefined) picked.readSpacingMs = options.readSpacingMs;
  if (options.maxReads !== undefined) picked.maxReads = options.maxReads;
  return picked;
}

function checkSettings(settings: ContactorSettings): ContactorSettings {
  const { stableReads, readSpacingMs, maxReads } = settings;
  if (!Number.isInteger(stableReads) || stableReads < 1) throw new RangeError(`contactor: "stableReads" expected a positive integer, got ${stableReads}`);
  if (!Number.isInteger(readSpacingMs) || readSpacingMs < 0) throw new RangeError(`contactor: "readSpacingMs" expected a non-negative integer, got ${readSpacingMs}`);
  if (!Number.isInteger(maxReads) || maxReads < stableReads) throw new RangeError(`contactor: "maxReads" expected an integer ≥ stableReads, got ${maxReads}`);
  return settings;
}

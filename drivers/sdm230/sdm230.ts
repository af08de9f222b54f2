// Eastron SDM230-Modbus, single-phase MID kWh meter, read over Modbus RTU on RS-485.
// Datasheets: Eastron "SDM230-Modbus User Manual" and "SDM230-Modbus Protocol" (input registers,
// function 04, IEEE-754 floats, big-endian; the serial number in holding register FC00, function
// 03, unsigned 32-bit); Modbus over Serial Line V1.02 (RTU framing and timing,
// §2.5.1). The UART runs 8 data bits, no parity, 1 stop bit: set the meter to that ("n-1"), its
// address and baud rate in its setup menu.
//
// An RS-485 transceiver (e.g. MAX3485, DE and /RE tied) sits between the UART and the bus; its
// direction pin is driven high to transmit and low to listen. Each `sample()` is two blocking
// exchanges (voltage…power, then import energy); a lost, corrupt or garbled answer is asked for
// again, up to `tries` times; an exception answer is not (the meter will say the same again).
import { answerLength, parseReadAnswer, readRegistersRequest } from './modbus-rtu.ts';
import { FunctionCode, HoldingRegister, InputRegister } from './registers.ts';

/** The part of ECMA-419 `embedded:io/serial` (format "buffer") this driver uses. */
export interface SerialIo {
  read(): number | ArrayBuffer | undefined;
  write(value: ArrayBuffer): void;
  close(): void;
}
export type SerialIoClass = new (options: { port: number; receive: number; transmit: number; baud: number; format: 'buffer' }) => SerialIo;

/** The part of ECMA-419 `embedded:io/digital` this driver uses. */
export interface DigitalIo {
  write(value: 0 | 1): void;
  close(): void;
}
export type DigitalIoClass = { new (options: { pin: number; mode: number }): DigitalIo; readonly Output: number };

export type Sdm230Options = {
  /** The UART wired to the transceiver. */
  serial: { io: SerialIoClass; port: number; receive: number; transmit: number; baud: number };
  /** The transceiver's DE and /RE pins (high: transmit). */
  direction: { io: DigitalIoClass; pin: number };
  /** Blocking delay in ms (Moddable `Timer.delay`). */
  wait: (ms: number) => void;
  /** Modbus address set in the meter, 1..247. */
  address?: number;
  /** How long to wait for the first byte of an answer. */
  responseTimeoutMs?: number;
  /** Requests per reading before giving up (1 + retries). */
  tries?: number;
};

export type Sdm230Settings = { address: number; responseTimeoutMs: number; tries: number };

/** One reading, in the pile's integer units. */
export type Sdm230Sample = { energyWh: number; powerW: number; currentMa: number; voltageMv: number };

export type Sdm230Fault = 'no-answer' | 'bad-crc' | 'garbage' | 'exception' | 'implausible';

export class Sdm230Error extends Error {
  override readonly name = 'Sdm230Error';
  readonly code: Sdm230Fault;
  constructor(code: Sdm230Fault, message: string) {
    super(`sdm230: ${message}`);
    this.code = code;
  }
}

const defaults: Readonly<Sdm230Settings> = Object.freeze({ address: 1, responseTimeoutMs: 100, tries: 3 });
/** 8N1: a start bit, 8 data bits, a stop bit. */
const bitsPerCharacter = 10;
/** Longest answer: 30 parameters (the protocol's limit) of 4 bytes, plus address, function, count, CRC. */
const maxAnswerBytes = 3 + 30 * 4 + 2;
/** The shortest answer: an exception (address, 0x84, code, CRC). */
const exceptionAnswerBytes = 5;

/**
 * The meter's float readings as the pile's integer sample, each rounded to the nearest whole unit
 * (V → mV, A → mA, W, kWh → Wh). A float32 holds every whole Wh exactly below 16,384 kWh (its
 * spacing there is 1/1024 kWh); above that the register's own spacing (≤ 2 Wh up to 32,768 kWh, ≤ 4
 * Wh up to 65,536 kWh …) is the resolution. Negative active power (export, or noise at no load)
 * reads as 0 W: the pile never exports. A value that is not finite, or a negative voltage, current
 * or energy, is a meter fault.
 */
export function sampleFromReadings(voltageV: number, currentA: number, activePowerW: number, importKwh: number): Sdm230Sample {
  for (const [name, value] of [['voltage', voltageV], ['current', currentA], ['import energy', importKwh]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new Sdm230Error('implausible', `${name} reads ${value}`);
  }
  if (!Number.isFinite(activePowerW)) throw new Sdm230Error('implausible', `active power reads ${activePowerW}`);
  return {
    energyWh: Math.round(importKwh * 1000),
    powerW: Math.max(0, Math.round(activePowerW)),
    currentMa: Math.round(currentA * 1000),
    voltageMv: Math.round(voltageV * 1000),
  };
}

export class Sdm230 {
  readonly #serial: SerialIo;
  readonly #direction: DigitalIo;
  readonly #wait: (ms: number) => void;
  readonly #characterUs: number;
  #settings: Sdm230Settings;

  constructor(options: Sdm230Options) {
    const { serial, direction, wait } = options;
    if (!Number.isInteger(serial.baud) || serial.baud < 1200 || serial.baud > 115_200) {
      throw new RangeError(`sdm230: "baud" expected an integer in 1200..115200, got ${serial.baud}`);
    }
    this.#settings = checkSettings({ ...defaults, ...pickSettings(options) });
    this.#wait = wait;
    this.#characterUs = Math.ceil((bitsPerCharacter * 1_000_000) / serial.baud);
    this.#direction = new direction.io({ pin: direction.pin, mode: direction.io.Output });
    this.#direction.write(0);
    this.#serial = new serial.io({ port: serial.port, receive: serial.receive, transmit: serial.transmit, baud: serial.baud, format: 'buffer' });
  }

  configure(options: Partial<Sdm230Settings>): void {
    this.#settings = checkSettings({ ...this.#settings, ...pickSettings(options) });
  }

  get settings(): Readonly<Sdm230Settings> {
    return this.#settings;
  }

  /** Read voltage, current, power and the import energy register. Throws `Sdm230Error`. */
  sample(): Sdm230Sample {
    const instantaneous = this.#readFloats(InputRegister.voltage, 7);
    const [importKwh] = this.#readFloats(InputRegister.importActiveEnergy, 1);
    const at = (register: number): number => instantaneous[(register - InputRegister.voltage) / 2]!;
    return sampleFromReadings(at(InputRegister.voltage), at(InputRegister.current), at(InputRegister.activePower), importKwh!);
  }

  /** The meter's serial number (holding register FC00, unsigned 32-bit, high word first). Throws `Sdm230Error`. */
  readSerialNumber(): number {
    const data = this.#readRegisters(FunctionCode.readHoldingRegisters, HoldingRegister.serialNumber, 2);
    return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false);
  }

  close(): void {
    this.#serial.close();
    this.#direction.close();
  }

  /** `parameters` consecutive floats (two registers each) from `start`. */
  #readFloats(start: number, parameters: number): number[] {
    const data = this.#readRegisters(FunctionCode.readInputRegisters, start, parameters * 2);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return Array.from({ length: parameters }, (_, i) => view.getFloat32(i * 4, false));
  }

  #readRegisters(functionCode: number, start: number, count: number): Uint8Array {
    const { address, tries } = this.#settings;
    const request = readRegistersRequest(functionCode, address, start, count);
    for (let attempt = 1; ; attempt++) {
      try {
        return this.#exchange(request, functionCode, count);
      } catch (error) {
        if (!(error instanceof Sdm230Error) || error.code === 'exception' || attempt >= tries) throw error;
        this.#awaitSilence();
      }
    }
  }

  /** One request and its answer. */
  #exchange(request: Uint8Array, functionCode: number, count: number): Uint8Array {
    const { address, responseTimeoutMs } = this.#settings;
    this.#drain();
    this.#direction.write(1);
    this.#serial.write(request.buffer as ArrayBuffer);
    this.#wait(Math.ceil((request.length * this.#characterUs) / 1000)); // until the last stop bit is out
    this.#direction.write(0);
    const answer = new Uint8Array(maxAnswerBytes);
    let received = 0;
    let answerBeganMs = 0;
    // The timeout runs to the first byte; once an answer has begun, its bytes follow one
    // character time apart, so a frame that stops short is known after a 3.5-character silence.
    let deadlineMs = responseTimeoutMs;
    // A whole answer takes at least its own length on the wire: sleep through that, then poll each ms.
    const earliestMs = Math.min(this.#frameMs(3 + count * 2 + 2), responseTimeoutMs);
    this.#wait(earliestMs);
    for (let waitedMs = earliestMs; ; waitedMs++) {
      const before = received;
      received = this.#receive(answer, received);
      if (received > before) {
        if (before === 0) answerBeganMs = waitedMs;
        const expected = answerLength(answer.subarray(0, received), address, functionCode, count);
        if (expected === -1) throw new Sdm230Error('garbage', `an answer from address ${address} cannot begin ${hex(answer.subarray(0, received))}`);
        if (expected !== undefined && received >= expected) {
          const parsed = parseReadAnswer(answer.subarray(0, expected));
          if (parsed.kind === 'bad-crc') throw new Sdm230Error('bad-crc', `answer from address ${address} fails its CRC (${hex(answer.subarray(0, expected))})`);
          if (parsed.kind === 'exception') throw new Sdm230Error('exception', `address ${address} answered exception ${parsed.code} to a function ${functionCode} read of ${count} registers at 0x${hex(request.subarray(2, 4))}`);
          return parsed.data;
        }
        deadlineMs = answerBeganMs + this.#frameMs(expected ?? exceptionAnswerBytes) + this.#silenceMs();
      }
      if (waitedMs >= deadlineMs) {
        if (received === 0) throw new Sdm230Error('no-answer', `no answer from address ${address} within ${responseTimeoutMs} ms`);
        throw new Sdm230Error('garbage', `answer from address ${address} stopped after ${received} bytes (${hex(answer.subarray(0, received))})`);
      }
      this.#wait(1);
    }
  }

  /** Append what the UART holds to `into` from `at`; answers the new length. */
  #receive(into: Uint8Array, at: number): number {
    const chunk = this.#serial.read();
    if (!(chunk instanceof ArrayBuffer) || chunk.byteLength === 0) return at;
    if (at + chunk.byteLength > into.length) throw new Sdm230Error('garbage', `more than ${into.length} bytes arrived for one answer`);
    into.set(new Uint8Array(chunk), at);
    return at + chunk.byteLength;
  }

  /** Discard what a late or noisy answer left in the receive buffer. */
  #drain(): void {
    for (let chunks = 0; chunks < 64; chunks++) {
      const chunk = this.#serial.read();
      if (!(chunk instanceof ArrayBuffer) || chunk.byteLength === 0) return;
    }
    throw new Sdm230Error('garbage', 'the bus never falls silent (wedged or jabbering)');
  }

  /** After a failed exchange: wait until the bus has been quiet for t3.5, so the retry does not talk over the rest of a bad answer. */
  #awaitSilence(): void {
    const silenceMs = this.#silenceMs();
    const limitMs = this.#frameMs(maxAnswerBytes) + silenceMs;
    let quietMs = 0;
    for (let waitedMs = 0; quietMs < silenceMs; waitedMs++) {
      if (waitedMs >= limitMs) throw new Sdm230Error('garbage', 'the bus never falls silent (wedged or jabbering)');
      this.#wait(1);
      const chunk = this.#serial.read();
      quietMs = chunk instanceof ArrayBuffer && chunk.byteLength > 0 ? 0 : quietMs + 1;
    }
  }

  #frameMs(bytes: number): number {
    return Math.ceil((bytes * this.#characterUs) / 1000);
  }

  /** The inter-frame silence t3.5: 3.5 characters, at least 1.75 ms (Modbus over Serial Line §2.5.1.1). */
  #silenceMs(): number {
    return Math.ceil(Math.max(3.5 * this.#characterUs, 1750) / 1000);
  }
}

function pickSettings(options: Partial<Sdm230Settings>): Partial<Sdm230Settings> {
  const picked: Partial<Sdm230Settings> = {};
  if (options.address !== undefined) picked.address = options.address;
  if (options.responseTimeoutMs !== undefined) picked.responseTimeoutMs = options.responseTimeoutMs;
  if (options.tries !== undefined) picked.tries = options.tries;
  return picked;
}

function checkSettings(settings: Sdm230Settings): Sdm230Settings {
  const { address, responseTimeoutMs, tries } = settings;
  if (!Number.isInteger(address) || address < 1 || address > 247) throw new RangeError(`sdm230: "address" expected an integer in 1..247, got ${address}`);
  if (!Number.isInteger(responseTimeoutMs) || responseTimeoutMs < 1 || responseTimeoutMs > 5000) {
    throw new RangeError(`sdm230: "responseTimeoutMs" expected an integer in 1..5000, got ${responseTimeoutMs}`);
  }
  if (!Number.isInteger(tries) || tries < 1 || tries > 10) throw new RangeError(`sdm230: "tries" expected an integer in 1..10, got ${tries}`);
  return settings;
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += (byte < 16 ? '0' : '') + byte.toString(16);
  return text;
}

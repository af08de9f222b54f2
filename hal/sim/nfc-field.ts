// SIMULATION of the RF field between a phone (ISO 14443-4 reader: Android IsoDep / iOS
// NFCTagReaderSession) and the pile's NFC controller in ISO-DEP card emulation (the behaviour of
// e.g. an NXP PN7150 bridged over I2C). A tap activates the card (field on), carries APDUs one at
// a time, and ends with field off — normally, or at any moment when the phone moves away: the
// card then sees field off, and the reader's next transceive fails like Android's TagLostException.
// The reader enforces Android's default 261-byte transceive limit; the card must answer 2..258
// bytes (data + SW1 SW2).
import { COMMAND_APDU_MAX_BYTES } from '../../contracts-offline/apdu.ts';
import type { NfcCard, NfcCardHandler } from '../types.ts';

export class NfcTagLostError extends Error {
  override readonly name = 'NfcTagLostError';
}

export type NfcTapStats = { apdus: number; commandBytes: number; responseBytes: number };

const defaultMaxTransceiveBytes = COMMAND_APDU_MAX_BYTES;

export class NfcFieldSim implements NfcCard {
  readonly maxTransceiveBytes: number;
  #handler: NfcCardHandler | undefined;
  #tap: NfcTap | undefined;
  #taps = 0;

  constructor(options: { maxTransceiveBytes?: number } = {}) {
    const max = options.maxTransceiveBytes ?? defaultMaxTransceiveBytes;
    if (!Number.isInteger(max) || max < 5) throw new RangeError(`sim/nfc: "maxTransceiveBytes" expected an integer ≥ 5, got ${max}`);
    this.maxTransceiveBytes = max;
  }

  setHandler(handler: NfcCardHandler | undefined): void {
    this.#handler = handler;
  }

  /** The controller answers unless a tap is in progress (the service self-test must not disturb one). */
  selfTest(): string {
    if (this.#tap) throw new Error('sim/nfc: a tap is in progress; no self-test during a tap');
    return 'simulated RF field';
  }

  /** Taps begun so far. */
  get taps(): number {
    return this.#taps;
  }

  /** A phone enters the field and activates the card. Throws NfcTagLostError if no card answers. */
  tap(): NfcTap {
    if (this.#tap) throw new Error('sim/nfc: a tap is already in progress');
    const handler = this.#handler;
    if (!handler) throw new NfcTagLostError('sim/nfc: no ISO-DEP card answered in the field');
    this.#taps++;
    const tap = new NfcTap(this, handler);
    this.#tap = tap;
    handler.onFieldOn();
    return tap;
  }

  /** @internal called by NfcTap when its field goes away. */
  fieldGone(tap: NfcTap, handler: NfcCardHandler): void {
    if (this.#tap !== tap) return;
    this.#tap = undefined;
    handler.onFieldOff();
  }
}

/** The reader's side of one tap. */
export class NfcTap {
  readonly #field: NfcFieldSim;
  readonly #handler: NfcCardHandler;
  #active = true;
  #stats: NfcTapStats = { apdus: 0, commandBytes: 0, responseBytes: 0 };

  constructor(field: NfcFieldSim, handler: NfcCardHandler) {
    this.#field = field;
    this.#handler = handler;
  }

  get active(): boolean {
    return this.#active;
  }

  /** APDUs and bytes carried so far in this tap (command and response, as on air). */
  get stats(): NfcTapStats {
    return { ...this.#stats };
  }

  /** Send one command APDU, get the response APDU. */
  transceive(command: Uint8Array): Uint8Array {
    return this.#exchange(command, false);
  }

  /** The card receives and answers `command`, but the field drops before the answer arrives. */
  transceiveThenLoseField(command: Uint8Array): never {
    this.#exchange(command, true);
    throw new NfcTagLostError('sim/nfc: field lost before the response arrived');
  }

  /** The phone moves away: the card sees field off; later transceives fail. */
  loseField(): void {
    this.end();
  }

  /** The tap ends (the reader closes or the phone moves away). */
  end(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#field.fieldGone(this, this.#handler);
  }

  #exchange(command: Uint8Array, loseFieldAfter: boolean): Uint8Array {
    if (!(command instanceof Uint8Array)) throw new TypeError('sim/nfc: "command" expected a Uint8Array');
    if (!this.#active) throw new NfcTagLostError('sim/nfc: tag lost (field is off)');
    if (command.length < 4 || command.length > this.#field.maxTransceiveBytes) {
      throw new RangeError(`sim/nfc: command APDU expected 4..${this.#field.maxTransceiveBytes} bytes, got ${command.length}`);
    }
    const response = this.#handler.onApdu(command.slice());
    if (!(response instanceof Uint8Array) || response.length < 2 || response.length > 258) {
      throw new Error(`sim/nfc: card answered ${response instanceof Uint8Array ? `${response.length} bytes` : typeof response}; a response APDU is 2..258 bytes`);
    }
    this.#stats.apdus++;
    this.#stats.commandBytes += command.length;
    this.#stats.responseBytes += response.length;
    if (loseFieldAfter) this.end();
    return response.slice();
  }
}

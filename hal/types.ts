// hal/types — the hardware the pile firmware sees, and nothing else.
//
// Each interface is small enough that an ECMA-419 driver (embedded:io/*, embedded:storage/flash)
// or a host simulation (hal/sim/*) can implement it. All calls are synchronous, as ECMA-419 I/O is
// by default. Quantities are integers with their unit in the name (design §4).
//
// Error policy: a call given bad arguments throws RangeError/TypeError; a device fault (bus error,
// power failure) throws an Error from the driver. The firmware treats any throw from a device as a
// fault of that device (abnormal end), never as a reason to format or guess.

import type { Ed25519Provider } from '../contracts-offline/crypto.ts';

/** Opaque handle returned by `Clock.setTimer`. */
export type TimerId = number;

/**
 * Time source and timers (Moddable `Timer` shaped). Nothing in the firmware reads the wall clock
 * directly; the host simulation is a virtual clock that tests advance by hand.
 */
export interface Clock {
  /** Current time, integer milliseconds since 1970-01-01T00:00:00Z (UTC). */
  nowMs(): number;
  /**
   * Call `callback` once after `delayMs` (≥ 0), then every `repeatMs` if `repeatMs` > 0.
   * Callbacks never run re-entrantly inside the caller; they run from the event loop (or from
   * the virtual clock's `advance`).
   */
  setTimer(callback: () => void, delayMs: number, repeatMs?: number): TimerId;
  /** Cancel a timer; cancelling an unknown or already-fired one-shot timer does nothing. */
  clearTimer(id: TimerId): void;
  /**
   * Set the wall clock (a technician's `set clock` on the service console). Only `nowMs()` moves:
   * timers keep their delays, so a clock set back or forward neither fires nor delays them.
   */
  setNowMs(nowMs: number): void;
}

/**
 * NOR flash partition, shaped like ECMA-419 `embedded:storage/flash`.
 *
 * NOR physics the caller must respect: an erased byte reads 0xFF; `write` programs bits, which can
 * only go from 1 to 0 (the stored value becomes `old AND new`); only `eraseBlock` sets bits back
 * to 1, a whole block at a time. A power loss during `write` or `eraseBlock` may leave any subset
 * of that operation's bits changed ("torn"). Ranges outside the partition throw RangeError.
 */
export interface Flash {
  /** Partition size in bytes (a whole number of blocks). */
  readonly byteLength: number;
  /** Erase block size in bytes (4096 on ESP32 SPI NOR). */
  readonly blockLength: number;
  /** Read `byteLength` bytes starting at `byteOffset` into a new ArrayBuffer. */
  read(byteLength: number, byteOffset: number): ArrayBuffer;
  /** Program `buffer` at `byteOffset` (AND into the stored bytes). */
  write(buffer: ArrayBuffer | ArrayBufferView, byteOffset: number): void;
  /** Erase block number `block` (0 ≤ block < byteLength / blockLength) to all 0xFF. */
  eraseBlock(block: number): void;
}

/**
 * Main contactor: a relay coil output plus the contactor's auxiliary (mirror) contact as an input.
 * A welded contactor keeps conducting after `setClosed(false)`; a broken auxiliary contact reads a
 * state that does not follow the command. The firmware compares command and feedback.
 */
export interface Contactor {
  /** Energise (true) or release (false) the coil. */
  setClosed(closed: boolean): void;
  /** The auxiliary contact: true when it reports the main contacts closed. */
  readFeedbackClosed(): boolean;
}

/** `Pilot.setDutyPerMille` value for a constant +12 V (no PWM: IEC 61851-1 "X1", state A/B). */
export const PILOT_CONSTANT_PLUS_12V = 1000;
/** `Pilot.setDutyPerMille` value for a constant −12 V (IEC 61851-1 state F, EVSE not available). */
export const PILOT_CONSTANT_MINUS_12V = 0;

/**
 * IEC 61851-1 control pilot: a ±12 V, 1 kHz PWM generator behind a 1 kΩ source resistor, and an
 * ADC sampling the CP line during the high part of the waveform.
 * CP high level by vehicle state (IEC 61851-1 Table A.4): A 12 V (no vehicle), B 9 V (connected),
 * C 6 V (charging), D 3 V (charging, ventilation), E 0 V (short), F −12 V (EVSE fault output).
 */
export interface Pilot {
  /**
   * Duty cycle of the +12 V part in per-mille (integer 0..1000). 1..999 is 1 kHz PWM advertising
   * the allowed current (IEC 61851-1 Table A.8); `PILOT_CONSTANT_PLUS_12V` (1000) is a constant
   * +12 V; `PILOT_CONSTANT_MINUS_12V` (0) is a constant −12 V.
   */
  setDutyPerMille(dutyPerMille: number): void;
  /** CP voltage sampled during the high part, integer mV (about −12000 when the output is −12 V). */
  readHighMv(): number;
}

/** One reading of the energy meter. */
export interface MeterSample {
  /** Cumulative imported energy register, whole Wh. Monotonic; kept by the meter across pile reboots. */
  energyWh: number;
  /** Active power now, integer W (≥ 0). */
  powerW: number;
  /** RMS current now, integer mA (≥ 0). */
  currentMa: number;
  /** RMS voltage now, integer mV. */
  voltageMv: number;
}

/** Energy metering chip (ECMA-419 sensor shaped: `sample()` returns a fresh object). */
export interface Meter {
  sample(): MeterSample;
  /** The meter's own serial number (from the chip: e.g. SDM230 holding register 0xFC00), for service and audit. */
  readSerialNumber(): number;
}

/** Status indicator next to the text (LED colour or icon). */
export type DisplayStatus = 'idle' | 'busy' | 'charging' | 'attention' | 'fault';

/** Character display: `rows` lines of `columns` characters, plus a status indicator. */
export interface Display {
  readonly rows: number;
  readonly columns: number;
  /**
   * Replace the whole screen. `lines` has at most `rows` entries (missing rows are blank);
   * printable ASCII only; the display clips each line to `columns`.
   */
  show(lines: readonly string[], status: DisplayStatus): void;
}

/** What the firmware registers with the NFC card emulation. */
export interface NfcCardHandler {
  /** A reader activated ISO-DEP (ISO 14443-4) on our emulated card: a tap begins. */
  onFieldOn(): void;
  /** The field was lost or the reader deselected us: the tap ends (possibly mid-exchange). */
  onFieldOff(): void;
  /**
   * One command APDU in, one response APDU out (ISO 7816-4: data then SW1 SW2, ≥ 2 bytes,
   * ≤ 258 bytes). Called only between `onFieldOn` and `onFieldOff`. Must not throw: untrusted
   * input answers a status word.
   */
  onApdu(command: Uint8Array): Uint8Array;
}

/** ISO-DEP card emulation on the NFC controller (bridged to the MCU over I2C or SPI). */
export interface NfcCard {
  /** Register the handler (replacing any previous one); `undefined` stops answering. */
  setHandler(handler: NfcCardHandler | undefined): void;
  /**
   * Service self-test: ask the controller whether it answers (not during a tap). Returns a short
   * description (e.g. firmware version); throws an Error naming the fault when it does not answer.
   */
  selfTest(): string;
}

/**
 * The pile's signing key (Ed25519). The private key never leaves the key store. A secure element
 * can fail (off the bus, no key generated yet): `publicKey` and `sign` then throw.
 */
export interface KeyStore {
  /** 32-byte Ed25519 public key (RFC 8032). */
  readonly publicKey: Uint8Array;
  /** 64-byte Ed25519 signature (RFC 8032, pure EdDSA) over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /**
   * `sign`, with `work` run while the key store computes (a secure element signs in its own
   * silicon; the MCU would only poll it): the command goes out, `work` runs without touching the
   * key store's bus, then the signature is read. `work` runs exactly once, also when signing fails
   * (before or after it ran), so its outcome — kept by the caller — never depends on the key store.
   * Throws `work`'s error when it threw (the answer is read out first), else the signing error.
   */
  signWhile(message: Uint8Array, work: () => void): Uint8Array;
  /** True when the key store holds the pile's key. Throws on a device fault. */
  hasKey(): boolean;
  /**
   * Generate the pile's key pair inside the key store (once, at provisioning) and answer its
   * public key. Throws when a key is already there (a key is never replaced) or on a device fault.
   */
  createKey(): Uint8Array;
}

/**
 * The board's service port (USB-CDC, or the USB-UART bridge): raw bytes both ways, no framing
 * (the service console frames them). ECMA-419 `embedded:io/serial` on a device, a tty on the host.
 */
export interface ServicePort {
  /** Register the receiver of arriving bytes (replacing any previous one); `undefined` stops receiving. Called from the event loop. */
  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void;
  /** Send `bytes` (the port queues them). Throws on a device fault. */
  write(bytes: Uint8Array): void;
}

/** Cryptographically secure random source (hardware RNG on the device). */
export interface Random {
  /** Overwrite every byte of `bytes` with random bytes. */
  fill(bytes: Uint8Array): void;
}

/** Everything a pile board provides to the firmware. */
export interface PileHal {
  clock: Clock;
  flash: Flash;
  contactor: Contactor;
  pilot: Pilot;
  meter: Meter;
  display: Display;
  nfc: NfcCard;
  keyStore: KeyStore;
  random: Random;
  /** The board's Ed25519 for checking relay and user signatures (native code on a device); noble when absent. */
  crypto?: Ed25519Provider;
  /** The service console's port; absent on a board without one (no console runs). */
  servicePort?: ServicePort;
  /** The uplink to the OCPP central system; absent on a board without an uplink module (offline only). */
  uplink?: UplinkSocket;
}

/**
 * What an `UplinkSocket` tells the firmware about its connection. Called from the event loop,
 * never from inside a call the firmware makes to the socket.
 */
export interface UplinkEvents {
  /** The WebSocket handshake completed and the server selected the subprotocol `ocpp1.6`. */
  onOpen(): void;
  /** One whole text message (fragments joined), as received. Binary messages are not delivered. */
  onMessage(text: string): void;
  /**
   * The connection failed to open, was refused, broke or was closed by the server; `reason` says
   * which, for the event log. Exactly one `onClose` ends each `open`, unless the firmware called
   * `close()` first; no event of that connection follows it.
   */
  onClose(reason: string): void;
}

/**
 * The pile's uplink to the OCPP central system: one WebSocket client connection at a time (RFC
 * 6455), text messages both ways. The `ws` package on the host; the ECMA-419 WebSocket client
 * (`embedded:network/websocket/client`) on a device, whose adapter joins fragments and decodes
 * UTF-8. Transport errors never throw from `send`: they end the connection with `onClose`.
 */
export interface UplinkSocket {
  /**
   * Open a connection to `url` (`ws://` or `wss://`; OCPP-J puts the charge point's identity as
   * the last path segment), offering exactly one subprotocol, `ocpp1.6`. A server that does not
   * select `ocpp1.6` is refused: `onClose`, never `onOpen`. Throws when `url` is not a `ws://` or
   * `wss://` URL, or when a connection is already open or opening (call `close()` first).
   */
  open(url: string, events: UplinkEvents): void;
  /**
   * Queue one text message on the open connection, in order. True: handed to the transport (not
   * a delivery receipt). False: no connection is open (before `onOpen`, after `onClose` or
   * `close()`); nothing is sent.
   */
  send(text: string): boolean;
  /** End the connection, if any. No event of it is delivered afterwards. Safe to call when closed. */
  close(): void;
}

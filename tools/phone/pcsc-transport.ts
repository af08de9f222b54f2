// The phone SDK's IsoDep transport over a PC/SC reader (pcsc-lite): the phone taps a contactless
// card in a reader on this machine — a pile's NFC controller held to a USB reader, or the host
// pile in pcscd's virtual reader (`tapcharge pile serve --vpcd`). One PcscTap is one tap: the
// first APDU waits for the card and connects to it (pcscd powers it: field on), `end()`
// disconnects with SCARD_UNPOWER_CARD (field off). A failed or silent exchange rejects with
// PileLinkError, as a lost tag does on a phone.
//
// The native binding comes from the caller: the CLI and the tests load the optional npm package
// `pcsclite` (built against libpcsclite-dev); this file names only the part of its API it uses,
// so the SDK's folder depends on no native package. libpcsclite finds pcscd at
// /run/pcscd/pcscd.comm, or where PCSCLITE_CSOCK_NAME says.
import { PileLinkError } from './errors.ts';
import type { IsoDepTransport } from './pile-reader.ts';

/** A reader as the `pcsclite` binding exposes it (its index.d.ts, the calls used here). */
export interface PcscReader {
  readonly name: string;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_UNPOWER_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Uint8Array }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(options: { share_mode?: number; protocol?: number }, callback: (error: Error | null | undefined, protocol: number) => void): void;
  transmit(data: Buffer, responseMaxBytes: number, protocol: number, callback: (error: Error | null | undefined, response: Buffer) => void): void;
  disconnect(disposition: number, callback: (error: Error | null | undefined) => void): void;
  close(): void;
}

/** A PC/SC context: announces each reader, closes every thread it started. */
export interface PcscContext {
  on(event: 'reader', listener: (reader: PcscReader) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

/** The `pcsclite` package's default export. */
export type PcscBinding = () => PcscContext;

export type PcscTapOptions = {
  /** The reader's exact PC/SC name (e.g. "Virtual PCD 00 00"); default: the first reader holding a card. */
  readerName?: string;
  /** For a card to be there, and for each answer. Default 5 s. */
  timeoutMs?: number;
};

/** A response APDU is at most 256 data bytes + SW1 SW2. */
const RESPONSE_MAX_BYTES = 258;
const defaultTimeoutMs = 5000;

type Connection = { reader: PcscReader; protocol: number };

export class PcscTap implements IsoDepTransport {
  readonly #binding: PcscBinding;
  readonly #readerName: string | undefined;
  readonly #timeoutMs: number;
  readonly #readers: PcscReader[] = [];
  #context: PcscContext | undefined;
  #connection: Promise<Connection> | undefined;
  #broken: string | undefined;
  #ended = false;

  constructor(binding: PcscBinding, options: PcscTapOptions = {}) {
    if (typeof binding !== 'function') throw new TypeError('pcsc-transport: "binding" expected the pcsclite function');
    this.#binding = binding;
    this.#readerName = options.readerName || undefined;
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new RangeError(`pcsc-transport: "timeoutMs" expected a positive integer, got ${this.#timeoutMs}`);
  }

  async transceive(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#ended) throw new PileLinkError('tap ended (field is off)');
    if (this.#broken) throw new PileLinkError(`PC/SC link lost: ${this.#broken}`);
    this.#connection ??= this.#connect();
    const { reader, protocol } = await this.#connection;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#broken = `no answer within ${this.#timeoutMs} ms`;
        reject(new PileLinkError(`PC/SC reader "${reader.name}": ${this.#broken}`));
      }, this.#timeoutMs);
      reader.transmit(Buffer.from(apdu), RESPONSE_MAX_BYTES, protocol, (error, response) => {
        clearTimeout(timer);
        if (this.#broken) return; // answered after the timeout: the tap is already lost
        if (error) {
          this.#broken = error.message;
          return reject(new PileLinkError(`PC/SC reader "${reader.name}": ${error.message}`));
        }
        resolve(new Uint8Array(response));
      });
    });
  }

  /** Field off (the card is unpowered), then every reader and the context closed. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const connection = await this.#connection?.catch(() => undefined);
    if (connection) await new Promise<void>((resolve) => connection.reader.disconnect(connection.reader.SCARD_UNPOWER_CARD, () => resolve()));
    for (const reader of this.#readers) reader.close();
    this.#context?.close();
  }

  // Waits for the named reader (or any) to hold a card, then connects: pcscd powers the card.
  #connect(): Promise<Connection> {
    const context = this.#binding();
    this.#context = context;
    const wanted = this.#readerName;
    return new Promise((resolve, reject) => {
      let chosen: PcscReader | undefined;
      let settled = false;
      const settle = (outcome: Connection | PileLinkError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof PileLinkError) {
          this.#broken = outcome.message;
          reject(outcome);
        } else {
          resolve(outcome);
        }
      };
      const timer = setTimeout(() => {
        const seen = this.#readers.map((r) => `"${r.name}"`).join(', ') || 'none';
        settle(new PileLinkError(`PC/SC: ${wanted ? `no card in reader "${wanted}"` : 'no reader holds a card'} within ${this.#timeoutMs} ms (readers: ${seen})`));
      }, this.#timeoutMs);
      // pcscd's own errors (and the "cancelled" the binding reports while closing) end the wait at most.
      context.on('error', (error) => settle(new PileLinkError(`PC/SC: ${error.message}`)));
      context.on('reader', (reader) => {
        this.#readers.push(reader);
        reader.on('error', (error) => {
          if (reader === chosen) settle(new PileLinkError(`PC/SC reader "${reader.name}": ${error.message}`));
        });
        if (wanted !== undefined && reader.name !== wanted) return;
        reader.on('status', (status) => {
          if (chosen || this.#ended || !(status.state & reader.SCARD_STATE_PRESENT)) return;
          chosen = reader;
          reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, (error, protocol) => {
            settle(error ? new PileLinkError(`PC/SC reader "${reader.name}": cannot connect to the card: ${error.message}`) : { reader, protocol });
          });
        });
      });
    });
  }
}

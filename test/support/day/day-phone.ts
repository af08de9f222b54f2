// A driver's phone in the scripted day: each tap is one contact with the simulated NFC field,
// spoken through the phone SDK's PileReader, logged with what went on air (NfcTap stats). The
// phone carries the relay's pending Ack into the pile and the pile's outbox records to the relay.
// When the board loses power during a tap, the card goes silent: the phone sees the tag lost.
import type { KeyPair } from '../../../contracts-offline/keys.ts';
import type { PileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeStopRequest } from '../../../contracts-offline/messages/stop-request.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { NfcTagLostError } from '../../../hal/sim/nfc-field.ts';
import type { SimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import { type OutboxPage, PileReader } from '../../../tools/phone/pile-reader.ts';
import { type PileCommandName } from '../../../tools/phone/errors.ts';
import { simulatedTapTransport } from '../../../tools/phone/sim-field-transport.ts';
import { pileId, pileKey } from '../pile-rig.ts';
import type { TestRelay } from './test-relay.ts';

export type TapLog = {
  phone: string;
  purpose: string;
  /** Commands sent in this tap, in order (GET RESPONSE not listed: it is part of its command). */
  commands: PileCommandName[];
  apdus: number;
  commandBytes: number;
  responseBytes: number;
  /** Records the OUTBOX commands of this tap brought. */
  outboxRecords: number;
  /** Set when the tap ended with an error (the pile refused, or the board lost power). */
  error?: string;
};

export type PhoneContext = { sim: SimulatedPile; relay: TestRelay; nowS(): number; verifyPileSignatures: boolean; crypto: Ed25519Provider | undefined };

/** One tap in progress: the reader's commands, named in the tap's log. */
export class PhoneTap {
  readonly reader: PileReader;
  readonly log: TapLog;
  readonly #phone: DayPhone;
  readonly #context: PhoneContext;

  constructor(phone: DayPhone, context: PhoneContext, reader: PileReader, log: TapLog) {
    this.#phone = phone;
    this.#context = context;
    this.reader = reader;
    this.log = log;
  }

  async select(): Promise<PileHello> {
    this.log.commands.push('SELECT');
    const hello = await this.reader.select();
    if (this.#context.verifyPileSignatures) this.reader.trustPileKey(pileKey.publicKey); // the relay's answer for hello.pileId
    return hello;
  }

  /** ACK with the relay's pending Ack, if it has one. */
  async carryAck(): Promise<void> {
    const { relay } = this.#context;
    const ack = relay.pendingAck(this.#context.nowS());
    if (!ack) return;
    this.log.commands.push('ACK');
    await this.reader.ack(ack.signed);
    relay.confirm(ack.seqs);
  }

  /** One OUTBOX page after what the relay already holds; the records go to the relay. */
  async collectPage(): Promise<OutboxPage> {
    const { relay } = this.#context;
    this.log.commands.push('OUTBOX');
    const page = await this.reader.outbox(relay.contiguousSeq());
    this.log.outboxRecords += page.records.length;
    relay.receive(page.records, this.#phone.name, 'OUTBOX');
    return page;
  }

  track(command: PileCommandName): void {
    this.log.commands.push(command);
  }

  /** The user's own StopRequest for `contractSeq`, signed on the phone over this tap's pile nonce. */
  userStop(pileNonce: Uint8Array, contractSeq: number): Uint8Array {
    const request = encodeStopRequest({ pileId, contractSeq, pileNonce, atS: this.#context.nowS() });
    const crypto = this.#context.crypto;
    return signMessage(request, this.#phone.user.secretKey, { kid: this.#phone.user.kid, ...(crypto ? { crypto } : {}) });
  }
}

export class DayPhone {
  readonly name: string;
  readonly user: KeyPair;
  readonly #context: PhoneContext;
  readonly #taps: TapLog[];
  #nonces = 0;

  /** `taps`: the day's log every tap of every phone goes to. */
  constructor(name: string, user: KeyPair, context: PhoneContext, taps: TapLog[]) {
    this.name = name;
    this.user = user;
    this.#context = context;
    this.#taps = taps;
  }

  userHello() {
    this.#nonces++;
    const phoneNonce = new Uint8Array(12).fill(this.user.kid[0]!);
    phoneNonce[10] = this.#nonces >> 8;
    phoneNonce[11] = this.#nonces & 0xff;
    return { userKid: this.user.kid, displayName: this.name, phoneNonce };
  }

  /** One tap: the field comes up, `exchange` talks to the pile, the phone moves away. */
  async tap<T>(purpose: string, exchange: (tap: PhoneTap) => Promise<T>): Promise<T> {
    const { sim } = this.#context;
    const field = sim.nfc.tap();
    const inner = simulatedTapTransport(field);
    const transport = {
      async transceive(apdu: Uint8Array): Promise<Uint8Array> {
        const response = await inner.transceive(apdu);
        if (!sim.flash.powered) {
          field.end();
          throw new NfcTagLostError('day: the pile lost power during the command');
        }
        return response;
      },
    };
    const log: TapLog = { phone: this.name, purpose, commands: [], apdus: 0, commandBytes: 0, responseBytes: 0, outboxRecords: 0 };
    try {
      return await exchange(new PhoneTap(this, this.#context, new PileReader(transport), log));
    } catch (error) {
      log.error = (error as Error).message;
      throw error;
    } finally {
      Object.assign(log, field.stats);
      this.#taps.push(log);
      field.end();
    }
  }
}

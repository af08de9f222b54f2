// The phone's side of the pile's NFC application (firmware/nfc/README.md): the reader sends the
// commands over an ISO-DEP transport (Android IsoDep.transceive, iOS NFCISO7816Tag, or the
// simulated field), chains long commands, fetches long answers with GET RESPONSE, and turns
// every status word other than 9000 into a PileRefusedError (for START naming the condition that
// refused it, as the pile's display does).
//
// Pile-signed answers (PileInfo, Contract, Receipt, outbox records) are decoded and checked against
// what was asked (pile id, phone nonce, voucher, contract); their signatures are verified only
// once the phone knows the pile's public key (`trustPileKey`) — the relay verifies them anyway.
import {
  CLA_PROPRIETARY, COMMAND_APDU_MAX_BYTES, INS, SW, chainCommand, encodeOutboxRequest, encodeStopData, getResponseCommand,
  parseAckAnswer, parseOutboxAnswer, parseResponseApdu, selectCommand,
} from '../../contracts-offline/apdu.ts';
import { concatBytes, equalBytes } from '../../contracts-offline/bytes.ts';
import { type BillingRecord, openBillingRecord, readBillingRecord } from '../../contracts-offline/billing-record.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { type PileHello, decodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import type { PileInfo } from '../../contracts-offline/messages/pile-info.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import type { MessageMap, MessageName } from '../../contracts-offline/messages/registry.ts';
import type { StopRequest } from '../../contracts-offline/messages/stop-request.ts';
import { type UserHello, encodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { openSigned, readSigned } from '../../contracts-offline/signed.ts';
import { contractVoucherDifferences } from '../../contracts-offline/voucher-match.ts';
import { ApduTooLongError, type PileCommandName, PileAnswerError, PileRefusedError, startRefusalOf } from './errors.ts';


/** An ISO-DEP link to the card: one command APDU in, its response APDU out (rejects on tag loss). */
export type IsoDepTransport = { transceive(apdu: Uint8Array): Promise<Uint8Array> };

/** A pile-signed record as received: the COSE_Sign1 bytes and its decoded payload. */
export type SignedRecord<T> = { signed: Uint8Array; message: T };

/** A billing record from the pile's outbox, with its signed bytes. */
export type OutboxRecord = BillingRecord & { signed: Uint8Array };

export type OutboxPage = { records: OutboxRecord[]; remaining: number };

export { COMMAND_APDU_MAX_BYTES };

/** Throws ApduTooLongError for a command APDU the ISO-DEP link may not carry (every APDU the reader sends passes here). */
export function expectShortCommandApdu(apdu: Uint8Array): void {
  if (apdu.length > COMMAND_APDU_MAX_BYTES) throw new ApduTooLongError(apdu.length, COMMAND_APDU_MAX_BYTES);
}

/** A long answer is at most this long (the largest, OUTBOX with 4 records, is under 800 bytes). */
const ANSWER_MAX_BYTES = 4096;
/** `allOutbox` stops after this many OUTBOX commands (a pile holds a few hundred records at most). */
const OUTBOX_MAX_COMMANDS = 256;

type PileSigned = 'PileInfo' | 'Contract' | 'Receipt';

export class PileReader {
  readonly #transport: IsoDepTransport;
  #hello: PileHello | undefined;
  #pilePublicKey: Uint8Array | undefined;

  constructor(transport: IsoDepTransport) {
    if (!transport || typeof transport.transceive !== 'function') throw new TypeError('pile-reader: "transport" expected an object with transceive()');
    this.#transport = transport;
  }

  /** The PileHello of the last SELECT. */
  get pileHello(): PileHello | undefined {
    return this.#hello;
  }

  /** From now on, verify every pile-signed answer with this key (e.g. looked up at the relay by pile id). */
  trustPileKey(publicKey: Uint8Array): void {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new RangeError(`pile-reader: "publicKey" expected 32 bytes, got ${publicKey instanceof Uint8Array ? publicKey.length : typeof publicKey}`);
    this.#pilePublicKey = publicKey.slice();
  }

  /** SELECT the tapcharge application: the pile's id, versions, state, outbox count and a fresh nonce. */
  async select(): Promise<PileHello> {
    const data = await this.#finish('SELECT', await this.#transceive(selectCommand()));
    const hello = decodePileHello(data);
    if (!hello.ok) throw new PileAnswerError('SELECT', hello.reason);
    this.#hello = hello.value;
    return hello.value;
  }

  /** HELLO (tap 1): introduce the user; the pile answers its PileInfo signed over `userHello.phoneNonce`. */
  async hello(userHello: UserHello): Promise<SignedRecord<PileInfo>> {
    const signed = await this.#command('HELLO', INS.hello, encodeUserHello(userHello));
    const info = this.#openPileSigned('HELLO', signed, 'PileInfo');
    if (!equalBytes(info.message.phoneNonce, userHello.phoneNonce)) throw new PileAnswerError('HELLO', 'PileInfo does not cover our phone nonce');
    return info;
  }

  /** UPDATE: write a relay-signed PileUpdate. */
  async update(signedUpdate: Uint8Array): Promise<void> {
    const data = await this.#command('UPDATE', INS.update, signedUpdate);
    if (data.length !== 0) throw new PileAnswerError('UPDATE', `expected no data, got ${data.length} bytes`);
  }

  /**
   * START (tap 2): hand over the relay-signed voucher; the pile answers the Contract it journaled.
   * A refusal names its condition (`startRefusal`), read with the state of this tap's SELECT.
   */
  async start(signedAuthorization: Uint8Array): Promise<SignedRecord<Contract>> {
    const voucher = payloadOf(signedAuthorization, 'Authorization', 'signedAuthorization');
    let answer: Uint8Array;
    try {
      answer = await this.#command('START', INS.start, signedAuthorization);
    } catch (error) {
      if (!(error instanceof PileRefusedError)) throw error;
      throw new PileRefusedError('START', error.sw, { refusal: startRefusalOf(error.sw, this.#hello?.state) });
    }
    const contract = this.#openPileSigned('START', answer, 'Contract');
    const differs = contractVoucherDifferences(contract.message, voucher);
    if (differs.length > 0) throw new PileAnswerError('START', `Contract differs from the voucher in ${differs.join(', ')}`);
    return contract;
  }

  /** STOP: a StopRequest signed by the user (pass the user's public key) or by the relay (no key). */
  async stop(signedStopRequest: Uint8Array, userPublicKey?: Uint8Array): Promise<SignedRecord<Receipt>> {
    const request = payloadOf(signedStopRequest, 'StopRequest', 'signedStopRequest');
    const data = encodeStopData({ signedStopRequest, userPublicKey });
    const receipt = this.#openPileSigned('STOP', await this.#command('STOP', INS.stop, data), 'Receipt');
    checkReceiptMatches(receipt.message, request);
    return receipt;
  }

  /** OUTBOX: up to 4 unacknowledged contracts/receipts with seq > `afterSeq`, oldest first. */
  async outbox(afterSeq = 0): Promise<OutboxPage> {
    const parsed = parseOutboxAnswer(await this.#command('OUTBOX', INS.outbox, encodeOutboxRequest(afterSeq)));
    if (!parsed.ok) throw new PileAnswerError('OUTBOX', parsed.reason);
    const records = parsed.value.records.map((signed) => this.#outboxRecord(signed));
    let previousSeq = afterSeq;
    for (const record of records) {
      if (record.seq <= previousSeq) throw new PileAnswerError('OUTBOX', `record seq ${record.seq} is not after ${previousSeq}`);
      previousSeq = record.seq;
    }
    if (records.length === 0 && parsed.value.remaining > 0) throw new PileAnswerError('OUTBOX', `no records but ${parsed.value.remaining} remaining`);
    return { records, remaining: parsed.value.remaining };
  }

  /** Every unacknowledged record after `afterSeq`, by repeated OUTBOX commands. */
  async allOutbox(afterSeq = 0): Promise<OutboxRecord[]> {
    const all: OutboxRecord[] = [];
    let after = afterSeq;
    for (let commands = 0; commands < OUTBOX_MAX_COMMANDS; commands++) {
      const page = await this.outbox(after);
      all.push(...page.records);
      if (page.remaining === 0) return all;
      after = page.records[page.records.length - 1]!.seq;
    }
    throw new PileAnswerError('OUTBOX', `still records remaining after ${OUTBOX_MAX_COMMANDS} commands`);
  }

  /** ACK: a relay-signed Ack; answers how many records the pile still holds unacknowledged. */
  async ack(signedAck: Uint8Array): Promise<number> {
    const count = parseAckAnswer(await this.#command('ACK', INS.ack, signedAck));
    if (!count.ok) throw new PileAnswerError('ACK', count.reason);
    return count.value;
  }

  async #transceive(apdu: Uint8Array): Promise<Uint8Array> {
    expectShortCommandApdu(apdu);
    return this.#transport.transceive(apdu);
  }

  // One proprietary command: chained when over 255 bytes, then its answer with GET RESPONSE.
  async #command(name: PileCommandName, ins: number, data: Uint8Array): Promise<Uint8Array> {
    const parts = chainCommand(CLA_PROPRIETARY, ins, 0, 0, data);
    for (let i = 0; i < parts.length - 1; i++) {
      const response = this.#parse(name, await this.#transceive(parts[i]!));
      if (response.sw !== SW.ok) throw new PileRefusedError(name, response.sw);
      if (response.data.length !== 0) throw new PileAnswerError(name, 'a chained part was answered with data');
    }
    return this.#finish(name, await this.#transceive(parts[parts.length - 1]!));
  }

  // The data of an answer, fetching the rest with GET RESPONSE while the card says 61xx.
  async #finish(name: PileCommandName, first: Uint8Array): Promise<Uint8Array> {
    let response = this.#parse(name, first);
    const chunks: Uint8Array[] = [response.data];
    let byteLength = response.data.length;
    while (response.sw >> 8 === SW.moreDataBase >> 8) {
      const le = response.sw & 0xff || 256;
      response = this.#parse(name, await this.#transceive(getResponseCommand(le)));
      chunks.push(response.data);
      byteLength += response.data.length;
      if (byteLength > ANSWER_MAX_BYTES) throw new PileAnswerError(name, `answer longer than ${ANSWER_MAX_BYTES} bytes`);
      if (response.data.length === 0 && response.sw >> 8 === SW.moreDataBase >> 8) throw new PileAnswerError(name, 'GET RESPONSE brought no data');
    }
    if (response.sw !== SW.ok) throw new PileRefusedError(name, response.sw);
    return concatBytes(...chunks);
  }

  #parse(name: PileCommandName, bytes: Uint8Array): { data: Uint8Array; sw: number } {
    const parsed = parseResponseApdu(bytes);
    if (!parsed.ok) throw new PileAnswerError(name, parsed.reason);
    if (parsed.value.sw !== SW.ok && parsed.value.sw >> 8 !== SW.moreDataBase >> 8 && parsed.value.data.length > 0) {
      throw new PileAnswerError(name, 'a refusal came with data');
    }
    return parsed.value;
  }

  #openPileSigned<N extends PileSigned>(name: PileCommandName, signed: Uint8Array, type: N): SignedRecord<MessageMap[N]> {
    const opened = this.#pilePublicKey ? openSigned(signed, { publicKey: this.#pilePublicKey, expectType: type }) : readSigned(signed, type);
    if (!opened.ok) throw new PileAnswerError(name, opened.reason);
    const message = opened.value.message;
    if (this.#hello && !equalBytes(message.pileId, this.#hello.pileId)) throw new PileAnswerError(name, `${type} names another pile than the one selected`);
    return { signed: signed.slice(), message };
  }

  #outboxRecord(signed: Uint8Array): OutboxRecord {
    const record = this.#pilePublicKey ? openBillingRecord(signed, { publicKey: this.#pilePublicKey }) : readBillingRecord(signed);
    if (!record.ok) throw new PileAnswerError('OUTBOX', record.reason);
    if (this.#hello && !equalBytes(record.value.pileId, this.#hello.pileId)) throw new PileAnswerError('OUTBOX', 'a record names another pile than the one selected');
    const { kind, pileId, seq, message } = record.value;
    return { kind, pileId, seq, message, signed: signed.slice() } as OutboxRecord;
  }
}

// Own input: the caller passes bytes it holds as a signed message of that type (from the relay).
function payloadOf<N extends MessageName>(signed: Uint8Array, type: N, name: string): MessageMap[N] {
  if (!(signed instanceof Uint8Array)) throw new TypeError(`pile-reader: "${name}" expected a Uint8Array`);
  const read = readSigned(signed, type);
  if (!read.ok) throw new TypeError(`pile-reader: "${name}" is not a signed ${type} (${read.reason})`);
  return read.value.message;
}

function checkReceiptMatches(receipt: Receipt, request: StopRequest): void {
  if (receipt.contractSeq !== request.contractSeq) throw new PileAnswerError('STOP', `Receipt is for contract ${receipt.contractSeq}, not ${request.contractSeq}`);
  if (!equalBytes(receipt.pileId, request.pileId)) throw new PileAnswerError('STOP', 'Receipt is from another pile than the request names');
}

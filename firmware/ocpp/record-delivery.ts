// The pile's billing records over its uplink (README.md "Billing records"). The queue is the
// journal's outbox — the signed Contracts and Receipts not yet acknowledged, in billing-seq order
// — so nothing is copied and a reboot loses nothing. One record at a time, the oldest first, only
// while the client is ready:
//   DataTransfer BillingRecord → Accepted + Ack → StartTransaction (a Contract) or
//   StopTransaction (a Receipt) → answered → the Ack applied through the NFC `ack` command (it
//   verifies the relay's signature: a forged Ack marks nothing).
// Any failure on the way (Rejected, a CALLERROR, a malformed answer, a timeout, the connection
// lost, an Ack refused or not covering the record) waits `retryMinMs`, doubling up to
// `retryMaxMs`, then starts that record again from its DataTransfer — never a later one first. A
// record a phone delivered meanwhile has left the outbox and is not sent.
import { readSigned } from '../../contracts-offline/signed.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import { SW } from '../../contracts-offline/apdu.ts';
import type { Clock, TimerId } from '../../hal/types.ts';
import type { EventSink } from '../events/event-log.ts';
import { ack } from '../nfc/ack.ts';
import type { TapContext } from '../nfc/answer.ts';
import { parseBillingRecordConf, billingRecordRequest } from './billing-record-transfer.ts';
import { DATA_TRANSFER } from './data-transfer.ts';
import type { OcppClient } from './ocpp-client.ts';
import type { CallOutcome } from './rpc.ts';
import { START_TRANSACTION, parseStartTransactionConf, startTransactionRequest } from './start-transaction.ts';
import { STOP_TRANSACTION, parseStopTransactionConf, stopTransactionRequest } from './stop-transaction.ts';

export type RecordDeliverySettings = { retryMinMs: number; retryMaxMs: number };

type BillingRecord = { kind: 'Contract'; contract: Contract } | { kind: 'Receipt'; receipt: Receipt };

export class RecordDelivery {
  readonly #client: OcppClient;
  readonly #clock: Clock;
  readonly #context: TapContext;
  readonly #report: EventSink;
  readonly #settings: RecordDeliverySettings;
  /** contractSeq → the transaction id StartTransaction.conf gave it (RAM: after a reboot the contract seq stands in). */
  readonly #transactionIds = new Map<number, number>();
  /** A record's messages are on the wire. */
  #busy = false;
  #retryTimer: TimerId | undefined;
  #failures = 0;

  constructor(client: OcppClient, clock: Clock, context: TapContext, report: EventSink, settings: RecordDeliverySettings) {
    this.#client = client;
    this.#clock = clock;
    this.#context = context;
    this.#report = report;
    this.#settings = settings;
    client.onReady(() => this.poll());
  }

  /** The transaction id of contract `contractSeq`, when its StartTransaction was answered since boot. */
  startedTransactionId(contractSeq: number): number | undefined {
    return this.#transactionIds.get(contractSeq);
  }

  /** Send the oldest unacknowledged record, unless one is on the wire or waiting for its retry. */
  poll(): void {
    if (this.#busy || this.#retryTimer !== undefined || !this.#client.ready) return;
    const head = this.#context.services.outbox(0, 1).records[0];
    if (!head) return;
    const record = billingRecordOf(head.bytes);
    if (!record) return this.#failed(`outbox record ${head.seq} is not a signed Contract or Receipt`);
    this.#busy = this.#client.call(DATA_TRANSFER, billingRecordRequest(head.bytes), (outcome) => this.#recordAnswered(head.seq, record, outcome));
  }

  /** Drop the retry timer (the uplink is stopping). */
  stop(): void {
    if (this.#retryTimer !== undefined) this.#clock.clearTimer(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #recordAnswered(seq: number, record: BillingRecord, outcome: CallOutcome): void {
    const answer = outcome.ok ? parseBillingRecordConf(outcome.value) : outcome;
    if (!answer.ok) return this.#failed(`BillingRecord ${seq} ${answer.code}: ${answer.reason}`);
    if (answer.value.status !== 'Accepted') {
      const { status, why } = answer.value;
      return this.#failed(`BillingRecord ${seq} ${status}${why === undefined ? '' : ` ${why}`}`);
    }
    const { ackBytes } = answer.value;
    const sent = record.kind === 'Contract'
      ? this.#client.call(START_TRANSACTION, startTransactionRequest(record.contract), (reply) => {
        const conf = reply.ok ? parseStartTransactionConf(reply.value) : reply;
        if (!conf.ok) return this.#failed(`StartTransaction ${seq} ${conf.code}: ${conf.reason}`);
        this.#transactionIds.set(record.contract.seq, conf.value.transactionId);
        this.#applyAck(seq, ackBytes);
      })
      : this.#client.call(STOP_TRANSACTION, stopTransactionRequest(record.receipt, this.#transactionIdOf(record.receipt.contractSeq)), (reply) => {
        const conf = reply.ok ? parseStopTransactionConf(reply.value) : reply;
        if (!conf.ok) return this.#failed(`StopTransaction ${seq} ${conf.code}: ${conf.reason}`);
        this.#transactionIds.delete(record.receipt.contractSeq);
        this.#applyAck(seq, ackBytes);
      });
    if (!sent) this.#failed(`uplink lost before the transaction message of record ${seq}`);
  }

  #transactionIdOf(contractSeq: number): number {
    return this.#transactionIds.get(contractSeq) ?? contractSeq;
  }

  #applyAck(seq: number, ackBytes: Uint8Array): void {
    const answer = ack(this.#context, ackBytes);
    if (answer.sw !== SW.ok) return this.#failed(`Ack of record ${seq} refused (${answer.sw.toString(16)})`);
    if (this.#context.services.outbox(seq - 1, 1).records[0]?.seq === seq) return this.#failed(`Ack does not cover record ${seq}`);
    this.#busy = false;
    this.#failures = 0;
    this.poll();
  }

  #failed(why: string): void {
    this.#busy = false;
    const delayMs = Math.min(this.#settings.retryMinMs * 2 ** Math.min(this.#failures, 20), this.#settings.retryMaxMs);
    this.#failures++;
    this.#report('warning', `${why}; again in ${Math.round(delayMs / 1000)} s`);
    this.#retryTimer = this.#clock.setTimer(() => {
      this.#retryTimer = undefined;
      this.poll();
    }, delayMs);
  }
}

/** The outbox holds the pile's own signed records: read, not re-verified (the journal's CRC guards them). */
function billingRecordOf(bytes: Uint8Array): BillingRecord | undefined {
  const read = readSigned(bytes);
  if (!read.ok) return undefined;
  if (read.value.name === 'Contract') return { kind: 'Contract', contract: read.value.message as Contract };
  if (read.value.name === 'Receipt') return { kind: 'Receipt', receipt: read.value.message as Receipt };
  return undefined;
}

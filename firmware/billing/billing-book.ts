// The pile's billing sequence over the journal. Contracts and receipts are numbered 1, 2, 3 … with
// no holes (Contract.seq, Receipt.seq, Ack ranges): the relay finds a record not carried yet as a
// hole. The journal numbers every record (checkpoints, config…), so this keeps the RAM index
// billing seq → journal seq, rebuilt at boot from the live records and the billing floor record.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import { type Malformed, type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { Journal, JournalErrorCode, JournalResult } from '../journal/journal.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { decodeContractRecord } from '../records/contract-record.ts';
import { decodeReceiptRecord } from '../records/receipt-record.ts';
import { decodeBillingFloor, encodeBillingFloor } from '../records/billing-floor-record.ts';

export type BillingRecord = { seq: number; journalSeq: number; kind: 'contract' | 'receipt' };

/** What the pile remembers of a contract while it is live (or ended since boot). */
export type ContractEntry = {
  seq: number;
  journalSeq: number;
  userKid: Uint8Array;
  open: boolean;
  /** Billing seq of its receipt, while the journal holds it. */
  receiptSeq: number | undefined;
  /** Its receipt is durable (the receipt itself may be acknowledged and gone). */
  settled: boolean;
};

export class BillingBook {
  readonly #journal: Journal;
  readonly #records = new Map<number, BillingRecord>();
  readonly #contracts = new Map<number, ContractEntry>();
  readonly #receipts = new Map<number, Receipt>();
  #nextSeq = 1;
  #floor = 1;

  private constructor(journal: Journal) {
    this.#journal = journal;
  }

  /** Index the live billing records of a mounted journal; numbering starts at `firstBillingSeq` (the provisioning record's). */
  static load(journal: Journal, firstBillingSeq: number): Result<BillingBook, JournalErrorCode | Malformed> {
    const book = new BillingBook(journal);
    book.#floor = firstBillingSeq;
    const floorRecord = journal.latest(RecordKind.billingFloor);
    if (floorRecord) {
      const floor = book.#readWith(floorRecord.seq, decodeBillingFloor);
      if (!floor.ok) return floor;
      book.#floor = Math.max(book.#floor, floor.value);
    }
    for (const record of journal.records()) {
      if (record.kind === RecordKind.contract) {
        const contract = book.#readWith(record.seq, decodeContractRecord);
        if (!contract.ok) return contract;
        book.#noteContract(contract.value, record.seq).settled = record.settled;
      } else if (record.kind === RecordKind.receipt) {
        const receipt = book.#readWith(record.seq, decodeReceiptRecord);
        if (!receipt.ok) return receipt;
        book.#noteReceipt(receipt.value, record.seq);
      }
    }
    for (const receipt of book.#receipts.values()) {
      const contract = book.#contracts.get(receipt.contractSeq);
      if (contract) contract.receiptSeq = receipt.seq;
    }
    book.#nextSeq = Math.max(book.#nextSeq, book.#floor);
    return ok(book);
  }

  /** The seq the next contract or receipt gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  contract(seq: number): ContractEntry | undefined {
    return this.#contracts.get(seq);
  }

  /** Contracts never given a receipt, oldest first (after a power loss: the one that was running). */
  contractsWithoutReceipt(): ContractEntry[] {
    return [...this.#contracts.values()].filter((c) => c.receiptSeq === undefined && !c.settled).sort((a, b) => a.seq - b.seq);
  }

  /** A receipt the journal still holds (or written since boot). */
  receipt(seq: number): Receipt | undefined {
    return this.#receipts.get(seq);
  }

  /** Journal record of billing seq `seq`, if the index has it. */
  record(seq: number): BillingRecord | undefined {
    return this.#records.get(seq);
  }

  /** Every indexed billing record, by billing seq. */
  records(): BillingRecord[] {
    return [...this.#records.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The signed bytes of billing record `seq`. */
  read(seq: number): JournalResult<Uint8Array> {
    const record = this.#records.get(seq);
    if (!record) return fail('unknown-seq', `billing: no record ${seq}`);
    return this.#journal.read(record.journalSeq);
  }

  /** Journal a signed contract (numbered `nextSeq`), keeping `headroomBytes` free for what follows. */
  appendContract(contract: Contract, signedBytes: Uint8Array, headroomBytes: number): JournalResult<ContractEntry> {
    if (contract.seq !== this.#nextSeq) throw new RangeError(`billing: contract seq ${contract.seq}, expected ${this.#nextSeq}`);
    const appended = this.#journal.append(RecordKind.contract, signedBytes, { retention: 'billing', headroomBytes });
    if (!appended.ok) return appended;
    return ok(this.#noteContract(contract, appended.value));
  }

  /** Journal a signed receipt (numbered `nextSeq`), then settle its contract (commit before act). */
  appendReceipt(receipt: Receipt, signedBytes: Uint8Array): JournalResult<void> {
    if (receipt.seq !== this.#nextSeq) throw new RangeError(`billing: receipt seq ${receipt.seq}, expected ${this.#nextSeq}`);
    const contract = this.#contracts.get(receipt.contractSeq);
    if (!contract) throw new RangeError(`billing: receipt for unknown contract ${receipt.contractSeq}`);
    const appended = this.#journal.append(RecordKind.receipt, signedBytes, { retention: 'billing', settled: true });
    if (!appended.ok) return appended;
    this.#noteReceipt(receipt, appended.value);
    contract.receiptSeq = receipt.seq;
    const settled = this.#journal.markSettled(contract.journalSeq);
    if (settled.ok) contract.settled = true;
    return settled;
  }

  /** Boot: settle contracts whose receipt is durable (a cut may have come between the two writes). */
  settleReceipted(): JournalResult<void> {
    for (const contract of this.#contracts.values()) {
      if (contract.receiptSeq === undefined || contract.settled) continue;
      const settled = this.#journal.markSettled(contract.journalSeq);
      if (!settled.ok) return settled;
      contract.settled = true;
    }
    return ok(undefined);
  }

  /**
   * Live billing records the relay has not acknowledged, by billing seq. Records a compaction has
   * dropped leave the index here.
   */
  unacknowledged(): BillingRecord[] {
    const live = new Map(this.#journal.records().map((r) => [r.seq, r]));
    const pending: BillingRecord[] = [];
    for (const record of this.records()) {
      const journalRecord = live.get(record.journalSeq);
      if (!journalRecord) {
        this.#records.delete(record.seq);
        this.#receipts.delete(record.seq);
      }
      else if (!journalRecord.acknowledged) pending.push(record);
    }
    return pending;
  }

  /**
   * Mark billing record `seq` acknowledged. Before the first mark that could let the journal drop
   * the newest billing record, the billing floor is made durable, so numbering never restarts lower.
   */
  acknowledge(seq: number): JournalResult<void> {
    const record = this.#records.get(seq);
    if (!record) return ok(undefined);
    if (this.#floor < this.#nextSeq) {
      const written = this.#journal.append(RecordKind.billingFloor, encodeBillingFloor(this.#nextSeq), { retention: 'state' });
      if (!written.ok) return written;
      this.#floor = this.#nextSeq;
    }
    const marked = this.#journal.markAcknowledged(record.journalSeq);
    // A record dropped by a compaction since was acknowledged and settled already.
    return marked.ok || marked.code !== 'unknown-seq' ? marked : ok(undefined);
  }

  #noteContract(contract: Contract, journalSeq: number): ContractEntry {
    this.#noteRecord({ seq: contract.seq, journalSeq, kind: 'contract' });
    const entry: ContractEntry = {
      seq: contract.seq, journalSeq, userKid: contract.userKid, open: contract.limit.mode === 'full', receiptSeq: undefined, settled: false,
    };
    this.#contracts.set(contract.seq, entry);
    return entry;
  }

  #noteReceipt(receipt: Receipt, journalSeq: number): void {
    this.#noteRecord({ seq: receipt.seq, journalSeq, kind: 'receipt' });
    this.#receipts.set(receipt.seq, receipt);
  }

  #noteRecord(record: BillingRecord): void {
    this.#records.set(record.seq, record);
    this.#nextSeq = Math.max(this.#nextSeq, record.seq + 1);
  }

  #readWith<T>(journalSeq: number, decode: (bytes: Uint8Array) => Result<T>): Result<T, JournalErrorCode | Malformed> {
    const bytes = this.#journal.read(journalSeq);
    return bytes.ok ? decode(bytes.value) : bytes;
  }
}

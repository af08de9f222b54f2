// Boot: finish what a power loss interrupted. A contract with no receipt was running when the
// power went: it ends abnormal/powerLoss, billed up to its last durable checkpoint (or, with
// none, at its start) — never for energy or time the pile cannot prove. Its receipt takes the next
// billing sequence and is journaled settled like any other.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { EndDetail, type Receipt, encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { type Malformed, type Result, ok } from '../../contracts-offline/result.ts';
import type { Journal, JournalErrorCode } from '../journal/journal.ts';
import type { BillingBook } from '../billing/billing-book.ts';
import type { PileSigner } from '../pile-services.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { decodeContractRecord } from '../records/contract-record.ts';
import { type Checkpoint, decodeCheckpoint } from '../records/checkpoint-record.ts';
import { type EndPoint, buildReceipt } from './receipt.ts';
import { signRecord } from './sign-record.ts';

export function recoverSessions(journal: Journal, book: BillingBook, signer: PileSigner): Result<Receipt[], JournalErrorCode | Malformed> {
  const settled = book.settleReceipted();
  if (!settled.ok) return settled;
  const receipts: Receipt[] = [];
  for (const entry of book.contractsWithoutReceipt()) {
    const bytes = journal.read(entry.journalSeq);
    if (!bytes.ok) return bytes;
    const contract = decodeContractRecord(bytes.value);
    if (!contract.ok) return contract;
    const checkpoint = latestCheckpoint(journal);
    if (!checkpoint.ok) return checkpoint;
    const at = checkpoint.value?.contractSeq === entry.seq ? checkpoint.value : undefined;
    const receipt = buildReceipt(contract.value, book.nextSeq, endPoint(contract.value, at), { reason: 'abnormal', detail: EndDetail.powerLoss });
    const signed = signRecord(encodeReceipt(receipt), signer);
    if (!signed.ok) return signed;
    const appended = book.appendReceipt(receipt, signed.value);
    if (!appended.ok) return appended;
    receipts.push(receipt);
  }
  return ok(receipts);
}

function latestCheckpoint(journal: Journal): Result<Checkpoint | undefined, JournalErrorCode | Malformed> {
  const latest = journal.latest(RecordKind.checkpoint);
  if (!latest) return ok(undefined);
  const bytes = journal.read(latest.seq);
  return bytes.ok ? decodeCheckpoint(bytes.value) : bytes;
}

function endPoint(contract: Contract, checkpoint: Checkpoint | undefined): EndPoint {
  if (!checkpoint) return { energyWh: 0, durationS: 0, endMeterWh: contract.startMeterWh, endAtS: contract.startAtS };
  return {
    energyWh: checkpoint.meterWh - contract.startMeterWh,
    durationS: checkpoint.durationS,
    endMeterWh: checkpoint.meterWh,
    endAtS: checkpoint.atS,
  };
}

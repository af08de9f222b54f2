// A billing record: a pile-signed Contract or Receipt — what the pile's outbox hands out, phones
// carry, the relay settles and the ledger's events hash (design §5). Both carry the pile id and the
// pile's billing sequence (1, 2, 3… without holes); a receipt also names its contract's sequence.
import type { Contract } from './messages/contract.ts';
import type { Receipt } from './messages/receipt.ts';
import { type BadSignature, type Malformed, type Result, fail, ok } from './result.ts';
import { type OpenedMessage, type OpenOptions, openSigned, readSigned } from './signed.ts';

export type BillingRecordKind = 'contract' | 'receipt';

export type BillingRecord =
  | { kind: 'contract'; pileId: Uint8Array; seq: number; message: Contract }
  | { kind: 'receipt'; pileId: Uint8Array; seq: number; message: Receipt };

/** A signed message that is not a Contract or Receipt where a billing record was expected. */
export type NotBillingRecord = 'unexpected-type';

function billingRecordOf(opened: OpenedMessage): Result<BillingRecord, Malformed | NotBillingRecord> {
  if (opened.name === 'Contract') {
    const m = opened.message as Contract;
    if (m.seq < 1) return fail('malformed', 'Contract: seq 0 is not a billing sequence (they start at 1)');
    return ok({ kind: 'contract', pileId: m.pileId, seq: m.seq, message: m });
  }
  if (opened.name === 'Receipt') {
    const m = opened.message as Receipt;
    if (m.contractSeq < 1) return fail('malformed', 'Receipt: contractSeq 0 is not a billing sequence (they start at 1)');
    return ok({ kind: 'receipt', pileId: m.pileId, seq: m.seq, message: m });
  }
  return fail('unexpected-type', `a ${opened.name} is not a billing record (expected Contract or Receipt)`);
}

/** Reads a billing record WITHOUT checking its signature (to learn which pile's key verifies it). Never throws. */
export function readBillingRecord(bytes: Uint8Array): Result<BillingRecord, Malformed | NotBillingRecord> {
  const read = readSigned(bytes);
  return read.ok ? billingRecordOf(read.value) : read;
}

/** Reads a billing record and verifies it with its pile's public key. Never throws. */
export function openBillingRecord(bytes: Uint8Array, options: Omit<OpenOptions<'Contract' | 'Receipt'>, 'expectType'>): Result<BillingRecord, Malformed | NotBillingRecord | BadSignature> {
  const opened = openSigned(bytes, options);
  return opened.ok ? billingRecordOf(opened.value) : opened;
}

// A billing record: a pile-signed Contract or Receipt — what the pile's outbox hands out, phones
// carry, the relay settles and the ledger's events hash (design §5). Both carry the pile id and the
// pile's billing sequence (1, 2, 3… without holes); a receipt also names its contract's sequence.
import { type ParsedSign1, type VerifyOptions, verifyParsedSign1 } from './cose-sign1.ts';
import type { Contract } from './messages/contract.ts';
import type { Receipt } from './messages/receipt.ts';
import { type BadSignature, type Malformed, type Result, fail, ok } from './result.ts';
import { type ReadMessage, readSigned } from './signed.ts';

export type BillingRecordKind = 'contract' | 'receipt';

export type BillingRecord =
  | { kind: 'contract'; pileId: Uint8Array; seq: number; message: Contract }
  | { kind: 'receipt'; pileId: Uint8Array; seq: number; message: Receipt };

/** A billing record read but not verified yet, with its envelope for `verifyBillingRecord`. */
export type ReadBillingRecord = BillingRecord & { envelope: ParsedSign1 };

/** A signed message that is not a Contract or Receipt where a billing record was expected. */
export type NotBillingRecord = 'unexpected-type';

function billingRecordOf(read: ReadMessage): Result<ReadBillingRecord, Malformed | NotBillingRecord> {
  const { envelope } = read;
  if (read.name === 'Contract') {
    const m = read.message as Contract;
    if (m.seq < 1) return fail('malformed', 'Contract: seq 0 is not a billing sequence (they start at 1)');
    return ok({ kind: 'contract', pileId: m.pileId, seq: m.seq, message: m, envelope });
  }
  if (read.name === 'Receipt') {
    const m = read.message as Receipt;
    if (m.contractSeq < 1) return fail('malformed', 'Receipt: contractSeq 0 is not a billing sequence (they start at 1)');
    return ok({ kind: 'receipt', pileId: m.pileId, seq: m.seq, message: m, envelope });
  }
  return fail('unexpected-type', `a ${read.name} is not a billing record (expected Contract or Receipt)`);
}

/** Reads a billing record WITHOUT checking its signature (to learn which pile's key verifies it). Never throws. */
export function readBillingRecord(bytes: Uint8Array): Result<ReadBillingRecord, Malformed | NotBillingRecord> {
  const read = readSigned(bytes);
  return read.ok ? billingRecordOf(read.value) : read;
}

/** The signature check of a record `readBillingRecord` read, with its pile's public key. */
export function verifyBillingRecord(record: ReadBillingRecord, publicKey: Uint8Array, options: VerifyOptions = {}): Result<BillingRecord, BadSignature> {
  const { envelope, ...billing } = record;
  const verified = verifyParsedSign1(envelope, publicKey, options);
  return verified.ok ? ok(billing as BillingRecord) : verified;
}

/** Reads a billing record and verifies it with its pile's public key. Never throws. */
export function openBillingRecord(bytes: Uint8Array, options: VerifyOptions & { publicKey: Uint8Array }): Result<BillingRecord, Malformed | NotBillingRecord | BadSignature> {
  const read = readBillingRecord(bytes);
  return read.ok ? verifyBillingRecord(read.value, options.publicKey, options) : read;
}

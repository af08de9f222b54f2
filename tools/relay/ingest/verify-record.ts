// First look at an uploaded record: the signed billing record read without its signature (to learn
// which pile's key verifies it), then that reading verified with the pile's registered key. Nothing here throws
// on untrusted bytes; a refusal carries the relay's record error code.
import { createHash } from 'node:crypto';
import { type BillingRecordKind, type ReadBillingRecord, readBillingRecord, verifyBillingRecord } from '../../../contracts-offline/billing-record.ts';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { SeqRange } from '../../../contracts-offline/messages/ack.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { type Failure, type Result, fail, ok } from '../../../contracts-offline/result.ts';

export type RecordError = 'invalid-record' | 'unexpected-type' | 'unknown-pile' | 'bad-signature';
type RecordWhere = { pileId: string; seq: number; kind: BillingRecordKind };
/** Where the refused record could be read that far, which pile, sequence and kind it claims. */
export type RecordRefusal = Failure<RecordError> & Partial<RecordWhere>;

export type ParsedRecord = RecordWhere & { signed: Uint8Array; record: ReadBillingRecord };

export type VerifiedRecord =
  | { kind: 'contract'; pileId: string; seq: number; signed: Uint8Array; sha256: string; message: Contract }
  | { kind: 'receipt'; pileId: string; seq: number; signed: Uint8Array; sha256: string; message: Receipt };

/** What the upload answers per record. */
export type RecordResult = Partial<RecordWhere> & {
  status: 'accepted' | 'duplicate' | 'rejected';
  error?: string;
  message?: string;
  /** Accepted, with money moved by the rule but something to look at (amount mismatch, disputed contract, second receipt). */
  problem?: string;
  /** Billing sequences below this one the relay does not hold yet. */
  gap?: SeqRange[];
};

/** Structure only: which pile, which billing sequence, which kind. No signature check yet. */
export function parseRecord(signed: Uint8Array): Result<ParsedRecord, RecordError> {
  const read = readBillingRecord(signed);
  if (!read.ok) return fail(read.code === 'malformed' ? 'invalid-record' : read.code, read.reason);
  return ok({ pileId: bytesToHex(read.value.pileId), seq: read.value.seq, kind: read.value.kind, signed, record: read.value });
}

/** A pile's registered key and its key id (contracts-offline/keys.ts keyId). */
export type PileKey = { publicKey: Uint8Array; kid: Uint8Array };

export function verifyRecord(parsed: ParsedRecord, pileKey: PileKey | undefined, crypto: Ed25519Provider): { ok: true; value: VerifiedRecord } | RecordRefusal {
  const where = { pileId: parsed.pileId, seq: parsed.seq, kind: parsed.kind };
  if (!pileKey) return { ...fail('unknown-pile', `pile ${parsed.pileId} is not registered`), ...where };
  const verified = verifyBillingRecord(parsed.record, pileKey.publicKey, { crypto, publicKeyId: pileKey.kid });
  if (!verified.ok) return { ...fail('bad-signature', `not signed by pile ${parsed.pileId}'s registered key (${verified.reason})`), ...where };
  const sha256 = createHash('sha256').update(parsed.signed).digest('hex');
  return ok({ ...verified.value, pileId: parsed.pileId, signed: parsed.signed, sha256 } as VerifiedRecord);
}

// A billing record as the phone carries it from a pile to the relay: the record (contracts-offline
// billing-record.ts) with its pile id as hex, its bytes and their base64url text (how the wallet keeps it). Its
// signature is checked by whoever knows the pile's key (the phone when it has it, the relay always).
import { bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import { type BillingRecord, openBillingRecord, readBillingRecord } from '../../contracts-offline/billing-record.ts';
import { type BadSignature, type Malformed, type Result, ok } from '../../contracts-offline/result.ts';
import type { NotBillingRecord } from '../../contracts-offline/billing-record.ts';

/** The pile id as hex (how the wallet keys its piles), the signed bytes and their base64url text. */
type Carried = { pileId: string; bytes: Uint8Array; text: string };
export type CarriedRecord = (Omit<Extract<BillingRecord, { kind: 'contract' }>, 'pileId'> & Carried) | (Omit<Extract<BillingRecord, { kind: 'receipt' }>, 'pileId'> & Carried);

const carried = (record: BillingRecord, bytes: Uint8Array): CarriedRecord =>
  ({ kind: record.kind, pileId: bytesToHex(record.pileId), seq: record.seq, message: record.message, bytes: bytes.slice(), text: bytesToBase64url(bytes) }) as CarriedRecord;

/** Reads a signed record without checking its signature (the key may not be known yet). Never throws. */
export function readCarriedRecord(bytes: Uint8Array): Result<CarriedRecord, Malformed | NotBillingRecord> {
  const read = readBillingRecord(bytes);
  return read.ok ? ok(carried(read.value, bytes)) : read;
}

/** Reads a signed record and checks it is signed by `pilePublicKey`. Never throws. */
export function openCarriedRecord(bytes: Uint8Array, pilePublicKey: Uint8Array): Result<CarriedRecord, Malformed | NotBillingRecord | BadSignature> {
  const opened = openBillingRecord(bytes, { publicKey: pilePublicKey });
  return opened.ok ? ok(carried(opened.value, bytes)) : opened;
}

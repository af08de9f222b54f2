// First look at an uploaded record: COSE_Sign1 structure and the message inside (to learn which
// pile's key to verify with), then the pile signature against the registered key. Only signed
// Contracts and Receipts are records; nothing here throws on untrusted bytes.
import { createHash } from 'node:crypto';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { parseSign1 } from '../../../contracts-offline/cose-sign1.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { decodeAnyMessage } from '../../../contracts-offline/messages/registry.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';

export type RecordKind = 'contract' | 'receipt';

export type RecordRefusal = { ok: false; error: 'invalid-record' | 'unexpected-type' | 'unknown-pile' | 'bad-signature'; message: string; pileId?: string; seq?: number; kind?: RecordKind };

export type ParsedRecord = { ok: true; pileId: string; seq: number; kind: RecordKind; signed: Uint8Array };

export type VerifiedRecord =
  | { ok: true; kind: 'contract'; pileId: string; seq: number; signed: Uint8Array; sha256: string; message: Contract }
  | { ok: true; kind: 'receipt'; pileId: string; seq: number; signed: Uint8Array; sha256: string; message: Receipt };

/** Structure only: which pile, which billing sequence, which kind. No signature check yet. */
export function parseRecord(signed: Uint8Array): ParsedRecord | RecordRefusal {
  const sign1 = parseSign1(signed);
  if (!sign1.ok) return { ok: false, error: 'invalid-record', message: sign1.reason };
  const decoded = decodeAnyMessage(sign1.value.payload);
  if (!decoded.ok) return { ok: false, error: 'invalid-record', message: decoded.reason };
  const { name, message } = decoded.value;
  if (name === 'Contract' && message.seq < 1) return { ok: false, error: 'invalid-record', message: 'Contract: seq 0 is not a billing sequence (they start at 1)' };
  if (name === 'Contract') return { ok: true, pileId: bytesToHex(message.pileId), seq: message.seq, kind: 'contract', signed };
  if (name === 'Receipt' && message.contractSeq < 1) return { ok: false, error: 'invalid-record', message: 'Receipt: contractSeq 0 is not a billing sequence (they start at 1)' };
  if (name === 'Receipt') return { ok: true, pileId: bytesToHex(message.pileId), seq: message.seq, kind: 'receipt', signed };
  return { ok: false, error: 'unexpected-type', message: `a ${name} is not a billing record (expected Contract or Receipt)` };
}

export function verifyRecord(parsed: ParsedRecord, pilePublicKey: Uint8Array | undefined, crypto: Ed25519Provider): VerifiedRecord | RecordRefusal {
  const where = { pileId: parsed.pileId, seq: parsed.seq, kind: parsed.kind };
  if (!pilePublicKey) return { ok: false, error: 'unknown-pile', message: `pile ${parsed.pileId} is not registered`, ...where };
  const opened = openSigned(parsed.signed, { publicKey: pilePublicKey, crypto, expectType: parsed.kind === 'contract' ? 'Contract' : 'Receipt' });
  if (!opened.ok) return { ok: false, error: 'bad-signature', message: `not signed by pile ${parsed.pileId}'s registered key (${opened.reason})`, ...where };
  const sha256 = createHash('sha256').update(parsed.signed).digest('hex');
  return opened.value.name === 'Contract'
    ? { ok: true, kind: 'contract', pileId: parsed.pileId, seq: parsed.seq, signed: parsed.signed, sha256, message: opened.value.message as Contract }
    : { ok: true, kind: 'receipt', pileId: parsed.pileId, seq: parsed.seq, signed: parsed.signed, sha256, message: opened.value.message as Receipt };
}

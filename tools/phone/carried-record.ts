// A pile-signed billing record (Contract or Receipt) as the phone carries it from a pile to the
// relay: what it is is read from its payload; its signature is checked by whoever knows the
// pile's key (the phone when it has it, the relay always).
import { bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import { parseSign1 } from '../../contracts-offline/cose-sign1.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import { decodeAnyMessage } from '../../contracts-offline/messages/registry.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

export type CarriedRecord =
  | { kind: 'Contract'; pileId: string; seq: number; message: Contract; bytes: Uint8Array; text: string }
  | { kind: 'Receipt'; pileId: string; seq: number; message: Receipt; bytes: Uint8Array; text: string };

function fromMessage(name: string, message: unknown, bytes: Uint8Array): Result<CarriedRecord> {
  if (name === 'Contract') {
    const m = message as Contract;
    return ok({ kind: 'Contract', pileId: bytesToHex(m.pileId), seq: m.seq, message: m, bytes, text: bytesToBase64url(bytes) });
  }
  if (name === 'Receipt') {
    const m = message as Receipt;
    return ok({ kind: 'Receipt', pileId: bytesToHex(m.pileId), seq: m.seq, message: m, bytes, text: bytesToBase64url(bytes) });
  }
  return fail(`record: expected a Contract or Receipt, got ${name}`);
}

/** Reads a signed record without checking its signature (the key may not be known yet). Never throws. */
export function readCarriedRecord(bytes: Uint8Array): Result<CarriedRecord> {
  const parsed = parseSign1(bytes);
  if (!parsed.ok) return parsed;
  const decoded = decodeAnyMessage(parsed.value.payload);
  if (!decoded.ok) return decoded;
  return fromMessage(decoded.value.name, decoded.value.message, bytes.slice());
}

/** Reads a signed record and checks it is signed by `pilePublicKey`. Never throws. */
export function openCarriedRecord(bytes: Uint8Array, pilePublicKey: Uint8Array): Result<CarriedRecord> {
  const opened = openSigned(bytes, { publicKey: pilePublicKey });
  if (!opened.ok) return opened;
  return fromMessage(opened.value.name, opened.value.message, bytes.slice());
}

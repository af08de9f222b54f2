// The billing records a phone carries (R7, R8): held until the relay accepts them, deduplicated
// by contract id (pile id, seq), dropped once a relay-signed Ack says the relay holds them. A
// Receipt that closes the user's own active contract — whoever's tap brought it — ends it.
import { base64urlToBytes, bytesToHex } from '../../contracts-offline/bytes.ts';
import type { Ack } from '../../contracts-offline/messages/ack.ts';
import { type CarriedRecord, readCarriedRecord } from './carried-record.ts';
import type { WalletState } from './wallet-state.ts';

/** The held records, decoded (the wallet only ever stores decodable ones). */
export function heldRecords(state: WalletState): CarriedRecord[] {
  return state.records.map((text) => {
    const read = readCarriedRecord(base64urlToBytes(text));
    if (!read.ok) throw new Error(`wallet-records: a held record does not decode (${read.reason})`);
    return read.value;
  });
}

function isHeld(state: WalletState, record: CarriedRecord): boolean {
  if (record.seq <= (state.piles[record.pileId]?.ackedUpToSeq ?? 0)) return true;
  return heldRecords(state).some((r) => r.pileId === record.pileId && r.seq === record.seq);
}

/** Adds records not held yet (nor known to be at the relay); answers how many were new. */
export function holdRecords(state: WalletState, records: readonly CarriedRecord[]): number {
  let added = 0;
  for (const record of records) {
    if (record.kind === 'receipt') finishIfActive(state, record);
    else adoptIfOurVoucher(state, record);
    if (isHeld(state, record)) continue;
    state.records.push(record.text);
    added++;
  }
  return added;
}

function finishIfActive(state: WalletState, receipt: CarriedRecord & { kind: 'receipt' }): void {
  const active = state.active;
  if (active && active.pileId === receipt.pileId && active.seq === receipt.message.contractSeq) {
    state.lastFinished = { pileId: receipt.pileId, contractSeq: active.seq, receipt: receipt.text };
    state.active = null;
  }
}

// START's answer was lost (field gone after the pile journaled the contract): the contract comes
// back through the outbox, recognised by the voucher it consumed.
function adoptIfOurVoucher(state: WalletState, contract: CarriedRecord & { kind: 'contract' }): void {
  const voucher = state.voucher;
  if (!voucher || voucher.pileId !== contract.pileId || voucher.voucherId !== bytesToHex(contract.message.voucherId)) return;
  const m = contract.message;
  state.active = { pileId: contract.pileId, seq: m.seq, contract: contract.text, limit: m.limit, capMinor: m.capMinor, startAtS: m.startAtS };
  state.voucher = null;
}

/** First contiguous run of acknowledged sequences from 1 (the pile numbers its billing records 1, 2, 3…). */
export function ackedPrefix(ack: Ack): number {
  const first = ack.ranges[0];
  return first && first.fromSeq <= 1 ? first.toSeq : 0;
}

/** A relay-signed Ack for `pileId` (already verified): keep it for the pile, drop what it covers. */
export function noteAck(state: WalletState, pileId: string, ack: Ack, signed: string): void {
  const memo = (state.piles[pileId] ??= {});
  memo.ackedUpToSeq = Math.max(memo.ackedUpToSeq ?? 0, ackedPrefix(ack));
  state.acks[pileId] = signed;
  const covered = (seq: number): boolean => ack.ranges.some((r) => seq >= r.fromSeq && seq <= r.toSeq);
  state.records = heldRecords(state).filter((r) => !(r.pileId === pileId && covered(r.seq))).map((r) => r.text);
}

/** OUTBOX `after` for this pile: past every record the relay or this phone already holds without a hole. */
export function outboxCursor(state: WalletState, pileId: string): number {
  const held = new Set(heldRecords(state).filter((r) => r.pileId === pileId).map((r) => r.seq));
  let cursor = state.piles[pileId]?.ackedUpToSeq ?? 0;
  while (held.has(cursor + 1)) cursor++;
  return cursor;
}

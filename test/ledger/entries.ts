// Batch entries for the ledger tests. Each entry's recordHash is derived from its contract id and
// op alone (contract for open and charge-cap, receipt for settle), so an audit can recompute any
// batch's records digest with `recordHashOf`.
import { createHash } from 'node:crypto';
import type { Address, Hex } from 'viem';
import type { EntryOp } from '../../tools/ledger/audit.ts';
import type { ChargeCapEntry, OpenEntry, SettleEntry } from './model.ts';

/** The stand-in for the SHA-256 of the signed COSE record an entry rests on. */
export function recordHashOf({ op, contractId }: { op: EntryOp; contractId: Hex }): Hex {
  const record = op === 'settle' ? 'receipt' : 'contract';
  return `0x${createHash('sha256').update(`${record}:${contractId.toLowerCase()}`).digest('hex')}`;
}

export function openEntry(contractId: Hex, user: Address, capMinor: bigint, capped = true): OpenEntry {
  return { kind: 'open', contractId, user, capMinor, capped, recordHash: recordHashOf({ op: 'open', contractId }) };
}

export function settleEntry(c: { contractId: Hex; user: Address; capMinor: bigint }, amountMinor: bigint): SettleEntry {
  return { kind: 'settle', contractId: c.contractId, user: c.user, capMinor: c.capMinor, amountMinor, recordHash: recordHashOf({ op: 'settle', contractId: c.contractId }) };
}

export function chargeCapEntry(c: { contractId: Hex; user: Address; capMinor: bigint }): ChargeCapEntry {
  return { kind: 'charge-cap', contractId: c.contractId, user: c.user, capMinor: c.capMinor, recordHash: recordHashOf({ op: 'charge-cap', contractId: c.contractId }) };
}

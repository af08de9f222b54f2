// Each charging session as the relay's rules make it from the signed records alone (ingest/
// apply-contract.ts, apply-receipt.ts, billing/overdue.ts, routes/operator/resolve.ts), with the
// ledger as the witness of the decisions no signature records — that a capped contract was charged
// at its cap after its receipt was overdue, and that an operator settled a disputed contract:
//   disputed        the contract departs from the relay-signed voucher it names (the one field set
//                   of contracts-offline/voucher-match.ts), names a voucher the relay never signed,
//                   or uses a voucher another contract used first; no money moves for it
//   provisional     held, no receipt; the cap escrowed
//   settled         its receipt applied: min(receipt amount, tariff cost, cap) (receiptSettlement);
//                   or disputed, and an operator's resolution settled it on its receipt the same
//                   way — the ledger's Opened (or one-step Settled) event of the disputed contract is the witness
//   charged-at-cap  no receipt, the ledger charged the cap
//   corrected       charged at the cap, then the receipt corrected it
//   voided          disputed, and an operator's resolution voided it: nothing signed and nothing on
//                   the ledger records a void, so the stored decision (contract_resolutions) is
//                   taken as given — it can only void a contract the signed records dispute
// A receipt applies to its contract once both are held; of two receipts for one contract the
// first to be applied wins (by when both were held, then by sequence) and the other is a conflict
// — the ledger's records digest of the batch that settled it must name the winner's SHA-256
// (check-ledger.ts); a receipt whose contract is not held waits.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Authorization } from '../../../contracts-offline/messages/authorization.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { type ReceiptSettlement, receiptSettlement } from '../../../contracts-offline/tariff-cost.ts';
import { contractVoucherDifferences } from '../../../contracts-offline/voucher-match.ts';
import { type LedgerIndex, contractEvent, openingEvent, openingName, txOf } from './ledger-index.ts';
import type { HeldRecord, VerifiedSources } from './verify-signed.ts';

export type SessionStatus = 'provisional' | 'settled' | 'charged-at-cap' | 'corrected' | 'disputed' | 'voided';

/** An operator's resolution of a disputed contract as the sources show it, and what shows it. */
export type Resolved = { decision: 'settle' | 'void'; from: string };
export type LedgerState = 'not opened' | 'open' | 'settled' | 'charged-at-cap' | 'corrected';

export type DerivedSession = {
  contractId: string;
  pileId: string;
  seq: number;
  userKid: string;
  contract: HeldRecord<Contract>;
  /** The relay-signed voucher it names, when the relay holds it. */
  voucher: Authorization | undefined;
  /** Why the relay must have disputed it (kept when an operator resolved it). */
  dispute: string | undefined;
  /** A disputed contract's resolution: settle witnessed by the ledger, void by its stored row alone. */
  resolved: Resolved | undefined;
  chargedAtCap: boolean;
  receipt: HeldRecord<Receipt> | undefined;
  /** Further receipts for the same contract: they move nothing. */
  conflicting: HeldRecord<Receipt>[];
  status: SessionStatus;
  /** What its receipt settles (not for a disputed contract, unless settled by a resolution). */
  settlement: ReceiptSettlement | undefined;
  /** The contract's record on the ledger, from its events. */
  ledger: LedgerState;
};

export type DerivedSessions = {
  /** By contract id. */
  sessions: ReadonlyMap<string, DerivedSession>;
  /** Receipts whose contract is not held (by `pile#seq`). */
  waiting: ReadonlySet<string>;
  /** Which contract used each voucher. */
  voucherUse: ReadonlyMap<string, string>;
};

function ledgerStateOf(index: LedgerIndex, contractId: string): LedgerState {
  const kinds = (index.byContract.get(contractId) ?? []).map((e) => e.kind);
  if (kinds.includes('corrected')) return 'corrected';
  if (kinds.includes('settled')) return 'settled';
  if (kinds.includes('charged-at-cap')) return 'charged-at-cap';
  return kinds.includes('opened') ? 'open' : 'not opened';
}

/** Contracts claim their vouchers in the order the relay applied them: the ones the ledger opened first, then by arrival and sequence. */
function applyOrder(sources: VerifiedSources, index: LedgerIndex): [string, HeldRecord<Contract>][] {
  const opened = (id: string) => (openingEvent(index, id) ? 0 : 1);
  return [...sources.contracts].sort(([a, x], [b, y]) => opened(a) - opened(b) || x.receivedAtS - y.receivedAtS || a.localeCompare(b));
}

function disputeOf(c: Contract, voucher: Authorization | undefined, usedBy: string | undefined, openedUnresolved: boolean): string | undefined {
  const voucherId = bytesToHex(c.voucherId);
  // Opened on the ledger with no settle resolution, the relay matched it to a voucher it held: a missing voucher row is the vouchers check's finding.
  if (!voucher) return openedUnresolved ? undefined : `voucher ${voucherId} was not issued by this relay`;
  const differs = contractVoucherDifferences(c, voucher);
  if (differs.length > 0) return `the contract differs from voucher ${voucherId} in ${differs.join(', ')}`;
  return usedBy === undefined ? undefined : `voucher ${voucherId} was already used by contract ${usedBy}`;
}

function resolvedOf(contractId: string, index: LedgerIndex, decision: string | undefined): Resolved | undefined {
  const opened = openingEvent(index, contractId);
  if (opened) return { decision: 'settle', from: `the ledger's ${openingName(opened)} of the disputed contract (${txOf(opened)}): only a settle resolution writes one` };
  if (decision === 'void') return { decision: 'void', from: `contract_resolutions ${contractId} (a void: the operator's word, nothing signed or on the ledger records it)` };
  return undefined;
}

/** `decisions`: contract_resolutions as stored (contract id → decision), for what only they can tell. */
export function deriveSessions(sources: VerifiedSources, index: LedgerIndex, decisions: ReadonlyMap<string, string>): DerivedSessions {
  const receiptsOf = new Map<string, HeldRecord<Receipt>[]>();
  for (const r of sources.receipts.values()) {
    const id = contractIdHex(r.message.pileId, r.message.contractSeq);
    receiptsOf.set(id, [...(receiptsOf.get(id) ?? []), r]);
  }
  const sessions = new Map<string, DerivedSession>();
  const voucherUse = new Map<string, string>();
  for (const [contractId, held] of applyOrder(sources, index)) {
    const c = held.message;
    const voucherId = bytesToHex(c.voucherId);
    const voucher = sources.authorizations.get(voucherId);
    const opened = openingEvent(index, contractId) !== undefined;
    const dispute = disputeOf(c, voucher, voucherUse.get(voucherId), opened && decisions.get(contractId) !== 'settle');
    if (!dispute) voucherUse.set(voucherId, contractId);
    const resolved = dispute ? resolvedOf(contractId, index, decisions.get(contractId)) : undefined;
    const charged = !dispute || resolved?.decision === 'settle';
    const appliedAt = (r: HeldRecord<Receipt>) => Math.max(r.receivedAtS, held.receivedAtS);
    const receipts = (receiptsOf.get(contractId) ?? []).sort((a, b) => appliedAt(a) - appliedAt(b) || a.seq - b.seq);
    const [receipt, ...conflicting] = receipts;
    const chargedAtCap = !dispute && contractEvent(index, contractId, 'charged-at-cap') !== undefined;
    const status: SessionStatus = dispute && !charged ? (resolved ? 'voided' : 'disputed')
      : receipt ? (chargedAtCap ? 'corrected' : 'settled') : chargedAtCap ? 'charged-at-cap' : 'provisional';
    sessions.set(contractId, {
      contractId,
      pileId: held.pileId,
      seq: held.seq,
      userKid: bytesToHex(c.userKid),
      contract: held,
      voucher,
      dispute,
      resolved,
      chargedAtCap,
      receipt,
      conflicting,
      status,
      settlement: receipt && charged ? receiptSettlement(receipt.message, c.tariff, c.capMinor) : undefined,
      ledger: ledgerStateOf(index, contractId),
    });
  }
  const waiting = new Set([...sources.receipts.keys()].filter((key) => {
    const r = sources.receipts.get(key)!.message;
    return !sessions.has(contractIdHex(r.pileId, r.contractSeq));
  }));
  return { sessions, waiting, voucherUse };
}

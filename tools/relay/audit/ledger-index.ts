// The ledger's events, indexed the way the audit looks them up: per contract id (the per-entry
// Opened, Settled, ChargedAtCap, Corrected events decoded from Batch events; a skipped entry moved
// nothing), per write reference (Issued, Redeemed), and the circulation between users (Transfer
// events that are not the mint or burn half of an Issued or Redeemed).
import type { Hex } from 'viem';
import type { LedgerEvent } from '../../ledger/ledger.ts';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export type ContractEvent = Extract<LedgerEvent, { kind: 'opened' | 'settled' | 'charged-at-cap' | 'corrected' }>;
export type RefEvent = Extract<LedgerEvent, { kind: 'issued' | 'redeemed' }>;
export type TransferEvent = Extract<LedgerEvent, { kind: 'transfer' }>;

export type LedgerIndex = {
  events: readonly LedgerEvent[];
  /** By contract id (32 lowercase hex digits, no 0x). */
  byContract: ReadonlyMap<string, readonly ContractEvent[]>;
  /** By lowercase ref. */
  issued: ReadonlyMap<string, RefEvent>;
  redeemed: ReadonlyMap<string, RefEvent>;
  transfers: readonly TransferEvent[];
};

export function indexLedger(events: readonly LedgerEvent[]): LedgerIndex {
  const byContract = new Map<string, ContractEvent[]>();
  const issued = new Map<string, RefEvent>();
  const redeemed = new Map<string, RefEvent>();
  const transfers: TransferEvent[] = [];
  for (const e of events) {
    switch (e.kind) {
      case 'opened': case 'settled': case 'charged-at-cap': case 'corrected': {
        const id = e.contractId.slice(2).toLowerCase();
        byContract.set(id, [...(byContract.get(id) ?? []), e]);
        break;
      }
      case 'issued': issued.set(e.ref.toLowerCase(), e); break;
      case 'redeemed': redeemed.set(e.ref.toLowerCase(), e); break;
      case 'transfer':
        if (e.from !== ZERO_ADDRESS && e.to !== ZERO_ADDRESS) transfers.push(e);
        break;
      default: break;
    }
  }
  return { events, byContract, issued, redeemed, transfers };
}

/** The contract's one event of `kind`, if the ledger has it. */
export function contractEvent<K extends ContractEvent['kind']>(index: LedgerIndex, contractId: string, kind: K): Extract<ContractEvent, { kind: K }> | undefined {
  return index.byContract.get(contractId)?.find((e): e is Extract<ContractEvent, { kind: K }> => e.kind === kind);
}

/** The event that put the contract on the ledger: its Opened event, or a Settled event from `none` (one-step: contract and receipt settled together). */
export type OpeningEvent = Extract<ContractEvent, { kind: 'opened' | 'settled' }>;

export function openingEvent(index: LedgerIndex, contractId: string): OpeningEvent | undefined {
  return index.byContract.get(contractId)?.find((e): e is OpeningEvent => e.kind === 'opened' || (e.kind === 'settled' && e.from === 'none'));
}

/** How the findings name an opening event. */
export const openingName = (e: OpeningEvent): string => (e.kind === 'opened' ? 'Opened event' : 'one-step Settled event');

export const txOf = (e: { txHash: Hex }): string => `tx ${e.txHash}`;

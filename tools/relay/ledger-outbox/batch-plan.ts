// What the outbox worker sends next, keeping every write valid when it lands (the relay's book
// already counts every pending row, in outbox order):
// - a money row (issue, redeem, transfer) at the head of the queue goes alone, in outbox order;
// - else the contract rows (open, settle, correct, charge-cap) go together in ONE applyBatch of at
//   most `maxEntries` entries, in outbox order, scanning past money rows where that is safe:
//   · an open (or a one-step settle) of a user with an older pending money row waits for it: it
//     may need the credit that row brings, or take the balance a redeem or transfer needs;
//   · a settle whose open already landed only releases escrow, a charge-cap only moves escrow to
//     revenue: neither can make an older row fail, so they may go first;
//   · a correct refunds from the revenue account: it waits for an older pending transfer out of it;
//   · a row of a contract whose earlier row waits, waits too (a charge-cap needs its open).
// An open and its settle (or correct) pending together are ONE settle entry covering both rows:
// the chain settles it in one step. Not when a charge-cap of the contract is pending as well: then
// open, charge-cap and correct go as they are (the correct needs the charge at the cap first).
// A correct is a settle entry: the chain makes it a correction, finding the contract charged at cap.
// A row whose sequence, cap or amount does not fit the batch's uint32 fields goes alone, when no
// entry is planned before it: the client refuses it (RangeError) and the worker rejects its rows.
import type { Address, Hex } from 'viem';
import { fitsBatchFields } from '../../ledger/batch-encoding.ts';
import type { BatchEntry } from '../../ledger/ledger.ts';
import type { OutboxKind } from './enqueue.ts';

export type OutboxRow = {
  id: number;
  kind: OutboxKind;
  contract_id: Hex | null;
  ref: Hex | null;
  user_address: Address;
  to_address: Address | null;
  cap_minor: number | null;
  amount_minor: number | null;
  capped: number | null;
  /** The signed record's SHA-256 (contract for open and charge-cap, receipt for settle and correct). */
  hash: Hex | null;
};

/** One batch entry and the outbox rows it carries: one row, or an open and its settle or correct. */
export type PlannedEntry = { entry: BatchEntry; rows: OutboxRow[] };

export type SendPlan = { kind: 'money'; row: OutboxRow } | { kind: 'batch'; entries: PlannedEntry[] };

export const BATCH_MAX_ENTRIES = 100;

/** A pending row that cannot become a ledger write (a column it needs is empty): the worker rejects it. */
export class OutboxRowError extends Error {
  readonly row: OutboxRow;

  constructor(row: OutboxRow, what: string) {
    super(`relay outbox: row ${row.id} (${row.kind} ${row.contract_id ?? row.ref}) ${what}`);
    this.name = 'OutboxRowError';
    this.row = row;
  }
}

const isMoney = (kind: OutboxKind): boolean => kind === 'issue' || kind === 'redeem' || kind === 'transfer';

function field<T>(row: OutboxRow, value: T | null, name: string): T {
  if (value === null) throw new OutboxRowError(row, `has no ${name}`);
  return value;
}

function entryOf(row: OutboxRow): BatchEntry {
  const base = { contractId: field(row, row.contract_id, 'contract id'), user: row.user_address, capMinor: BigInt(field(row, row.cap_minor, 'cap')), recordHash: field(row, row.hash, 'record hash') };
  switch (row.kind) {
    case 'open': return { kind: 'open', ...base, capped: row.capped === 1 };
    case 'charge-cap': return { kind: 'charge-cap', ...base };
    case 'settle':
    case 'correct': return { kind: 'settle', ...base, amountMinor: BigInt(field(row, row.amount_minor, 'amount')) };
    default: throw new OutboxRowError(row, 'is no contract write');
  }
}

/**
 * The next send for `rows` (pending, in outbox order, at least one). `revenueAccount`: the ledger's
 * revenue account, which corrections draw on.
 */
export function planNextSend(rows: readonly OutboxRow[], revenueAccount: Address, maxEntries = BATCH_MAX_ENTRIES): SendPlan {
  const head = rows[0];
  if (!head) throw new RangeError('relay outbox: nothing to plan');
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`relay outbox: "maxEntries" expected an integer ≥ 1, got ${maxEntries}`);
  if (isMoney(head.kind)) return { kind: 'money', row: head };

  const closing = new Map<Hex, OutboxRow>();
  const chargingCap = new Set<Hex>();
  for (const r of rows) {
    if (r.kind === 'settle' || r.kind === 'correct') closing.set(r.contract_id!, r);
    if (r.kind === 'charge-cap') chargingCap.add(r.contract_id!);
  }
  const waitingAccounts = new Set<string>();
  const waitingContracts = new Set<Hex>();
  const carried = new Set<number>();
  const entries: PlannedEntry[] = [];
  for (const r of rows) {
    if (entries.length === maxEntries) break;
    if (carried.has(r.id)) continue;
    if (isMoney(r.kind)) {
      waitingAccounts.add(r.user_address.toLowerCase());
      if (r.to_address) waitingAccounts.add(r.to_address.toLowerCase());
      continue;
    }
    const contractId = r.contract_id!;
    const waits = waitingContracts.has(contractId)
      || (r.kind === 'open' && waitingAccounts.has(r.user_address.toLowerCase()))
      || (r.kind === 'correct' && waitingAccounts.has(revenueAccount.toLowerCase()));
    if (waits) {
      waitingContracts.add(contractId);
      continue;
    }
    const closes = r.kind === 'open' && !chargingCap.has(contractId) ? closing.get(contractId) : undefined;
    const planned: PlannedEntry = closes ? { entry: entryOf(closes), rows: [r, closes] } : { entry: entryOf(r), rows: [r] };
    if (!fitsBatchFields(planned.entry)) {
      if (entries.length === 0) return { kind: 'batch', entries: [planned] };
      waitingContracts.add(contractId);
      continue;
    }
    if (closes) carried.add(closes.id);
    entries.push(planned);
  }
  return { kind: 'batch', entries };
}

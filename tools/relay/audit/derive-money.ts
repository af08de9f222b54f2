// The money side the relay's rules make of the sessions and the ledger: every ledger write the
// relay must have queued (ledger-outbox/enqueue.ts), the money moves it records, and each user's
// account book (billing/book.ts).
//   open / settle / correct / charge-cap   from each session: its signed contract and receipt, the
//       charge at cap and an operator's settling of a dispute witnessed by the ledger (see
//       derive-sessions.ts); done when the ledger has the event, else still pending — an open and
//       its settle sent together are one Settled event from none, which is both's;
//       hash: the SHA-256 of the signed record it rests on (contract; receipt for settle, correct)
//   issue, redeem, transfer                from the ledger's events alone: a top-up, a transfer, a
//       repayment or a refund is decided on a signed request the relay does not keep, so until the
//       ledger has it nothing but its own rows speaks for it. Kinds by reference: an advance is the
//       issue whose ref is ledgerRef('advance', contract id) of a held contract that was charged
//       (not disputed, or settled by a resolution), a repayment the redeem whose ref is
//       ledgerRef('repay', ref of a top-up); a transfer carries no ref on the ledger and is tied to
//       its outbox row by the transaction hash — a refund is the transfer from the ledger's
//       revenue account (routes/operator/refund.ts), its ref ledgerRef('refund', operator, key)
//       made of an idempotency key the relay does not keep.
// Book: balance + issues + advances − repayments ± transfers + refunds − caps opened + (cap −
// amount) per settlement or correction; escrow + caps opened − caps settled or charged; debt +
// advances − repayments — what the ledger holds once every write has landed. The revenue account
// has no book: it is no user.
import { type Address, type Hex, getAddress } from 'viem';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { isCapped } from '../../../contracts-offline/charge-limit.ts';
import { userAddressOf } from '../../ledger/ids.ts';
import type { OutboxKind } from '../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';
import type { DerivedSession } from './derive-sessions.ts';
import { type ContractEvent, type LedgerIndex, type RefEvent, type TransferEvent, contractEvent, openingEvent, txOf } from './ledger-index.ts';

type MoveKind = 'issue' | 'advance' | 'repay' | 'transfer' | 'refund';

/** One ledger write the relay must have queued. `event`: the ledger's record of it (done), if any. */
export type LedgerWrite = {
  /** How the outbox row is found: kind and contract id, kind and ref, or (transfers) the transaction. */
  identity: string;
  kind: OutboxKind;
  contractId: Hex | null;
  ref: Hex | null;
  user: Address;
  to: Address | null;
  capMinor: number | null;
  amountMinor: number | null;
  capped: number | null;
  hash: Hex | null;
  event: ContractEvent | RefEvent | TransferEvent | undefined;
  /** What calls for the write, for the findings. */
  from: string;
  /** For issue, redeem and transfer: the money move it carries. */
  move?: { kind: MoveKind; contractId: string | null };
};

type Book = { balanceMinor: number; escrowMinor: number; debtMinor: number };

/** A ledger money event the relay's rules do not account for, and the event kind it is reported under. */
type Stray = { event: string; text: string };

export type DerivedMoney = {
  /** By identity. */
  writes: ReadonlyMap<string, LedgerWrite>;
  /** Per checksummed user address. */
  books: ReadonlyMap<Address, Book>;
  /** The ledger's revenue account: settlements pay it, refunds come from it. */
  revenue: Address;
  /** Ledger money events the relay's rules do not account for (a redeem that repays no top-up, a transfer to the revenue account). */
  strays: readonly Stray[];
};

const contractWriteId = (kind: OutboxKind, contractId: string) => `${kind} 0x${contractId}`;
export const identityOfRow = (kind: string, contractId: unknown, ref: unknown, txHash: unknown): string | undefined => {
  if (kind === 'transfer') return typeof txHash === 'string' && txHash !== '0x' ? `transfer ${txHash.toLowerCase()}` : undefined;
  const target = kind === 'issue' || kind === 'redeem' ? ref : contractId;
  return typeof target === 'string' ? `${kind} ${target.toLowerCase()}` : undefined;
};

/** A session the ledger charges: not disputed, or settled by an operator's resolution. */
const charged = (s: DerivedSession): boolean => !s.dispute || s.resolved?.decision === 'settle';

function sessionWrites(s: DerivedSession, index: LedgerIndex): LedgerWrite[] {
  if (!charged(s)) return [];
  const c = s.contract.message;
  const contractId = `0x${s.contractId}` as Hex;
  const user = userAddressOf(c.userKid);
  const base = { contractId, ref: null, user, to: null, capMinor: c.capMinor };
  const where = `contract ${s.pileId}#${s.seq}${s.dispute ? ' (disputed, settled by an operator\'s resolution)' : ''}`;
  const writes: LedgerWrite[] = [{
    ...base, identity: contractWriteId('open', s.contractId), kind: 'open', amountMinor: null, capped: isCapped(c.limit.mode) ? 1 : 0, hash: `0x${s.contract.sha256}`,
    event: openingEvent(index, s.contractId), from: `the pile-signed ${where}`,
  }];
  if (s.chargedAtCap) {
    writes.push({
      ...base, identity: contractWriteId('charge-cap', s.contractId), kind: 'charge-cap', amountMinor: null, capped: null, hash: `0x${s.contract.sha256}`,
      event: contractEvent(index, s.contractId, 'charged-at-cap'), from: `the ledger's ChargedAtCap of ${where}`,
    });
  }
  if (s.receipt && s.settlement) {
    const kind = s.chargedAtCap ? 'correct' : 'settle';
    writes.push({
      ...base, identity: contractWriteId(kind, s.contractId), kind, amountMinor: s.settlement.settledMinor, capped: null, hash: `0x${s.receipt.sha256}`,
      event: contractEvent(index, s.contractId, s.chargedAtCap ? 'corrected' : 'settled'),
      from: `receipt ${s.receipt.pileId}#${s.receipt.seq} and the tariff of ${where}`,
    });
  }
  return writes;
}

function moneyWrites(sessions: ReadonlyMap<string, DerivedSession>, index: LedgerIndex, revenue: Address, strays: Stray[]): LedgerWrite[] {
  const advanceFor = new Map<string, string>();
  for (const s of sessions.values()) if (charged(s)) advanceFor.set(ledgerRef('advance', s.contractId).toLowerCase(), s.contractId);
  const topUps = new Map<string, string>();
  const writes: LedgerWrite[] = [];
  const none = { contractId: null, to: null, capMinor: null, capped: null, hash: null } as const;
  for (const [ref, e] of index.issued) {
    const contractId = advanceFor.get(ref) ?? null;
    if (!contractId) topUps.set(ledgerRef('repay', ref as Hex).toLowerCase(), ref);
    writes.push({
      ...none, identity: `issue ${ref}`, kind: 'issue', ref: ref as Hex, user: e.account, amountMinor: Number(e.amountMinor), event: e,
      from: `the ledger's Issued event (${txOf(e)})`, move: { kind: contractId ? 'advance' : 'issue', contractId },
    });
  }
  for (const [ref, e] of index.redeemed) {
    if (!topUps.has(ref)) strays.push({ event: 'redeemed', text: `Redeemed ${e.amountMinor} from ${e.account} (ref ${ref}, ${txOf(e)}) repays no top-up the ledger issued` });
    writes.push({
      ...none, identity: `redeem ${ref}`, kind: 'redeem', ref: ref as Hex, user: e.account, amountMinor: Number(e.amountMinor), event: e,
      from: `the ledger's Redeemed event (${txOf(e)})`, move: { kind: 'repay', contractId: null },
    });
  }
  const isRevenue = (a: Address) => a.toLowerCase() === revenue.toLowerCase();
  for (const e of index.transfers) {
    if (isRevenue(e.to)) strays.push({ event: 'transfer', text: `Transfer of ${e.amountMinor} from ${e.from} to the revenue account (${txOf(e)}) is no move of the relay's: settlements pay it without a Transfer` });
    const refund = isRevenue(e.from);
    writes.push({
      ...none, identity: `transfer ${e.txHash.toLowerCase()}`, kind: 'transfer', ref: null, user: e.from, to: e.to, amountMinor: Number(e.amountMinor), event: e,
      from: `the ledger's Transfer event${refund ? ' from the revenue account' : ''} (${txOf(e)})`, move: { kind: refund ? 'refund' : 'transfer', contractId: null },
    });
  }
  return writes;
}

function bookOf(books: Map<Address, Book>, address: Address): Book {
  const key = getAddress(address);
  let book = books.get(key);
  if (!book) books.set(key, (book = { balanceMinor: 0, escrowMinor: 0, debtMinor: 0 }));
  return book;
}

/** What the write does to the account book once it has landed (the ledger's rule, which the relay's book keeps ahead of time). */
function applyToBooks(books: Map<Address, Book>, w: LedgerWrite): void {
  const cap = w.capMinor ?? 0;
  const amount = w.amountMinor ?? 0;
  if (w.move?.kind === 'refund') {
    bookOf(books, w.to!).balanceMinor += amount;
    return;
  }
  const user = bookOf(books, w.user);
  switch (w.kind) {
    case 'issue':
      user.balanceMinor += amount;
      if (w.move?.kind === 'advance') user.debtMinor += amount;
      break;
    case 'redeem':
      user.balanceMinor -= amount;
      user.debtMinor -= amount;
      break;
    case 'transfer':
      user.balanceMinor -= amount;
      bookOf(books, w.to!).balanceMinor += amount;
      break;
    case 'open':
      user.balanceMinor -= cap;
      user.escrowMinor += cap;
      break;
    case 'settle':
      user.escrowMinor -= cap;
      user.balanceMinor += cap - amount;
      break;
    case 'charge-cap':
      user.escrowMinor -= cap;
      break;
    case 'correct':
      user.balanceMinor += cap - amount;
      break;
  }
}

/** `revenue`: the ledger's revenue account (Ledger.revenueAccount). */
export function deriveMoney(sessions: ReadonlyMap<string, DerivedSession>, index: LedgerIndex, revenue: Address): DerivedMoney {
  const strays: Stray[] = [];
  const all = [...[...sessions.values()].flatMap((s) => sessionWrites(s, index)), ...moneyWrites(sessions, index, revenue, strays)];
  const writes = new Map(all.map((w) => [w.identity, w]));
  const books = new Map<Address, Book>();
  for (const w of all) applyToBooks(books, w);
  return { writes, books, revenue: getAddress(revenue), strays };
}

/** Address → user key id, for every key id the audit has seen anywhere. */
export function addressBook(kids: Iterable<string>): Map<Address, string> {
  const byAddress = new Map<Address, string>();
  for (const kid of kids) if (/^[0-9a-f]{16}$/.test(kid)) byAddress.set(userAddressOf(hexToBytes(kid)), kid);
  return byAddress;
}

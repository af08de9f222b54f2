// The account book: per user, the ledger balance and escrow expected once every queued ledger
// write of that user has been applied, and the operator advances not yet repaid (debt). Every
// change that queues a ledger write updates the book in the same DB transaction, so voucher and
// transfer decisions never wait for the chain and never race it. The user's credit record
// (credit.ts) is kept in the same row, changed in the same transactions as the contracts' status.
//
//   reserved  = caps of this user's vouchers not used by a contract, not cancelled, and not
//               past their expiresAtS (which outlasts the longest a pile can still take a
//               voucher: contracts-offline/voucher-lifetime.ts)
//   available = balance − reserved + (credit limit − debt)    what a new voucher may cap
//   own       = balance − reserved − debt                     what may be transferred away
import type { RelayPolicy } from '../policy.ts';
import { type Queryable, caseOf, placeholders, statementChunks } from '../storage/db.ts';
import { type CreditHistory, creditLimitMinor } from './credit.ts';

/** SQL condition on `vouchers`: the voucher still reserves its cap at the relay time bound to its one `?`. */
export const RESERVING_VOUCHER = 'contract_id IS NULL AND cancelled_at_s IS NULL AND expires_at_s >= ?';

export type Standing = {
  balanceMinor: number;
  escrowMinor: number;
  debtMinor: number;
  reservedMinor: number;
  creditLimitMinor: number;
  availableMinor: number;
  ownMinor: number;
  history: CreditHistory;
};

export type UserBookRow = {
  kid: string; address: string; book_balance_minor: number; book_escrow_minor: number; debt_minor: number;
  settled_sessions: number; settled_amount_minor: number; late_receipts: number;
};

/** The columns of `users` a UserBookRow holds. */
export const BOOK_COLUMNS = 'kid, address, book_balance_minor, book_escrow_minor, debt_minor, settled_sessions, settled_amount_minor, late_receipts';

/** The user's book row, locked until commit when `forUpdate` is the dialect's FOR UPDATE. */
export function readBook(q: Queryable, userKid: string, forUpdate: string): Promise<UserBookRow | undefined> {
  return q.get<UserBookRow>(`SELECT ${BOOK_COLUMNS} FROM users WHERE kid = ?${forUpdate}`, [userKid]);
}

export type BookChange = { balanceMinor?: number; escrowMinor?: number; debtMinor?: number } & Partial<CreditHistory>;

/** Each part of a book change and the column it adds to. */
export const BOOK_CHANGE_COLUMNS = Object.freeze([
  ['book_balance_minor', 'balanceMinor'], ['book_escrow_minor', 'escrowMinor'], ['debt_minor', 'debtMinor'],
  ['settled_sessions', 'settledSessions'], ['settled_amount_minor', 'settledAmountMinor'], ['late_receipts', 'lateReceipts'],
] as const satisfies readonly (readonly [string, keyof BookChange])[]);

/** A users row as read (PostgreSQL answers BIGINT as text) with its figures as numbers. */
export function bookRowOf(row: UserBookRow): UserBookRow {
  const book = { ...row };
  for (const [column] of BOOK_CHANGE_COLUMNS) book[column] = Number(row[column]);
  return book;
}

export function creditHistoryOf(book: UserBookRow): CreditHistory {
  return { settledSessions: Number(book.settled_sessions), settledAmountMinor: Number(book.settled_amount_minor), lateReceipts: Number(book.late_receipts) };
}

/** The caps the user's vouchers reserve at `nowS`. */
export async function reservedMinorOf(q: Queryable, userKid: string, nowS: number): Promise<number> {
  const reserved = await q.get<{ minor: number }>(
    `SELECT COALESCE(SUM(cap_minor), 0) AS minor FROM vouchers WHERE user_kid = ? AND ${RESERVING_VOUCHER}`,
    [userKid, nowS],
  );
  return Number(reserved?.minor ?? 0);
}

export async function standingOf(q: Queryable, book: UserBookRow, nowS: number, policy: RelayPolicy): Promise<Standing> {
  return standingFrom(book, await reservedMinorOf(q, book.kid, nowS), policy);
}

export function standingFrom(book: UserBookRow, reservedMinor: number, policy: RelayPolicy): Standing {
  const history = creditHistoryOf(book);
  const limit = creditLimitMinor(history, policy.credit);
  const balance = Number(book.book_balance_minor);
  const debt = Number(book.debt_minor);
  return {
    balanceMinor: balance,
    escrowMinor: Number(book.book_escrow_minor),
    debtMinor: debt,
    reservedMinor,
    creditLimitMinor: limit,
    availableMinor: balance - reservedMinor + limit - debt,
    ownMinor: balance - reservedMinor - debt,
    history,
  };
}

export async function changeBook(q: Queryable, userKid: string, change: BookChange): Promise<void> {
  const changed = await q.run(
    `UPDATE users SET ${BOOK_CHANGE_COLUMNS.map(([column]) => `${column} = ${column} + ?`).join(', ')} WHERE kid = ?`,
    [...BOOK_CHANGE_COLUMNS.map(([, part]) => change[part] ?? 0), userKid],
  );
  if (changed !== 1) throw new Error(`relay book: no user ${userKid}`);
}

/** changeBook for several users, a few statements for all: each user's book by its change. */
export async function changeBooks(q: Queryable, changes: ReadonlyMap<string, BookChange>): Promise<void> {
  const all = [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Sent together, run in the order sent: the books are locked in key order.
  await Promise.all([...statementChunks(all)].map(async (chunk) => {
    // The columns some change of the chunk adds to (at least one, so that a missing user shows).
    const columns = BOOK_CHANGE_COLUMNS.filter(([, part], i) => i === 0 || chunk.some(([, change]) => (change[part] ?? 0) !== 0));
    const sets = columns.map(([column, part]) => {
      const amounts = caseOf('kid', chunk.map(([kid, change]) => [kid, change[part] ?? 0]), 'BIGINT');
      return { sql: `${column} = ${column} + ${amounts.sql}`, params: amounts.params };
    });
    const changed = await q.run(
      `UPDATE users SET ${sets.map((s) => s.sql).join(', ')} WHERE kid IN (${placeholders(chunk.length)})`,
      [...sets.flatMap((s) => s.params), ...chunk.map(([kid]) => kid)],
    );
    if (changed !== chunk.length) throw new Error(`relay book: changed ${changed} of the books of ${chunk.map(([kid]) => kid).join(', ')}`);
  }));
}

/** One money move (top-up, repayment, transfer, credit advance, refund from revenue) and the ledger write carrying it. */
export type MoneyMove = {
  ref: string;
  kind: 'issue' | 'repay' | 'transfer' | 'advance' | 'refund';
  fromKid: string | null;
  toKid: string | null;
  amountMinor: number;
  atS: number;
  contractId: string | null;
  outboxId: number;
};

export async function recordMoneyMove(q: Queryable, move: MoneyMove): Promise<void> {
  await q.run('INSERT INTO money_moves (ref, kind, from_kid, to_kid, amount_minor, at_s, contract_id, outbox_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    move.ref, move.kind, move.fromKid, move.toKid, move.amountMinor, move.atS, move.contractId, move.outboxId,
  ]);
}

// What a commit group's new contracts and receipts read and change, held in memory: read once per
// group by key lists (load), changed record by record in order by the rules (apply-contract.ts,
// apply-receipt.ts) exactly as row-by-row SQL would change it, then written in multi-row statements
// (group-writes.ts). On PostgreSQL the rows are locked as they are read, contracts before users
// before vouchers (each in key order), the order of every other transaction that locks two of them.
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import { BOOK_CHANGE_COLUMNS, BOOK_COLUMNS, type BookChange, type MoneyMove, type UserBookRow, bookRowOf } from '../billing/book.ts';
import type { RelayContext } from '../context.ts';
import type { OutboxWrite } from '../ledger-outbox/enqueue.ts';
import { type Queryable, type SqlValue, placeholders } from '../storage/db.ts';
import type { VerifiedRecord } from './verify-record.ts';

export type VoucherRow = { voucher_id: string; user_kid: string; pile_id: string; mode: string; limit_value: number | null; cap_minor: number; tariff_version: number; contract_id: string | null };

/** A contract as the rules see it: read from the database or added by this group. */
export type HeldContract = {
  contract_id: string; user_kid: string; cap_minor: number; status: string; problem: string | null; receipt_seq: number | null;
  energy_minor_per_kwh: number; time_minor_per_hour: number; session_fee_minor: number; tariff_version: number; received_at_s: number;
  /** Set when a receipt of this group closed it. */
  closing?: ContractClosing;
};

export type ContractClosing = {
  receipt_seq: number; end_reason: string; end_detail: number; energy_wh: number; duration_s: number; receipt_amount_minor: number;
  amount_minor: number | null; receipt_received_at_s: number; late: 0 | 1;
};

/** The columns of a new contract that only its insert writes. */
export type NewContract = {
  held: HeldContract; pile_id: string; seq: number; voucher_id: string; mode: string; limit_value: number | null; capped: 0 | 1;
  start_at_s: number; sha256: string; advance_minor: number;
};

export type ReceiptRow = { pile_id: string; seq: number; end_reason: string; end_detail: number; energy_wh: number; duration_s: number; amount_minor: number; sha256: string };

/** A receipt as the rules see it: `fresh` ones (this group's) are inserted with their last state, the others updated when it changed. */
export type HeldReceipt = ReceiptRow & { contract_seq: number; end_at_s: number; state: 'waiting' | 'applied' | 'conflict'; fresh: boolean; changed: boolean };

export type QueuedWrite = { write: OutboxWrite; move?: Omit<MoneyMove, 'outboxId'> };

export type GroupState = {
  nowS: number;
  nowMs: number;
  vouchers: Map<string, VoucherRow>;
  /** Voucher id → the contract that used it in this group. */
  voucherUses: Map<string, string>;
  books: Map<string, UserBookRow>;
  bookChanges: Map<string, BookChange>;
  contracts: Map<string, HeldContract>;
  newContracts: NewContract[];
  /** Contract id → its receipts (read waiting, or this group's), in sequence order. */
  receiptsOf: Map<string, HeldReceipt[]>;
  newReceipts: HeldReceipt[];
  /** Ledger writes in the order the rules queued them (outbox ids follow it). */
  outbox: QueuedWrite[];
};

async function rowsByKeys<T extends Record<string, unknown>>(tx: Queryable, select: string, keys: readonly SqlValue[], tail = ''): Promise<T[]> {
  return keys.length === 0 ? [] : tx.all<T>(`${select} IN (${placeholders(keys.length)})${tail}`, keys);
}

const contractColumns = `contract_id, user_kid, cap_minor, status, problem, receipt_seq, energy_minor_per_kwh, time_minor_per_hour,
  session_fee_minor, tariff_version, received_at_s`;

function heldContractOf(row: HeldContract): HeldContract {
  return {
    contract_id: row.contract_id, user_kid: row.user_kid, cap_minor: Number(row.cap_minor), status: row.status, problem: row.problem,
    receipt_seq: row.receipt_seq === null ? null : Number(row.receipt_seq), energy_minor_per_kwh: Number(row.energy_minor_per_kwh),
    time_minor_per_hour: Number(row.time_minor_per_hour), session_fee_minor: Number(row.session_fee_minor), tariff_version: Number(row.tariff_version),
    received_at_s: Number(row.received_at_s),
  };
}

/** Reads (and on PostgreSQL locks) the rows the group's new records `fresh` need. */
export async function loadGroupState(ctx: RelayContext, tx: Queryable, fresh: readonly VerifiedRecord[]): Promise<GroupState> {
  const forUpdate = ctx.db.forUpdate;
  const contracts = fresh.flatMap((r) => (r.kind === 'contract' ? [r.message] : []));
  const newIds = new Set(contracts.map((c) => contractIdHex(c.pileId, c.seq)));
  const closedIds = [...new Set(fresh.flatMap((r) => (r.kind === 'receipt' ? [contractIdHex(r.message.pileId, r.message.contractSeq)] : [])))]
    .filter((id) => !newIds.has(id)).sort();
  const g: GroupState = {
    nowS: ctx.nowS(), nowMs: ctx.nowMs(), vouchers: new Map(), voucherUses: new Map(), books: new Map(), bookChanges: new Map(),
    contracts: new Map(), newContracts: [], receiptsOf: new Map(), newReceipts: [], outbox: [],
  };
  // Sent together (one round trip, run in lock order) once the users of the contracts closed are known.
  const closed = await rowsByKeys<HeldContract>(tx, `SELECT ${contractColumns} FROM contracts WHERE contract_id`, closedIds, ` ORDER BY contract_id${forUpdate}`);
  const kids = [...new Set([...contracts.map((c) => bytesToHex(c.userKid)), ...closed.map((c) => c.user_kid)])].sort();
  const voucherIds = [...new Set(contracts.map((c) => bytesToHex(c.voucherId)))].sort();
  // Receipts that arrived before the group's new contracts (read by pile and sequence lists, kept per contract).
  const pileIds = [...new Set(contracts.map((c) => bytesToHex(c.pileId)))];
  const seqs = [...new Set(contracts.map((c) => c.seq))];
  const [books, vouchers, waiting] = await Promise.all([
    rowsByKeys<UserBookRow>(tx, `SELECT ${BOOK_COLUMNS} FROM users WHERE kid`, kids, ` ORDER BY kid${forUpdate}`),
    rowsByKeys<VoucherRow>(tx, 'SELECT voucher_id, user_kid, pile_id, mode, limit_value, cap_minor, tariff_version, contract_id FROM vouchers WHERE voucher_id', voucherIds, ` ORDER BY voucher_id${forUpdate}`),
    pileIds.length === 0 ? [] : tx.all<HeldReceipt>(
      `SELECT pile_id, seq, contract_seq, end_reason, end_detail, energy_wh, duration_s, amount_minor, end_at_s, sha256 FROM receipts
        WHERE state = 'waiting' AND pile_id IN (${placeholders(pileIds.length)}) AND contract_seq IN (${placeholders(seqs.length)}) ORDER BY pile_id, seq`,
      [...pileIds, ...seqs],
    ),
  ]);
  for (const row of closed) g.contracts.set(row.contract_id, heldContractOf(row));
  for (const b of books) g.books.set(b.kid, bookRowOf(b));
  for (const v of vouchers) g.vouchers.set(v.voucher_id, v);
  for (const r of waiting) {
    const contractId = contractIdHex(hexToBytes(r.pile_id), Number(r.contract_seq));
    if (!newIds.has(contractId)) continue;
    addReceipt(g, contractId, { ...r, seq: Number(r.seq), contract_seq: Number(r.contract_seq), state: 'waiting', fresh: false, changed: false });
  }
  return g;
}

/** Keeps `r` among its contract's receipts, in sequence order. */
export function addReceipt(g: GroupState, contractId: string, r: HeldReceipt): void {
  const receipts = g.receiptsOf.get(contractId) ?? [];
  receipts.push(r);
  receipts.sort((x, y) => x.seq - y.seq);
  g.receiptsOf.set(contractId, receipts);
  if (r.fresh) g.newReceipts.push(r);
}

export function changeHeldBook(g: GroupState, userKid: string, change: BookChange): void {
  const book = g.books.get(userKid);
  if (!book) throw new Error(`relay book: no user ${userKid}`);
  const total = g.bookChanges.get(userKid) ?? {};
  for (const [column, part] of BOOK_CHANGE_COLUMNS) {
    total[part] = (total[part] ?? 0) + (change[part] ?? 0);
    book[column] += change[part] ?? 0;
  }
  g.bookChanges.set(userKid, total);
}

export function queueLedgerWrite(g: GroupState, write: OutboxWrite, move?: Omit<MoneyMove, 'outboxId'>): void {
  g.outbox.push(move ? { write, move } : { write });
}

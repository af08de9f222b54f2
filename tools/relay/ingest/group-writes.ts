// Writes what a commit group's rules changed (group-state.ts) in multi-row statements: new
// contracts and receipts inserted with their state after the whole group (a receipt that closed a
// contract of the same group is in that contract's row), vouchers marked used, each user's book
// changed once by the sum of its changes, the ledger outbox rows inserted in the order the rules
// queued them. An advance's outbox row is inserted alone: its money move names the row's id.
// Rows of earlier groups that change (a contract a receipt closes, a receipt's state) are updated
// one statement each, sent with the inserts: one round trip on PostgreSQL however many there are.
import { changeBooks, recordMoneyMove } from '../billing/book.ts';
import { OUTBOX_INSERT, enqueueLedgerWrite, outboxValues } from '../ledger-outbox/enqueue.ts';
import { type Queryable, type SqlValue, caseOf, insertRows, placeholders, statementChunks } from '../storage/db.ts';
import type { GroupState, QueuedWrite } from './group-state.ts';

async function writeOutbox(tx: Queryable, queued: readonly QueuedWrite[], nowMs: number): Promise<void> {
  let rows: SqlValue[][] = [];
  for (const { write, move } of queued) {
    if (!move) {
      rows.push(outboxValues(write, nowMs));
      continue;
    }
    await insertRows(tx, OUTBOX_INSERT, rows);
    rows = [];
    const outboxId = await enqueueLedgerWrite(tx, write, nowMs);
    await recordMoneyMove(tx, { ...move, outboxId });
  }
  await insertRows(tx, OUTBOX_INSERT, rows);
}

async function writeContracts(tx: Queryable, g: GroupState): Promise<void> {
  const rows = g.newContracts.map((n) => {
    const c = n.held;
    const k = c.closing;
    return [
      c.contract_id, n.pile_id, n.seq, c.user_kid, n.voucher_id, n.mode, n.limit_value, c.cap_minor, n.capped, c.tariff_version, c.energy_minor_per_kwh,
      c.time_minor_per_hour, c.session_fee_minor, n.start_at_s, c.received_at_s, n.sha256, c.status, c.problem, n.advance_minor,
      k?.receipt_seq ?? null, k?.end_reason ?? null, k?.end_detail ?? null, k?.energy_wh ?? null, k?.duration_s ?? null, k?.receipt_amount_minor ?? null,
      k?.amount_minor ?? null, k?.receipt_received_at_s ?? null, k?.late ?? 0,
    ];
  });
  const fresh = new Set(g.newContracts.map((n) => n.held));
  const closed = [...g.contracts.values()].filter((c) => c.closing && !fresh.has(c));
  await Promise.all([
    insertRows(tx, `INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, limit_value, cap_minor, capped, tariff_version,
      energy_minor_per_kwh, time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status, problem, advance_minor,
      receipt_seq, end_reason, end_detail, energy_wh, duration_s, receipt_amount_minor, amount_minor, receipt_received_at_s, late)`, rows),
    ...closed.map((c) => {
      const k = c.closing!;
      return tx.run(
        `UPDATE contracts SET status = ?, problem = ?, receipt_seq = ?, end_reason = ?, end_detail = ?, energy_wh = ?, duration_s = ?,
           receipt_amount_minor = ?, amount_minor = ?, receipt_received_at_s = ?, late = ? WHERE contract_id = ?`,
        [c.status, c.problem, k.receipt_seq, k.end_reason, k.end_detail, k.energy_wh, k.duration_s, k.receipt_amount_minor, k.amount_minor, k.receipt_received_at_s, k.late, c.contract_id],
      );
    }),
  ]);
}

async function writeReceipts(tx: Queryable, g: GroupState): Promise<void> {
  const changed = [...g.receiptsOf.values()].flat().filter((r) => !r.fresh && r.changed);
  await Promise.all([
    insertRows(tx, 'INSERT INTO receipts (pile_id, seq, contract_seq, end_reason, end_detail, energy_wh, duration_s, amount_minor, end_at_s, sha256, state)',
      g.newReceipts.map((r) => [r.pile_id, r.seq, r.contract_seq, r.end_reason, r.end_detail, r.energy_wh, r.duration_s, r.amount_minor, r.end_at_s, r.sha256, r.state])),
    ...changed.map((r) => tx.run('UPDATE receipts SET state = ? WHERE pile_id = ? AND seq = ?', [r.state, r.pile_id, r.seq])),
  ]);
}

async function writeVoucherUses(tx: Queryable, uses: ReadonlyMap<string, string>): Promise<void> {
  await Promise.all([...statementChunks([...uses])].map(async (chunk) => {
    const contractIds = caseOf('voucher_id', chunk);
    const changed = await tx.run(
      `UPDATE vouchers SET contract_id = ${contractIds.sql} WHERE voucher_id IN (${placeholders(chunk.length)})`,
      [...contractIds.params, ...chunk.map(([voucherId]) => voucherId)],
    );
    if (changed !== chunk.length) throw new Error(`relay: marked ${changed} of ${chunk.length} vouchers used`);
  }));
}

/** The writes are sent together (one round trip when each fits one statement): the rows they change were locked as they were read. */
export async function writeGroupState(tx: Queryable, g: GroupState): Promise<void> {
  await Promise.all([writeContracts(tx, g), writeReceipts(tx, g), writeVoucherUses(tx, g.voucherUses), changeBooks(tx, g.bookChanges), writeOutbox(tx, g.outbox, g.nowMs)]);
}

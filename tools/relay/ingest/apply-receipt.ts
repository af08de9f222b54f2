// A newly held Receipt closes its contract (R6–R8): the settled amount is min(receipt amount,
// tariff rule, cap) (contracts-offline/tariff-cost.ts receiptSettlement); a provisional contract is
// settled (escrow released, the rest refunded), one already charged at its cap (receipt overdue) is
// corrected. A receipt whose
// contract is not held yet waits for it; a second receipt for one contract moves nothing.
import type { Hex } from 'viem';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { changeBook } from '../billing/book.ts';
import { receiptSettlement } from '../../../contracts-offline/tariff-cost.ts';
import type { RelayContext } from '../context.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import type { Queryable } from '../storage/db.ts';

type ContractRow = {
  contract_id: string; user_kid: string; cap_minor: number; status: string; problem: string | null; receipt_seq: number | null;
  energy_minor_per_kwh: number; time_minor_per_hour: number; session_fee_minor: number; tariff_version: number; received_at_s: number;
};
type ReceiptRow = { pile_id: string; seq: number; end_reason: string; end_detail: number; energy_wh: number; duration_s: number; amount_minor: number; sha256: string };

const contractColumns = `contract_id, user_kid, cap_minor, status, problem, receipt_seq, energy_minor_per_kwh, time_minor_per_hour,
  session_fee_minor, tariff_version, received_at_s`;

async function closeContract(ctx: RelayContext, tx: Queryable, c: ContractRow, r: ReceiptRow): Promise<string | undefined> {
  if (c.receipt_seq !== null) {
    await tx.run("UPDATE receipts SET state = 'conflict' WHERE pile_id = ? AND seq = ?", [r.pile_id, r.seq]);
    return `contract ${c.contract_id} already has receipt ${c.receipt_seq}: this one moves nothing`;
  }
  const capMinor = Number(c.cap_minor);
  const tariff = { version: Number(c.tariff_version), energyMinorPerKwh: Number(c.energy_minor_per_kwh), timeMinorPerHour: Number(c.time_minor_per_hour), sessionFeeMinor: Number(c.session_fee_minor) };
  const amount = receiptSettlement({ energyWh: Number(r.energy_wh), durationS: Number(r.duration_s), amountMinor: Number(r.amount_minor) }, tariff, capMinor);
  const nowS = ctx.nowS();
  const late = c.status === 'charged-at-cap' || nowS - Number(c.received_at_s) > ctx.policy.receiptOverdueS;
  const mismatch = amount.mismatch ? `amount-mismatch: the receipt says ${r.amount_minor}, the tariff gives ${amount.billedMinor}; settled ${amount.settledMinor}` : undefined;
  const status = c.status === 'provisional' ? 'settled' : c.status === 'charged-at-cap' ? 'corrected' : c.status;
  await tx.run(
    `UPDATE contracts SET status = ?, problem = COALESCE(problem, ?), receipt_seq = ?, end_reason = ?, end_detail = ?, energy_wh = ?, duration_s = ?,
       receipt_amount_minor = ?, amount_minor = ?, receipt_received_at_s = ?, late = ? WHERE contract_id = ?`,
    [status, mismatch ?? null, r.seq, r.end_reason, r.end_detail, r.energy_wh, r.duration_s, r.amount_minor, status === 'disputed' ? null : amount.settledMinor, nowS, late ? 1 : 0, c.contract_id],
  );
  await tx.run("UPDATE receipts SET state = 'applied' WHERE pile_id = ? AND seq = ?", [r.pile_id, r.seq]);
  if (status === 'disputed') return c.problem ?? undefined;
  const user = await tx.get<{ address: Hex }>('SELECT address FROM users WHERE kid = ?', [c.user_kid]);
  const entry = { contractId: `0x${c.contract_id}` as Hex, user: user!.address, capMinor, amountMinor: amount.settledMinor, hash: `0x${r.sha256}` as Hex };
  if (status === 'settled') {
    await changeBook(tx, c.user_kid, { escrowMinor: -capMinor, balanceMinor: capMinor - amount.settledMinor });
    await enqueueLedgerWrite(tx, { kind: 'settle', ...entry }, ctx.nowMs());
  } else {
    await changeBook(tx, c.user_kid, { balanceMinor: capMinor - amount.settledMinor });
    await enqueueLedgerWrite(tx, { kind: 'correct', ...entry }, ctx.nowMs());
  }
  return mismatch;
}

async function lockContract(ctx: RelayContext, tx: Queryable, contractId: string): Promise<ContractRow | undefined> {
  return tx.get<ContractRow>(`SELECT ${contractColumns} FROM contracts WHERE contract_id = ?${ctx.db.forUpdate}`, [contractId]);
}

/** Stores a receipt that was just held and closes its contract when that is held too. */
export async function applyReceipt(ctx: RelayContext, tx: Queryable, r: Receipt, sha256: string): Promise<string | undefined> {
  const row: ReceiptRow = {
    pile_id: bytesToHex(r.pileId), seq: r.seq, end_reason: r.endReason, end_detail: r.endDetail, energy_wh: r.energyWh, duration_s: r.durationS,
    amount_minor: r.amountMinor, sha256,
  };
  await tx.run(
    `INSERT INTO receipts (pile_id, seq, contract_seq, end_reason, end_detail, energy_wh, duration_s, amount_minor, end_at_s, sha256, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')`,
    [row.pile_id, r.seq, r.contractSeq, r.endReason, r.endDetail, r.energyWh, r.durationS, r.amountMinor, r.endAtS, sha256],
  );
  const contract = await lockContract(ctx, tx, contractIdHex(r.pileId, r.contractSeq));
  return contract ? closeContract(ctx, tx, contract, row) : undefined;
}

/** A contract just arrived: apply the receipts that were waiting for it (the first one closes it). */
export async function applyWaitingReceipt(ctx: RelayContext, tx: Queryable, pileId: string, contractSeq: number): Promise<void> {
  const waiting = await tx.all<ReceiptRow>("SELECT pile_id, seq, end_reason, end_detail, energy_wh, duration_s, amount_minor, sha256 FROM receipts WHERE pile_id = ? AND contract_seq = ? AND state = 'waiting' ORDER BY seq", [pileId, contractSeq]);
  for (const r of waiting) {
    const contract = await lockContract(ctx, tx, contractIdHex(hexToBytes(pileId), contractSeq));
    if (contract) await closeContract(ctx, tx, contract, r);
  }
}

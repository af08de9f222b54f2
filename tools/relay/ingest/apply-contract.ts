// A newly held Contract (R4, R7, R8): matched against the voucher the relay issued for it, then the
// cap is escrowed on the ledger (provisional debit). When the user's balance is short of the cap
// (the credit line let the voucher through, or funds moved since), an operator advance of the
// shortfall is issued first and recorded as debt (book.ts; repaid first on the next top-up).
// A contract that does not match its voucher is held and acknowledged but marked disputed: no money
// moves for it. A receipt that arrived before its contract is applied now.
import type { Hex } from 'viem';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { chargeLimitOf, isCapped, limitValue } from '../../../contracts-offline/charge-limit.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import { type VoucherTerms, contractVoucherDifferences } from '../../../contracts-offline/voucher-match.ts';
import { changeBook, readBook, recordMoneyMove } from '../billing/book.ts';

import type { RelayContext } from '../context.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';
import type { Queryable } from '../storage/db.ts';
import { applyWaitingReceipt } from './apply-receipt.ts';

type VoucherRow = { voucher_id: string; user_kid: string; pile_id: string; mode: string; limit_value: number | null; cap_minor: number; tariff_version: number; contract_id: string | null };

/** The terms of the voucher as the relay recorded them when it signed it. */
function termsOf(v: VoucherRow): VoucherTerms {
  const limit = chargeLimitOf(v.mode, v.limit_value === null ? undefined : Number(v.limit_value));
  if (!limit.ok) throw new Error(`relay: stored voucher ${v.voucher_id}: ${limit.reason}`);
  return { voucherId: hexToBytes(v.voucher_id), userKid: hexToBytes(v.user_kid), pileId: hexToBytes(v.pile_id), limit: limit.value, capMinor: Number(v.cap_minor), tariffVersion: Number(v.tariff_version) };
}

function voucherProblem(v: VoucherRow | undefined, c: Contract, contractId: string): string | undefined {
  if (!v) return `voucher ${bytesToHex(c.voucherId)} was not issued by this relay`;
  if (v.contract_id !== null && v.contract_id !== contractId) return `voucher ${v.voucher_id} was already used by contract ${v.contract_id}`;
  const differs = contractVoucherDifferences(c, termsOf(v));
  return differs.length ? `contract differs from voucher ${v.voucher_id} in ${differs.join(', ')}` : undefined;
}

/** Applies a contract that was just stored; answers the problem that disputes it, if any. */
export async function applyContract(ctx: RelayContext, tx: Queryable, c: Contract, sha256: string): Promise<string | undefined> {
  const pileId = bytesToHex(c.pileId);
  const userKid = bytesToHex(c.userKid);
  const contractId = contractIdHex(c.pileId, c.seq);
  const nowS = ctx.nowS();
  const voucher = await tx.get<VoucherRow>(`SELECT voucher_id, user_kid, pile_id, mode, limit_value, cap_minor, tariff_version, contract_id FROM vouchers WHERE voucher_id = ?${ctx.db.forUpdate}`, [bytesToHex(c.voucherId)]);
  const book = await readBook(tx, userKid, ctx.db.forUpdate);
  const problem = voucherProblem(voucher, c, contractId) ?? (book ? undefined : `user ${userKid} is not registered`);
  await tx.run(
    `INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, limit_value, cap_minor, capped, tariff_version,
       energy_minor_per_kwh, time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status, problem)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [contractId, pileId, c.seq, userKid, bytesToHex(c.voucherId), c.limit.mode, limitValue(c.limit) ?? null, c.capMinor, isCapped(c.limit.mode) ? 1 : 0,
      c.tariff.version, c.tariff.energyMinorPerKwh, c.tariff.timeMinorPerHour, c.tariff.sessionFeeMinor, c.startAtS, nowS, sha256,
      problem ? 'disputed' : 'provisional', problem ?? null],
  );
  if (!problem && book) {
    await tx.run('UPDATE vouchers SET contract_id = ? WHERE voucher_id = ?', [contractId, voucher!.voucher_id]);
    const ledgerId = `0x${contractId}` as Hex;
    const advance = Math.max(0, c.capMinor - Number(book.book_balance_minor));
    if (advance > 0) {
      const ref = ledgerRef('advance', contractId);
      const outboxId = await enqueueLedgerWrite(tx, { kind: 'issue', ref, user: book.address as Hex, amountMinor: advance }, ctx.nowMs());
      await recordMoneyMove(tx, { ref, kind: 'advance', fromKid: null, toKid: userKid, amountMinor: advance, atS: nowS, contractId, outboxId });
      await tx.run('UPDATE contracts SET advance_minor = ? WHERE contract_id = ?', [advance, contractId]);
      await changeBook(tx, userKid, { balanceMinor: advance, debtMinor: advance });
    }
    await changeBook(tx, userKid, { balanceMinor: -c.capMinor, escrowMinor: c.capMinor });
    await enqueueLedgerWrite(tx, { kind: 'open', contractId: ledgerId, user: book.address as Hex, capMinor: c.capMinor, capped: isCapped(c.limit.mode), hash: `0x${sha256}` }, ctx.nowMs());
  }
  await applyWaitingReceipt(ctx, tx, pileId, c.seq);
  return problem;
}

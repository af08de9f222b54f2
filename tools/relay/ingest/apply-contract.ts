// A newly held Contract (R4, R7, R8): matched against the voucher the relay issued for it, then the
// cap is escrowed on the ledger (provisional debit). When the user's balance is short of the cap
// (the credit line let the voucher through, or funds moved since), an operator advance of the
// shortfall is issued first and recorded as debt (billing/book.ts; repaid first on the next top-up).
// A contract that does not match its voucher is held and acknowledged but marked disputed: no money
// moves for it. A receipt that arrived before its contract is applied now. The rules change the
// commit group's state in memory (group-state.ts).
import type { Hex } from 'viem';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { chargeLimitOf, isCapped, limitValue } from '../../../contracts-offline/charge-limit.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import { type VoucherTerms, contractVoucherDifferences } from '../../../contracts-offline/voucher-match.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';
import type { RelayPolicy } from '../policy.ts';
import { applyWaitingReceipts } from './apply-receipt.ts';
import { type GroupState, type HeldContract, type NewContract, type VoucherRow, changeHeldBook, queueLedgerWrite } from './group-state.ts';

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
export function applyContract(g: GroupState, policy: RelayPolicy, c: Contract, sha256: string): string | undefined {
  const userKid = bytesToHex(c.userKid);
  const contractId = contractIdHex(c.pileId, c.seq);
  const voucher = g.vouchers.get(bytesToHex(c.voucherId));
  const book = g.books.get(userKid);
  const problem = voucherProblem(voucher, c, contractId) ?? (book ? undefined : `user ${userKid} is not registered`);
  const held: HeldContract = {
    contract_id: contractId, user_kid: userKid, cap_minor: c.capMinor, status: problem ? 'disputed' : 'provisional', problem: problem ?? null, receipt_seq: null,
    energy_minor_per_kwh: c.tariff.energyMinorPerKwh, time_minor_per_hour: c.tariff.timeMinorPerHour, session_fee_minor: c.tariff.sessionFeeMinor,
    tariff_version: c.tariff.version, received_at_s: g.nowS,
  };
  const added: NewContract = {
    held, pile_id: bytesToHex(c.pileId), seq: c.seq, voucher_id: bytesToHex(c.voucherId), mode: c.limit.mode, limit_value: limitValue(c.limit) ?? null,
    capped: isCapped(c.limit.mode) ? 1 : 0, start_at_s: c.startAtS, sha256, advance_minor: 0,
  };
  g.contracts.set(contractId, held);
  g.newContracts.push(added);
  if (!problem && book) {
    voucher!.contract_id = contractId;
    g.voucherUses.set(voucher!.voucher_id, contractId);
    const user = book.address as Hex;
    const advance = Math.max(0, c.capMinor - book.book_balance_minor);
    if (advance > 0) {
      const ref = ledgerRef('advance', contractId);
      queueLedgerWrite(g, { kind: 'issue', ref, user, amountMinor: advance }, { ref, kind: 'advance', fromKid: null, toKid: userKid, amountMinor: advance, atS: g.nowS, contractId });
      added.advance_minor = advance;
      changeHeldBook(g, userKid, { balanceMinor: advance, debtMinor: advance });
    }
    changeHeldBook(g, userKid, { balanceMinor: -c.capMinor, escrowMinor: c.capMinor });
    queueLedgerWrite(g, { kind: 'open', contractId: `0x${contractId}`, user, capMinor: c.capMinor, capped: isCapped(c.limit.mode), hash: `0x${sha256}` });
  }
  applyWaitingReceipts(g, policy, held);
  return problem;
}

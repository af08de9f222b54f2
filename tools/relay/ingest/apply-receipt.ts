// A newly held Receipt closes its contract (R6–R8): the settled amount is min(receipt amount,
// tariff rule, cap) (contracts-offline/tariff-cost.ts receiptSettlement); a provisional contract is
// settled (escrow released, the rest refunded), one already charged at its cap (receipt overdue) is
// corrected. A receipt whose contract is not held yet waits for it; a second receipt for one
// contract moves nothing. The rules change the commit group's state in memory (group-state.ts).
import type { Hex } from 'viem';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { receiptSettlement } from '../../../contracts-offline/tariff-cost.ts';
import { creditChange } from '../billing/credit.ts';
import type { RelayPolicy } from '../policy.ts';
import { type GroupState, type HeldContract, type HeldReceipt, addReceipt, changeHeldBook, queueLedgerWrite } from './group-state.ts';

function closeContract(g: GroupState, policy: RelayPolicy, c: HeldContract, r: HeldReceipt): string | undefined {
  r.changed = true;
  if (c.receipt_seq !== null) {
    r.state = 'conflict';
    return `contract ${c.contract_id} already has receipt ${c.receipt_seq}: this one moves nothing`;
  }
  const capMinor = c.cap_minor;
  const tariff = { version: c.tariff_version, energyMinorPerKwh: c.energy_minor_per_kwh, timeMinorPerHour: c.time_minor_per_hour, sessionFeeMinor: c.session_fee_minor };
  const amount = receiptSettlement({ energyWh: Number(r.energy_wh), durationS: Number(r.duration_s), amountMinor: Number(r.amount_minor) }, tariff, capMinor);
  const late = c.status === 'charged-at-cap' || g.nowS - c.received_at_s > policy.receiptOverdueS;
  const mismatch = amount.mismatch ? `amount-mismatch: the receipt says ${r.amount_minor}, the tariff gives ${amount.billedMinor}; settled ${amount.settledMinor}` : undefined;
  const status = c.status === 'provisional' ? 'settled' : c.status === 'charged-at-cap' ? 'corrected' : c.status;
  const credit = creditChange({ status: c.status, amount_minor: null, late: 0 }, { status, amount_minor: amount.settledMinor, late: late ? 1 : 0 });
  const problemBefore = c.problem;
  c.status = status;
  c.problem = c.problem ?? mismatch ?? null;
  c.receipt_seq = r.seq;
  c.closing = {
    receipt_seq: r.seq, end_reason: r.end_reason, end_detail: r.end_detail, energy_wh: r.energy_wh, duration_s: r.duration_s, receipt_amount_minor: r.amount_minor,
    amount_minor: status === 'disputed' ? null : amount.settledMinor, receipt_received_at_s: g.nowS, late: late ? 1 : 0,
  };
  r.state = 'applied';
  if (status === 'disputed') return problemBefore ?? undefined;
  const user = g.books.get(c.user_kid);
  if (!user) throw new Error(`relay: contract ${c.contract_id} names user ${c.user_kid}, who is not registered`);
  const entry = { contractId: `0x${c.contract_id}` as Hex, user: user.address as Hex, capMinor, amountMinor: amount.settledMinor, hash: `0x${r.sha256}` as Hex };
  if (status === 'settled') {
    changeHeldBook(g, c.user_kid, { escrowMinor: -capMinor, balanceMinor: capMinor - amount.settledMinor, ...credit });
    queueLedgerWrite(g, { kind: 'settle', ...entry });
  } else {
    changeHeldBook(g, c.user_kid, { balanceMinor: capMinor - amount.settledMinor, ...credit });
    queueLedgerWrite(g, { kind: 'correct', ...entry });
  }
  return mismatch;
}

/** Holds a receipt that was just stored and closes its contract when that is held too. */
export function applyReceipt(g: GroupState, policy: RelayPolicy, r: Receipt, sha256: string): string | undefined {
  const held: HeldReceipt = {
    pile_id: bytesToHex(r.pileId), seq: r.seq, contract_seq: r.contractSeq, end_reason: r.endReason, end_detail: r.endDetail, energy_wh: r.energyWh,
    duration_s: r.durationS, amount_minor: r.amountMinor, end_at_s: r.endAtS, sha256, state: 'waiting', fresh: true, changed: false,
  };
  const contractId = contractIdHex(r.pileId, r.contractSeq);
  addReceipt(g, contractId, held);
  const contract = g.contracts.get(contractId);
  return contract ? closeContract(g, policy, contract, held) : undefined;
}

/** A contract just arrived: apply the receipts that were waiting for it (the first one closes it). */
export function applyWaitingReceipts(g: GroupState, policy: RelayPolicy, contract: HeldContract): void {
  const waiting = (g.receiptsOf.get(contract.contract_id) ?? []).filter((r) => r.state === 'waiting');
  for (const r of waiting) closeContract(g, policy, contract, r);
}

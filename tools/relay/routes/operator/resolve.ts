// POST /v1/operator/contracts/{contractId}/resolve: an operator decides a disputed contract (held,
// no money moved: ingest/apply-contract.ts) once its receipt is held — the session has ended.
//   settle  the contract is funded as a matching one would have been: the cap escrowed (an operator
//           advance of the shortfall, recorded as debt, when the balance is short: the session
//           happened) and settled on the receipt as the contract's tariff gives it
//           (receiptSettlement: min(receipt amount, tariff cost, cap)); ledger open + settle.
//   void    nothing is charged and nothing is written to the ledger.
// Either way an unused voucher of the user that the contract names stops reserving its cap (the
// pile consumed its nonce with this contract), and the decision is recorded with who, when and why.
// A retry of the same decision answers the recorded one (`repeated`); another decision, or a
// contract that is not disputed, is refused (409 not-disputed).
import type { Hex } from 'viem';
import { type ChargeMode, isCapped } from '../../../../contracts-offline/charge-limit.ts';
import { receiptSettlement } from '../../../../contracts-offline/tariff-cost.ts';
import type { Answer } from '../../../relay-api/routes.ts';
import { changeBook, readBook, recordMoneyMove } from '../../billing/book.ts';
import { creditChange } from '../../billing/credit.ts';
import type { RelayContext } from '../../context.ts';
import { HttpError } from '../../errors.ts';
import type { RouteHandler } from '../../http/routes.ts';
import { enqueueLedgerWrite } from '../../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../../ledger-outbox/refs.ts';
import type { Queryable } from '../../storage/db.ts';
import { type Resolution, resolutionOf } from './decisions.ts';
import { type LedgerWriteState, ledgerWriteState } from '../ledger-write-state.ts';

type Decided = Omit<Answer<'resolveContract', 200>, 'status' | 'txHash' | 'repeated'>;

type ContractRow = {
  contract_id: string; pile_id: string; user_kid: string; voucher_id: string; mode: string; cap_minor: number | string; status: string;
  sha256: string; receipt_seq: number | string | null; energy_wh: number | string | null; duration_s: number | string | null;
  receipt_amount_minor: number | string | null; amount_minor: number | string | null; advance_minor: number | string;
  tariff_version: number | string; energy_minor_per_kwh: number | string; time_minor_per_hour: number | string; session_fee_minor: number | string;
  late: number | string;
};

const CONTRACT_COLUMNS = `contract_id, pile_id, user_kid, voucher_id, mode, cap_minor, status, sha256, receipt_seq, energy_wh, duration_s,
  receipt_amount_minor, amount_minor, advance_minor, tariff_version, energy_minor_per_kwh, time_minor_per_hour, session_fee_minor, late`;

function decided(c: ContractRow, resolution: Resolution): Decided {
  const advanceMinor = Number(c.advance_minor);
  return {
    contractId: c.contract_id,
    ...resolution,
    contractStatus: resolution.decision === 'settle' ? 'settled' : 'voided',
    amountMinor: Number(c.amount_minor ?? 0),
    ...(advanceMinor > 0 && { advanceMinor }),
  };
}

/** Settles a disputed contract whose receipt is held: its ledger writes and the book; answers the settle write's outbox id. */
async function settle(ctx: RelayContext, tx: Queryable, c: ContractRow): Promise<number> {
  const book = await readBook(tx, c.user_kid, ctx.db.forUpdate);
  if (!book) throw new HttpError('unknown-user', `contract ${c.contract_id} names user ${c.user_kid}, who is not registered: it can only be voided`);
  const capMinor = Number(c.cap_minor);
  const tariff = { version: Number(c.tariff_version), energyMinorPerKwh: Number(c.energy_minor_per_kwh), timeMinorPerHour: Number(c.time_minor_per_hour), sessionFeeMinor: Number(c.session_fee_minor) };
  const { settledMinor } = receiptSettlement({ energyWh: Number(c.energy_wh), durationS: Number(c.duration_s), amountMinor: Number(c.receipt_amount_minor) }, tariff, capMinor);
  const receipt = (await tx.get<{ sha256: string }>('SELECT sha256 FROM receipts WHERE pile_id = ? AND seq = ?', [c.pile_id, c.receipt_seq]))!;
  const nowS = ctx.nowS();
  const ledgerId = `0x${c.contract_id}` as Hex;
  const user = book.address as Hex;
  const advance = Math.max(0, capMinor - Number(book.book_balance_minor));
  if (advance > 0) {
    const ref = ledgerRef('advance', c.contract_id);
    const outboxId = await enqueueLedgerWrite(tx, { kind: 'issue', ref, user, amountMinor: advance }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'advance', fromKid: null, toKid: c.user_kid, amountMinor: advance, atS: nowS, contractId: c.contract_id, outboxId });
    await changeBook(tx, c.user_kid, { balanceMinor: advance, debtMinor: advance });
  }
  await enqueueLedgerWrite(tx, { kind: 'open', contractId: ledgerId, user, capMinor, capped: isCapped(c.mode as ChargeMode), hash: `0x${c.sha256}` }, ctx.nowMs());
  const settleId = await enqueueLedgerWrite(tx, { kind: 'settle', contractId: ledgerId, user, capMinor, amountMinor: settledMinor, hash: `0x${receipt.sha256}` }, ctx.nowMs());
  // open and settle together: the cap leaves the balance and all but the amount comes back
  const late = Number(c.late);
  await changeBook(tx, c.user_kid, { balanceMinor: -settledMinor, ...creditChange({ status: c.status, amount_minor: null, late }, { status: 'settled', amount_minor: settledMinor, late }) });
  await tx.run("UPDATE contracts SET status = 'settled', amount_minor = ?, advance_minor = ? WHERE contract_id = ?", [settledMinor, advance, c.contract_id]);
  return settleId;
}

async function settleWriteId(ctx: RelayContext, contractId: string): Promise<number> {
  const row = await ctx.db.get<{ id: number | string }>("SELECT id FROM ledger_outbox WHERE contract_id = ? AND kind = 'settle'", [`0x${contractId}`]);
  return Number(row!.id);
}

export const resolveContract: RouteHandler<'resolveContract'> = async (ctx, { params, body, signer }) => {
  const contractId = params.contractId;
  const decision = body.decision;
  const { answer, settleId, repeated } = await ctx.db.transaction(async (tx) => {
    const c = await tx.get<ContractRow>(`SELECT ${CONTRACT_COLUMNS} FROM contracts WHERE contract_id = ?${ctx.db.forUpdate}`, [contractId]);
    if (!c) throw new HttpError('unknown-contract', `no contract ${contractId} is held`);
    const earlier = await tx.get<Parameters<typeof resolutionOf>[0]>('SELECT contract_id, decision, reason, operator_kid, at_s FROM contract_resolutions WHERE contract_id = ?', [contractId]);
    if (earlier) {
      const resolution = resolutionOf(earlier);
      if (resolution.decision !== decision) throw new HttpError('not-disputed', `contract ${contractId} was resolved already: ${resolution.decision} by ${resolution.operatorKid} at ${resolution.atS} ("${resolution.reason}")`);
      return { answer: decided(c, resolution), settleId: undefined, repeated: true };
    }
    if (c.status !== 'disputed') throw new HttpError('not-disputed', `contract ${contractId} is ${c.status}, not disputed: only a disputed contract is resolved`);
    if (c.receipt_seq === null) throw new HttpError('receipt-outstanding', `contract ${contractId} has no receipt at the relay yet: the session may still run; resolve it once a phone carries the receipt`);
    const atS = ctx.nowS();
    await tx.run('UPDATE vouchers SET cancelled_at_s = ? WHERE voucher_id = ? AND user_kid = ? AND contract_id IS NULL AND cancelled_at_s IS NULL', [atS, c.voucher_id, c.user_kid]);
    let settleId: number | undefined;
    if (decision === 'settle') settleId = await settle(ctx, tx, c);
    else await tx.run("UPDATE contracts SET status = 'voided' WHERE contract_id = ?", [contractId]);
    await tx.run('INSERT INTO contract_resolutions (contract_id, decision, reason, operator_kid, at_s) VALUES (?, ?, ?, ?, ?)', [contractId, decision, body.reason, signer.kid, atS]);
    const updated = (await tx.get<ContractRow>(`SELECT ${CONTRACT_COLUMNS} FROM contracts WHERE contract_id = ?`, [contractId]))!;
    return { answer: decided(updated, { decision, reason: body.reason, operatorKid: signer.kid, atS }), settleId, repeated: false };
  });
  // a void writes nothing to the ledger: it is applied once recorded
  const state: LedgerWriteState = decision === 'settle' ? await ledgerWriteState(ctx, settleId ?? (await settleWriteId(ctx, contractId))) : { status: 'applied' };
  const resolved = { ...answer, ...(repeated && { repeated: true as const }) };
  return state.status === 'pending' ? { status: 202, body: { ...resolved, ...state } } : { status: 200, body: { ...resolved, ...state } };
};

// POST /v1/operator/contracts/{contractId}/refund: money back to the user of a settled or corrected
// contract, at most what it charged minus earlier refunds. On the ledger it is an operator transfer
// from the revenue account — where every settled amount was paid — to the user's account
// (TapchargeLedger operatorTransfer: conservation holds, the ref makes it idempotent), queued in the
// outbox with a money move of kind 'refund' tied to the contract, and who and why in `refunds`.
// Once per idempotency key as the other money moves (routes/money.ts): the ledger ref is derived
// from the operator and the key; a retry answers the first refund (`repeated`), the key for another
// refund is refused (409 idempotency-key-reused).
import type { Hex } from 'viem';
import { changeBook, readBook, recordMoneyMove } from '../../billing/book.ts';
import { HttpError } from '../../errors.ts';
import type { RouteHandler } from '../../http/routes.ts';
import { enqueueLedgerWrite } from '../../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../../ledger-outbox/refs.ts';
import type { Queryable } from '../../storage/db.ts';
import { ledgerWriteState } from '../ledger-write-state.ts';

type MoveRow = { kind: string; contract_id: string | null; amount_minor: number | string; outbox_id: number | string };

async function refundedMinor(q: Queryable, contractId: string): Promise<number> {
  const row = await q.get<{ minor: number | string }>("SELECT COALESCE(SUM(amount_minor), 0) AS minor FROM money_moves WHERE contract_id = ? AND kind = 'refund'", [contractId]);
  return Number(row?.minor ?? 0);
}

export const refundContract: RouteHandler<'refundContract'> = async (ctx, { params, body, signer }) => {
  const contractId = params.contractId;
  const amountMinor = body.amountMinor;
  const ref = ledgerRef('refund', signer.kid, body.idempotencyKey.toLowerCase());
  const { outboxId, userKid, chargedMinor, refunded, repeated } = await ctx.db.transaction(async (tx) => {
    const c = await tx.get<{ user_kid: string; status: string; amount_minor: number | string | null }>(
      `SELECT user_kid, status, amount_minor FROM contracts WHERE contract_id = ?${ctx.db.forUpdate}`,
      [contractId],
    );
    if (!c) throw new HttpError('unknown-contract', `no contract ${contractId} is held`);
    const chargedMinor = Number(c.amount_minor ?? 0);
    const earlier = await tx.get<MoveRow>('SELECT kind, contract_id, amount_minor, outbox_id FROM money_moves WHERE ref = ?', [ref]);
    if (earlier) {
      if (earlier.kind !== 'refund' || earlier.contract_id !== contractId || Number(earlier.amount_minor) !== amountMinor) {
        throw new HttpError('idempotency-key-reused', `this idempotency key already made a ${earlier.kind} of ${earlier.amount_minor}${earlier.contract_id ? ` for contract ${earlier.contract_id}` : ''}: use a new key for another refund`);
      }
      return { outboxId: Number(earlier.outbox_id), userKid: c.user_kid, chargedMinor, refunded: await refundedMinor(tx, contractId), repeated: true };
    }
    if (c.status !== 'settled' && c.status !== 'corrected') throw new HttpError('not-refundable', `contract ${contractId} is ${c.status}: only a settled or corrected contract is refunded`);
    const before = await refundedMinor(tx, contractId);
    if (amountMinor > chargedMinor - before) {
      throw new HttpError('refund-above-charged', `refund of ${amountMinor} asked; contract ${contractId} charged ${chargedMinor} and ${before} was refunded already: at most ${chargedMinor - before}`);
    }
    const book = (await readBook(tx, c.user_kid, ctx.db.forUpdate))!;
    const atS = ctx.nowS();
    const id = await enqueueLedgerWrite(tx, { kind: 'transfer', ref, user: ctx.ledger.revenueAccount, to: book.address as Hex, amountMinor }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'refund', fromKid: null, toKid: c.user_kid, amountMinor, atS, contractId, outboxId: id });
    await tx.run('INSERT INTO refunds (ref, contract_id, reason, operator_kid) VALUES (?, ?, ?, ?)', [ref, contractId, body.reason, signer.kid]);
    await changeBook(tx, c.user_kid, { balanceMinor: amountMinor });
    return { outboxId: id, userKid: c.user_kid, chargedMinor, refunded: before + amountMinor, repeated: false };
  });
  const state = await ledgerWriteState(ctx, outboxId);
  const refund = { ref, contractId, userKid, amountMinor, chargedMinor, refundedMinor: refunded, ...(repeated && { repeated: true as const }) };
  return state.status === 'pending' ? { status: 202, body: { ...refund, ...state } } : { status: 200, body: { ...refund, ...state } };
};

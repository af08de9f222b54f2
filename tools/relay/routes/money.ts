// Money on the ledger through the outbox: top-ups by operators (issue; repays the user's credit
// advances first) and transfers between users (circulation, only from the user's own funds).
// Each answers 200 once the ledger has the write, 202 when it is still queued after ledgerWaitMs.
// A move's ledger ref is derived from its author and idempotency key, so a retry after a lost
// answer (new nonce, same key) finds the move it already made and answers it again; the same key
// with another amount or recipient is refused (409 idempotency-key-reused).
import type { Hex } from 'viem';
import { type UserBookRow, changeBook, readBook, recordMoneyMove, standingOf } from '../billing/book.ts';
import { HttpError, invalidField } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { ledgerWriteState } from './ledger-write-state.ts';
import type { Queryable } from '../storage/db.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';

type MoveRow = { kind: string; from_kid: string | null; to_kid: string | null; amount_minor: number | string; outbox_id: number | string };

/** The move already made under `ref`, if any; refused when it is not the move asked for now. */
async function earlierMove(q: Queryable, ref: Hex, asked: { kind: string; fromKid: string | null; toKid: string; amountMinor: number }): Promise<MoveRow | undefined> {
  const row = await q.get<MoveRow>('SELECT kind, from_kid, to_kid, amount_minor, outbox_id FROM money_moves WHERE ref = ?', [ref]);
  if (!row) return undefined;
  if (row.kind !== asked.kind || row.from_kid !== asked.fromKid || row.to_kid !== asked.toKid || Number(row.amount_minor) !== asked.amountMinor) {
    throw new HttpError('idempotency-key-reused', `this idempotency key already made a ${row.kind} of ${row.amount_minor} to ${row.to_kid}: use a new key for another move`);
  }
  return row;
}

const issue: RouteHandler<'issue'> = async (ctx, { body, signer }) => {
  const userKid = body.userKid.toLowerCase();
  const amountMinor = body.amountMinor;
  const ref = ledgerRef('issue', signer.kid, body.idempotencyKey.toLowerCase());
  const nowS = ctx.nowS();
  const { outboxId, repaidMinor, repeated } = await ctx.db.transaction(async (tx) => {
    const book = await readBook(tx, userKid, ctx.db.forUpdate);
    if (!book) throw new HttpError('unknown-user', `no user with key id ${userKid}`);
    const earlier = await earlierMove(tx, ref, { kind: 'issue', fromKid: null, toKid: userKid, amountMinor });
    if (earlier) {
      const repay = await tx.get<{ amount_minor: number | string }>('SELECT amount_minor FROM money_moves WHERE ref = ?', [ledgerRef('repay', ref)]);
      return { outboxId: Number(earlier.outbox_id), repaidMinor: Number(repay?.amount_minor ?? 0), repeated: true };
    }
    const repaid = Math.min(Number(book.debt_minor), amountMinor);
    const id = await enqueueLedgerWrite(tx, { kind: 'issue', ref, user: book.address as Hex, amountMinor }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'issue', fromKid: null, toKid: userKid, amountMinor, atS: nowS, contractId: null, outboxId: id });
    if (repaid > 0) {
      const repayRef = ledgerRef('repay', ref);
      const repayId = await enqueueLedgerWrite(tx, { kind: 'redeem', ref: repayRef, user: book.address as Hex, amountMinor: repaid }, ctx.nowMs());
      await recordMoneyMove(tx, { ref: repayRef, kind: 'repay', fromKid: userKid, toKid: null, amountMinor: repaid, atS: nowS, contractId: null, outboxId: repayId });
    }
    await changeBook(tx, userKid, { balanceMinor: amountMinor - repaid, debtMinor: -repaid });
    return { outboxId: id, repaidMinor: repaid, repeated: false };
  });
  const state = await ledgerWriteState(ctx, outboxId);
  const moved = { ref, userKid, amountMinor, repaidMinor, ...(repeated && { repeated: true as const }) };
  return state.status === 'pending' ? { status: 202, body: { ...moved, ...state } } : { status: 200, body: { ...moved, ...state } };
};

const transfer: RouteHandler<'transfer'> = async (ctx, { body, signer }) => {
  const toKid = body.toKid.toLowerCase();
  const amountMinor = body.amountMinor;
  const fromKid = signer.kid;
  if (toKid === fromKid) throw invalidField('toKid', 'must be another user');
  const ref = ledgerRef('transfer', fromKid, body.idempotencyKey.toLowerCase());
  const nowS = ctx.nowS();
  const { outboxId, repeated } = await ctx.db.transaction(async (tx) => {
    const books = new Map<string, UserBookRow | undefined>();
    for (const kid of [fromKid, toKid].sort()) books.set(kid, await readBook(tx, kid, ctx.db.forUpdate));
    const from = books.get(fromKid)!;
    const to = books.get(toKid);
    if (!to) throw new HttpError('unknown-user', `no user with key id ${toKid}`);
    const earlier = await earlierMove(tx, ref, { kind: 'transfer', fromKid, toKid, amountMinor });
    if (earlier) return { outboxId: Number(earlier.outbox_id), repeated: true };
    const own = (await standingOf(tx, from, nowS, ctx.policy)).ownMinor;
    if (own < amountMinor) throw new HttpError('insufficient-funds', `${amountMinor} asked, own funds (balance − reserved − credit used) are ${Math.max(own, 0)}`);
    const id = await enqueueLedgerWrite(tx, { kind: 'transfer', ref, user: from.address as Hex, to: to.address as Hex, amountMinor }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'transfer', fromKid, toKid, amountMinor, atS: nowS, contractId: null, outboxId: id });
    await changeBook(tx, fromKid, { balanceMinor: -amountMinor });
    await changeBook(tx, toKid, { balanceMinor: amountMinor });
    return { outboxId: id, repeated: false };
  });
  const state = await ledgerWriteState(ctx, outboxId);
  const moved = { ref, fromKid, toKid, amountMinor, ...(repeated && { repeated: true as const }) };
  return state.status === 'pending' ? { status: 202, body: { ...moved, ...state } } : { status: 200, body: { ...moved, ...state } };
};

export const moneyHandlers = { issue, transfer };

// Money on the ledger through the outbox: top-ups by operators (issue; repays the user's credit
// advances first) and transfers between users (circulation, only from the user's own funds).
// Each answers 200 once the ledger has the write, 202 when it is still queued after ledgerWaitMs.
import type { Hex } from 'viem';
import { type UserBookRow, changeBook, readBook, recordMoneyMove, standingOf } from '../billing/book.ts';
import type { RelayContext } from '../context.ts';
import { HttpError, invalidField } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';

type Written = { status: 'applied'; txHash?: `0x${string}` } | { status: 'pending' };

/** 200 once the ledger has the write, 202 while it is still queued after ledgerWaitMs. */
async function written(ctx: RelayContext, outboxId: number): Promise<Written> {
  const row = await ctx.outbox.waitFor(outboxId, ctx.policy.ledgerWaitMs);
  if (row.state === 'rejected') throw new HttpError('ledger-refused', `the ledger refused the write: ${row.error}`);
  return row.state === 'pending' ? { status: 'pending' } : { status: 'applied', ...(row.txHash ? { txHash: row.txHash } : {}) };
}

const issue: RouteHandler<'issue'> = async (ctx, { body, signer }) => {
  const userKid = body.userKid.toLowerCase();
  const amountMinor = body.amountMinor;
  const ref = ledgerRef('issue', signer.kid, signer.nonce);
  const nowS = ctx.nowS();
  const { outboxId, repaidMinor } = await ctx.db.transaction(async (tx) => {
    const book = await readBook(tx, userKid, ctx.db.forUpdate);
    if (!book) throw new HttpError('unknown-user', `no user with key id ${userKid}`);
    const repaid = Math.min(Number(book.debt_minor), amountMinor);
    const id = await enqueueLedgerWrite(tx, { kind: 'issue', ref, user: book.address as Hex, amountMinor }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'issue', fromKid: null, toKid: userKid, amountMinor, atS: nowS, contractId: null, outboxId: id });
    if (repaid > 0) {
      const repayRef = ledgerRef('repay', ref);
      const repayId = await enqueueLedgerWrite(tx, { kind: 'redeem', ref: repayRef, user: book.address as Hex, amountMinor: repaid }, ctx.nowMs());
      await recordMoneyMove(tx, { ref: repayRef, kind: 'repay', fromKid: userKid, toKid: null, amountMinor: repaid, atS: nowS, contractId: null, outboxId: repayId });
    }
    await changeBook(tx, userKid, { balanceMinor: amountMinor - repaid, debtMinor: -repaid });
    return { outboxId: id, repaidMinor: repaid };
  });
  const state = await written(ctx, outboxId);
  const moved = { ref, userKid, amountMinor, repaidMinor };
  return state.status === 'pending' ? { status: 202, body: { ...moved, ...state } } : { status: 200, body: { ...moved, ...state } };
};

const transfer: RouteHandler<'transfer'> = async (ctx, { body, signer }) => {
  const toKid = body.toKid.toLowerCase();
  const amountMinor = body.amountMinor;
  const fromKid = signer.kid;
  if (toKid === fromKid) throw invalidField('toKid', 'must be another user');
  const ref = ledgerRef('transfer', fromKid, signer.nonce);
  const nowS = ctx.nowS();
  const outboxId = await ctx.db.transaction(async (tx) => {
    const books = new Map<string, UserBookRow | undefined>();
    for (const kid of [fromKid, toKid].sort()) books.set(kid, await readBook(tx, kid, ctx.db.forUpdate));
    const from = books.get(fromKid)!;
    const to = books.get(toKid);
    if (!to) throw new HttpError('unknown-user', `no user with key id ${toKid}`);
    const own = (await standingOf(tx, from, nowS, ctx.policy)).ownMinor;
    if (own < amountMinor) throw new HttpError('insufficient-funds', `${amountMinor} asked, own funds (balance − reserved − credit used) are ${Math.max(own, 0)}`);
    const id = await enqueueLedgerWrite(tx, { kind: 'transfer', ref, user: from.address as Hex, to: to.address as Hex, amountMinor }, ctx.nowMs());
    await recordMoneyMove(tx, { ref, kind: 'transfer', fromKid, toKid, amountMinor, atS: nowS, contractId: null, outboxId: id });
    await changeBook(tx, fromKid, { balanceMinor: -amountMinor });
    await changeBook(tx, toKid, { balanceMinor: amountMinor });
    return id;
  });
  const state = await written(ctx, outboxId);
  const moved = { ref, fromKid, toKid, amountMinor };
  return state.status === 'pending' ? { status: 202, body: { ...moved, ...state } } : { status: 200, body: { ...moved, ...state } };
};

export const moneyHandlers = { issue, transfer };

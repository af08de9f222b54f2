// Money on the ledger through the outbox: top-ups by operators (issue; repays the user's credit
// advances first) and transfers between users (circulation, only from the user's own funds).
// Each answers 200 once the ledger has the write, 202 when it is still queued after ledgerWaitMs.
import type { Hex } from 'viem';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { type UserBookRow, changeBook, readBook, recordMoneyMove, standingOf } from '../billing/book.ts';
import type { RelayContext } from '../context.ts';
import { HttpError, invalidField, notFound } from '../http/errors.ts';
import { JsonFields } from '../http/fields.ts';
import type { Route, RouteReply } from '../http/routes.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import { ledgerRef } from '../ledger-outbox/refs.ts';

export const MONEY_MAX_MINOR = 1_000_000_000_000;

async function answerWhenWritten(ctx: RelayContext, outboxId: number, body: Record<string, unknown>): Promise<RouteReply> {
  const row = await ctx.outbox.waitFor(outboxId, ctx.policy.ledgerWaitMs);
  if (row.state === 'rejected') throw new HttpError(502, 'ledger-refused', `the ledger refused the write: ${row.error}`);
  if (row.state === 'pending') return { status: 202, body: { ...body, status: 'pending' } };
  return { status: 200, body: { ...body, status: 'applied', txHash: row.txHash } };
}

const issue: Route = {
  method: 'POST',
  pattern: '/v1/issue',
  signedBy: 'operator',
  async handle(ctx, { body, signer }) {
    const f = JsonFields.of(body, ['userKid', 'amountMinor', 'nonce', 'atS']);
    const userKid = bytesToHex(f.hex('userKid', 8));
    const amountMinor = f.int('amountMinor', 1, MONEY_MAX_MINOR);
    const ref = ledgerRef('issue', signer!.kid, signer!.nonce);
    const nowS = ctx.nowS();
    const { outboxId, repaidMinor } = await ctx.db.transaction(async (tx) => {
      const book = await readBook(tx, userKid, ctx.db.forUpdate);
      if (!book) throw notFound('unknown-user', `no user with key id ${userKid}`);
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
    return answerWhenWritten(ctx, outboxId, { ref, userKid, amountMinor, repaidMinor });
  },
};

const transfer: Route = {
  method: 'POST',
  pattern: '/v1/transfers',
  signedBy: 'user',
  async handle(ctx, { body, signer }) {
    const f = JsonFields.of(body, ['toKid', 'amountMinor', 'nonce', 'atS']);
    const toKid = bytesToHex(f.hex('toKid', 8));
    const amountMinor = f.int('amountMinor', 1, MONEY_MAX_MINOR);
    const fromKid = signer!.kid;
    if (toKid === fromKid) throw invalidField('toKid', 'must be another user');
    const ref = ledgerRef('transfer', fromKid, signer!.nonce);
    const nowS = ctx.nowS();
    const outboxId = await ctx.db.transaction(async (tx) => {
      const books = new Map<string, UserBookRow | undefined>();
      for (const kid of [fromKid, toKid].sort()) books.set(kid, await readBook(tx, kid, ctx.db.forUpdate));
      const from = books.get(fromKid)!;
      const to = books.get(toKid);
      if (!to) throw notFound('unknown-user', `no user with key id ${toKid}`);
      const own = (await standingOf(tx, from, nowS, ctx.policy)).ownMinor;
      if (own < amountMinor) throw new HttpError(402, 'insufficient-funds', `${amountMinor} asked, own funds (balance − reserved − credit used) are ${Math.max(own, 0)}`);
      const id = await enqueueLedgerWrite(tx, { kind: 'transfer', ref, user: from.address as Hex, to: to.address as Hex, amountMinor }, ctx.nowMs());
      await recordMoneyMove(tx, { ref, kind: 'transfer', fromKid, toKid, amountMinor, atS: nowS, contractId: null, outboxId: id });
      await changeBook(tx, fromKid, { balanceMinor: -amountMinor });
      await changeBook(tx, toKid, { balanceMinor: amountMinor });
      return id;
    });
    return answerWhenWritten(ctx, outboxId, { ref, fromKid, toKid, amountMinor });
  },
};

export const moneyRoutes: readonly Route[] = [issue, transfer];

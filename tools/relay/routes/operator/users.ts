// GET /v1/operator/users: every user with the balances on the ledger and in the relay's book, the
// credit line (R11) and what it rests on, and what is open, disputed or refunded.
import type { Address } from 'viem';
import type { Answer } from '../../../relay-api/routes.ts';
import { BOOK_COLUMNS, type UserBookRow, standingOf } from '../../billing/book.ts';
import type { RouteHandler } from '../../http/routes.ts';

type OperatorUser = Answer<'operatorUsers', 200>['users'][number];
type UserRow = UserBookRow & { display_name: string; created_at_s: number | string };
type CountsRow = { open_contracts: number | string; disputed_contracts: number | string; refunded_minor: number | string };

export const operatorUsers: RouteHandler<'operatorUsers'> = async (ctx) => {
  const nowS = ctx.nowS();
  const rows = await ctx.db.all<UserRow>(`SELECT ${BOOK_COLUMNS}, display_name, created_at_s FROM users ORDER BY created_at_s, kid`);
  const users: OperatorUser[] = [];
  for (const row of rows) {
    const standing = await standingOf(ctx.db, row, nowS, ctx.policy);
    const counts = (await ctx.db.get<CountsRow>(
      `SELECT (SELECT COUNT(*) FROM contracts WHERE user_kid = ? AND status IN ('provisional', 'charged-at-cap')) AS open_contracts,
              (SELECT COUNT(*) FROM contracts WHERE user_kid = ? AND status = 'disputed') AS disputed_contracts,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM money_moves WHERE to_kid = ? AND kind = 'refund') AS refunded_minor`,
      [row.kid, row.kid, row.kid],
    ))!;
    const address = row.address as Address;
    const [balance, escrow] = await Promise.all([ctx.ledger.balanceOf(address), ctx.ledger.escrowOf(address)]);
    users.push({
      kid: row.kid,
      displayName: row.display_name,
      address,
      registeredAtS: Number(row.created_at_s),
      balanceMinor: Number(balance),
      escrowMinor: Number(escrow),
      bookBalanceMinor: standing.balanceMinor,
      bookEscrowMinor: standing.escrowMinor,
      reservedMinor: standing.reservedMinor,
      availableMinor: standing.availableMinor,
      creditLimitMinor: standing.creditLimitMinor,
      creditUsedMinor: standing.debtMinor,
      openContracts: Number(counts.open_contracts),
      disputedContracts: Number(counts.disputed_contracts),
      ...standing.history,
      refundedMinor: Number(counts.refunded_minor),
    });
  }
  return { status: 200, body: { users } };
};

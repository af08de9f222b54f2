// How a money move answers (top-ups, transfers, an operator's resolve or refund): 200 once its
// ledger write is on the ledger, 202 while it is still queued after ledgerWaitMs.
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';

export type LedgerWriteState = { status: 'applied'; txHash?: `0x${string}` } | { status: 'pending' };

export async function ledgerWriteState(ctx: RelayContext, outboxId: number): Promise<LedgerWriteState> {
  const row = await ctx.outbox.waitFor(outboxId, ctx.policy.ledgerWaitMs);
  if (row.state === 'rejected') throw new HttpError('ledger-refused', `the ledger refused the write: ${row.error}`);
  return row.state === 'pending' ? { status: 'pending' } : { status: 'applied', ...(row.txHash ? { txHash: row.txHash } : {}) };
}

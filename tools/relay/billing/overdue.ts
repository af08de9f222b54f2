// Capped contracts whose receipt is overdue (R7): after receiptOverdueS without a receipt the
// provisional debit becomes a charge at the cap (a charge-cap batch entry: escrow → revenue). The receipt,
// when some phone finally carries it, corrects the charge to the metered amount and counts as a
// late receipt in the user's credit record. Open (full) contracts are never charged at a cap: the
// user stays blocked until their receipt arrives (R8).
import type { Hex } from 'viem';
import type { RelayContext } from '../context.ts';
import { enqueueLedgerWrite } from '../ledger-outbox/enqueue.ts';
import { changeBook } from './book.ts';
import { creditChange } from './credit.ts';

const SWEEP_LIMIT = 100;

/** Charges every overdue capped contract at its cap; answers whether any was. */
export async function chargeOverdueContracts(ctx: RelayContext): Promise<boolean> {
  const dueBeforeS = ctx.nowS() - ctx.policy.receiptOverdueS;
  const due = await ctx.db.all<{ contract_id: string }>(
    `SELECT contract_id FROM contracts WHERE status = 'provisional' AND capped = 1 AND received_at_s < ? ORDER BY received_at_s LIMIT ${SWEEP_LIMIT}`,
    [dueBeforeS],
  );
  for (const { contract_id: contractId } of due) {
    await ctx.db.transaction(async (tx) => {
      const c = await tx.get<{ user_kid: string; cap_minor: number; status: string; sha256: string }>(
        `SELECT user_kid, cap_minor, status, sha256 FROM contracts WHERE contract_id = ?${ctx.db.forUpdate}`,
        [contractId],
      );
      if (!c || c.status !== 'provisional') return; // a receipt won the race
      const user = await tx.get<{ address: Hex }>('SELECT address FROM users WHERE kid = ?', [c.user_kid]);
      const capMinor = Number(c.cap_minor);
      await tx.run("UPDATE contracts SET status = 'charged-at-cap' WHERE contract_id = ?", [contractId]);
      await changeBook(tx, c.user_kid, { escrowMinor: -capMinor, ...creditChange({ status: 'provisional', amount_minor: null, late: 0 }, { status: 'charged-at-cap', amount_minor: null, late: 0 }) });
      await enqueueLedgerWrite(tx, { kind: 'charge-cap', contractId: `0x${contractId}`, user: user!.address, capMinor, hash: `0x${c.sha256}` }, ctx.nowMs());
    });
  }
  return due.length > 0;
}

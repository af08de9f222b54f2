// The credit record of a user (R11), from settled history only:
//   settledSessions, settledAmountMinor — contracts settled or corrected on the ledger;
//   lateReceipts — receipts that arrived after the contract was charged at its cap or later than
//     receiptOverdueS, plus capped contracts charged at cap whose receipt is still missing.
// limit = 0 below minSettledSessions, else min(maxCreditMinor, settled × limitPercentOfSettled / 100),
// reduced by lateReceiptPenaltyPercent of itself per late receipt (floored at 0). Integer arithmetic.
import type { CreditPolicy } from '../policy.ts';
import type { Queryable } from '../storage/db.ts';

export type CreditHistory = { settledSessions: number; settledAmountMinor: number; lateReceipts: number };

export function creditLimitMinor(history: CreditHistory, policy: CreditPolicy): number {
  if (history.settledSessions < policy.minSettledSessions) return 0;
  const base = Math.min(policy.maxCreditMinor, Math.floor((history.settledAmountMinor * policy.limitPercentOfSettled) / 100));
  const penaltyPercent = Math.min(100, history.lateReceipts * policy.lateReceiptPenaltyPercent);
  return Math.floor((base * (100 - penaltyPercent)) / 100);
}

export async function creditHistory(q: Queryable, userKid: string): Promise<CreditHistory> {
  const row = await q.get<{ sessions: number; amount: number; late: number; overdue: number }>(
    `SELECT COUNT(CASE WHEN status IN ('settled', 'corrected') THEN 1 END) AS sessions,
            COALESCE(SUM(CASE WHEN status IN ('settled', 'corrected') THEN amount_minor ELSE 0 END), 0) AS amount,
            COALESCE(SUM(CASE WHEN status IN ('settled', 'corrected') THEN late ELSE 0 END), 0) AS late,
            COUNT(CASE WHEN status = 'charged-at-cap' THEN 1 END) AS overdue
       FROM contracts WHERE user_kid = ?`,
    [userKid],
  );
  return { settledSessions: Number(row?.sessions ?? 0), settledAmountMinor: Number(row?.amount ?? 0), lateReceipts: Number(row?.late ?? 0) + Number(row?.overdue ?? 0) };
}

// The credit record of a user (R11), from settled history only, kept in the user's row (book.ts)
// by every change of a contract's status (creditChange):
//   settledSessions, settledAmountMinor — contracts settled or corrected on the ledger;
//   lateReceipts — receipts that arrived after the contract was charged at its cap or later than
//     receiptOverdueS, plus capped contracts charged at cap whose receipt is still missing.
// limit = 0 below minSettledSessions, else min(maxCreditMinor, settled × limitPercentOfSettled / 100),
// reduced by lateReceiptPenaltyPercent of itself per late receipt (floored at 0). Integer arithmetic.
import type { CreditPolicy } from '../policy.ts';

export type CreditHistory = { settledSessions: number; settledAmountMinor: number; lateReceipts: number };

export function creditLimitMinor(history: CreditHistory, policy: CreditPolicy): number {
  if (history.settledSessions < policy.minSettledSessions) return 0;
  const base = Math.min(policy.maxCreditMinor, Math.floor((history.settledAmountMinor * policy.limitPercentOfSettled) / 100));
  const penaltyPercent = Math.min(100, history.lateReceipts * policy.lateReceiptPenaltyPercent);
  return Math.floor((base * (100 - penaltyPercent)) / 100);
}

/** What one contract adds to its user's credit record, by its status. */
export function creditOf(c: { status: string; amount_minor: number | null; late: number }): CreditHistory {
  const settled = c.status === 'settled' || c.status === 'corrected';
  return {
    settledSessions: settled ? 1 : 0,
    settledAmountMinor: settled ? Number(c.amount_minor ?? 0) : 0,
    lateReceipts: (settled ? c.late : 0) + (c.status === 'charged-at-cap' ? 1 : 0),
  };
}

type ContractCredit = Parameters<typeof creditOf>[0];

/** The change to the user's credit record (a book change, book.ts) when a contract's row goes from `before` to `after`. */
export function creditChange(before: ContractCredit, after: ContractCredit): CreditHistory {
  const [b, a] = [creditOf(before), creditOf(after)];
  return { settledSessions: a.settledSessions - b.settledSessions, settledAmountMinor: a.settledAmountMinor - b.settledAmountMinor, lateReceipts: a.lateReceipts - b.lateReceipts };
}

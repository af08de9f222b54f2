// The relay's business settings, each with its default: voucher caps per mode, the credit line
// (R11), how long an unanswered receipt may wait. Integers only; see README.md. How long a
// voucher reserves its cap is not a setting: contracts-offline/voucher-lifetime.ts.
export type CapPolicy = {
  /** Energy mode: time allowed for the energy (the time fee runs meanwhile), at least the time at maxPowerW. */
  energyModeDurationS: number;
  /** Full (open) mode: the cap is min(available incl. credit, this). */
  maxOpenCapMinor: number;
  /** Full (open) mode: refused (402) when less than this is available. */
  minOpenCapMinor: number;
};

export type CreditPolicy = {
  /** No credit before this many settled sessions. */
  minSettledSessions: number;
  /** Credit limit = this percent of the amount settled so far… */
  limitPercentOfSettled: number;
  /** …never above this… */
  maxCreditMinor: number;
  /** …minus this percent of it per late receipt (100 = one late receipt ends the credit line). */
  lateReceiptPenaltyPercent: number;
};

export type RelayPolicy = {
  caps: CapPolicy;
  credit: CreditPolicy;
  /** A capped contract whose receipt has not arrived after this is charged at its cap (a charge-cap entry); a later receipt corrects it. */
  receiptOverdueS: number;
  /** How long POST /v1/issue and /v1/transfers wait for the ledger before answering 202. */
  ledgerWaitMs: number;
  /** How long a settlement batch with room for more entries waits for them before it goes to the ledger (a request that waits for its write sends at once). */
  ledgerBatchWaitMs: number;
  /** A pile no record has arrived for in this long (since its registration when none ever did) is listed as silent to operators. */
  pileSilentAfterS: number;
  /** How long a session token (POST /v1/operator/tokens) lets an operator's browser read, on the relay's clock. */
  operatorSessionS: number;
};

export const defaultPolicy: RelayPolicy = Object.freeze({
  caps: Object.freeze({ energyModeDurationS: 4 * 3600, maxOpenCapMinor: 10_000, minOpenCapMinor: 500 }),
  credit: Object.freeze({ minSettledSessions: 3, limitPercentOfSettled: 25, maxCreditMinor: 5_000, lateReceiptPenaltyPercent: 50 }),
  receiptOverdueS: 2 * 86_400,
  ledgerWaitMs: 10_000,
  // Fuller batches cost less gas a session and less relay CPU; a second is nothing to a session that lasted an hour.
  ledgerBatchWaitMs: 1_000,
  // A pile's records reach the relay whenever a phone taps it, so a pile in use is heard of daily;
  // two days without a record — as long as a receipt may wait before its cap is charged — is worth a look.
  pileSilentAfterS: 2 * 86_400,
  // A working day at the dashboard; a token is a bearer credential, so it dies with the day.
  operatorSessionS: 12 * 3600,
});

export type PolicyOverrides = { caps?: Partial<CapPolicy>; credit?: Partial<CreditPolicy> } & Partial<Omit<RelayPolicy, 'caps' | 'credit'>>;

export function policyWith(overrides: PolicyOverrides = {}): RelayPolicy {
  const policy: RelayPolicy = {
    ...defaultPolicy,
    ...overrides,
    caps: { ...defaultPolicy.caps, ...overrides.caps },
    credit: { ...defaultPolicy.credit, ...overrides.credit },
  };
  const check = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`relay policy: "${name}" expected an integer ${min}..${max}, got ${value}`);
  };
  check('caps.energyModeDurationS', policy.caps.energyModeDurationS, 1);
  check('caps.maxOpenCapMinor', policy.caps.maxOpenCapMinor, 1, 0xffff_ffff);
  check('caps.minOpenCapMinor', policy.caps.minOpenCapMinor, 1, policy.caps.maxOpenCapMinor);
  check('credit.minSettledSessions', policy.credit.minSettledSessions, 0);
  check('credit.limitPercentOfSettled', policy.credit.limitPercentOfSettled, 0, 1000);
  check('credit.maxCreditMinor', policy.credit.maxCreditMinor, 0);
  check('credit.lateReceiptPenaltyPercent', policy.credit.lateReceiptPenaltyPercent, 0, 100);
  check('receiptOverdueS', policy.receiptOverdueS, 1);
  check('ledgerWaitMs', policy.ledgerWaitMs, 0);
  check('ledgerBatchWaitMs', policy.ledgerBatchWaitMs, 0, 60_000);
  check('pileSilentAfterS', policy.pileSilentAfterS, 1);
  check('operatorSessionS', policy.operatorSessionS, 60, 7 * 86_400);
  return policy;
}

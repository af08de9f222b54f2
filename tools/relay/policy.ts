// The relay's business settings, each with its default: voucher caps per mode, the credit line
// (R11), how long a voucher or an unanswered receipt may wait. Integers only; see README.md.
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
  /** A voucher must reach its pile within this (the pile keeps a tap nonce 15 minutes). */
  voucherTtlS: number;
  /** A capped contract whose receipt has not arrived after this is charged at its cap (chargeCap); a later receipt corrects it. */
  receiptOverdueS: number;
  /** How long POST /v1/issue and /v1/transfers wait for the ledger before answering 202. */
  ledgerWaitMs: number;
};

export const defaultPolicy: RelayPolicy = Object.freeze({
  caps: Object.freeze({ energyModeDurationS: 4 * 3600, maxOpenCapMinor: 10_000, minOpenCapMinor: 500 }),
  credit: Object.freeze({ minSettledSessions: 3, limitPercentOfSettled: 25, maxCreditMinor: 5_000, lateReceiptPenaltyPercent: 50 }),
  voucherTtlS: 600,
  receiptOverdueS: 2 * 86_400,
  ledgerWaitMs: 10_000,
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
  check('voucherTtlS', policy.voucherTtlS, 1, 3600);
  check('receiptOverdueS', policy.receiptOverdueS, 1);
  check('ledgerWaitMs', policy.ledgerWaitMs, 0);
  return policy;
}

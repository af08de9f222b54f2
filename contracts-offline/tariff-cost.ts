// The price of a charging session under a tariff: one rule, used by the pile (metering, receipts),
// the relay (voucher caps, receipt checks) and the audit. Integer minor units only (design §4):
//   exact = sessionFeeMinor + energyWh × energyMinorPerKwh / 1000 + durationS × timeMinorPerHour / 3600
//   amountMinor = exact rounded half-up to a whole minor unit (once, on the final sum);
//   a session that delivered no energy costs nothing, fee included: the driver pays only when
//   energy flowed (a contract recovered after a power cut before the contactor closed, a vehicle
//   that never drew).
// Over the common denominator 18000 (= lcm(1000, 3600)) the sum is exact, in BigInt because
// energyWh × price can pass 2^53.
import type { Tariff } from './messages/fields.ts';

const DENOMINATOR = 18000n;
const PER_WH = 18n; // 18000 / 1000
const PER_S = 5n; // 18000 / 3600

export function sessionCostMinor(tariff: Tariff, energyWh: number, durationS: number): number {
  if (!Number.isSafeInteger(energyWh) || energyWh < 0) throw new RangeError(`tariff-cost: "energyWh" expected a non-negative integer, got ${energyWh}`);
  if (!Number.isSafeInteger(durationS) || durationS < 0) throw new RangeError(`tariff-cost: "durationS" expected a non-negative integer, got ${durationS}`);
  if (energyWh === 0) return 0;
  const scaled =
    BigInt(tariff.sessionFeeMinor) * DENOMINATOR +
    BigInt(energyWh) * BigInt(tariff.energyMinorPerKwh) * PER_WH +
    BigInt(durationS) * BigInt(tariff.timeMinorPerHour) * PER_S;
  return Number((scaled + DENOMINATOR / 2n) / DENOMINATOR);
}

/** What a session has used so far: energy from the meter register, whole seconds since its start. */
export type Usage = { energyWh: number; durationS: number };

/** What a session may bill (R7): its cost under the contract's tariff, never above the cap the relay escrowed. */
export function billedAmountMinor(tariff: Tariff, usage: Usage, capMinor: number): number {
  return Math.min(sessionCostMinor(tariff, usage.energyWh, usage.durationS), capMinor);
}

export type ReceiptSettlement = { billedMinor: number; settledMinor: number; mismatch: boolean };

/**
 * What a receipt settles (R7, R10): the amount it claims, never more than its contract's tariff
 * and cap allow for the energy and time it reports. A receipt that claims more (a pile bug, or a
 * compromised pile key: a signature cannot be forged, but it can be wrong) never moves more; any
 * difference is a mismatch the relay flags on the contract and the audit checks.
 */
export function receiptSettlement(receipt: Usage & { amountMinor: number }, tariff: Tariff, capMinor: number): ReceiptSettlement {
  const billedMinor = billedAmountMinor(tariff, receipt, capMinor);
  return { billedMinor, settledMinor: Math.min(receipt.amountMinor, billedMinor), mismatch: receipt.amountMinor !== billedMinor };
}

// The price of a charging session under a tariff: one rule, used by the pile (metering, receipts)
// and by the relay (caps, checks). Integer minor units only (design §4):
//   exact = sessionFeeMinor + energyWh × energyMinorPerKwh / 1000 + durationS × timeMinorPerHour / 3600
//   amountMinor = exact rounded half-up to a whole minor unit (once, on the final sum);
//   a session that delivered no energy costs nothing, fee included: the driver pays only when
//   energy flowed (a contract recovered after a power cut before the contactor closed, a vehicle
//   that never drew).
// Over the common denominator 18000 (= lcm(1000, 3600)) the sum is exact, in BigInt because
// energyWh × price can pass 2^53.
import type { Tariff } from '../../contracts-offline/messages/fields.ts';

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

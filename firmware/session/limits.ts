// What a session costs so far, and whether its agreed limit or its price cap is reached (R5, R7).
// The cost is the one rule of firmware/billing/tariff-cost.ts; the amount billed never exceeds the
// cap the relay escrowed.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { EndDetail, type EndReason } from '../../contracts-offline/messages/receipt.ts';
import { sessionCostMinor } from '../billing/tariff-cost.ts';

export type EndCause = { reason: EndReason; detail: number };

/** Metered so far: energy from the meter register, whole seconds since the contract started. */
export type Usage = { energyWh: number; durationS: number };

export function billedAmountMinor(contract: Contract, usage: Usage): number {
  return Math.min(sessionCostMinor(contract.tariff, usage.energyWh, usage.durationS), contract.capAmountMinor);
}

/** The normal end this usage calls for, if any: the mode's limit first, then the price cap. */
export function limitEnd(contract: Contract, usage: Usage): EndCause | undefined {
  const costMinor = sessionCostMinor(contract.tariff, usage.energyWh, usage.durationS);
  const limit = contract.limit;
  const limitReached =
    (limit.mode === 'amount' && costMinor >= limit.amountMinor) ||
    (limit.mode === 'time' && usage.durationS >= limit.durationS) ||
    (limit.mode === 'energy' && usage.energyWh >= limit.energyWh);
  if (limitReached) return { reason: 'normal', detail: EndDetail.limitReached };
  if (costMinor >= contract.capAmountMinor) return { reason: 'normal', detail: EndDetail.capReached };
  return undefined;
}

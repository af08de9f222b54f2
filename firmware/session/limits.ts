// Whether a session's agreed limit or its price cap is reached (R5, R7). Its cost is the one rule
// of contracts-offline/tariff-cost.ts.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { EndDetail, type EndReason } from '../../contracts-offline/messages/receipt.ts';
import { type Usage, sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';

export type EndCause = { reason: EndReason; detail: number };

/** The normal end this usage calls for, if any: the mode's limit first, then the price cap. */
export function limitEnd(contract: Contract, usage: Usage): EndCause | undefined {
  const costMinor = sessionCostMinor(contract.tariff, usage.energyWh, usage.durationS);
  const limit = contract.limit;
  const limitReached =
    (limit.mode === 'amount' && costMinor >= limit.amountMinor) ||
    (limit.mode === 'time' && usage.durationS >= limit.durationS) ||
    (limit.mode === 'energy' && usage.energyWh >= limit.energyWh);
  if (limitReached) return { reason: 'normal', detail: EndDetail.limitReached };
  if (costMinor >= contract.capMinor) return { reason: 'normal', detail: EndDetail.capReached };
  return undefined;
}

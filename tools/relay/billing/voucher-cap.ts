// The price cap of a voucher, per charging mode (R5, R7), with the one cost rule of the pile
// (contracts-offline/tariff-cost.ts):
//   amount  cap = the amount asked for;
//   time    cap = cost(energy at maxPowerW for the whole time, the time): the worst case;
//   energy  cap = cost(the energy, a stated duration): max(time to deliver it at maxPowerW,
//           caps.energyModeDurationS) — the time fee runs while a slow vehicle draws;
//   full    cap = min(available funds incl. credit, caps.maxOpenCapMinor) — open (R8), the pile
//           still stops when the cost reaches it.
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { type Tariff, U32_MAX } from '../../../contracts-offline/messages/fields.ts';
import { type Result, fail, ok } from '../../../contracts-offline/result.ts';
import { sessionCostMinor } from '../../../contracts-offline/tariff-cost.ts';
import type { CapPolicy } from '../policy.ts';

/** Why no voucher: a limit whose cap passes the u32 of the messages, or funds short of the open minimum. */
export type CapRefusal = 'above-u32' | 'insufficient';

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

export function voucherCap(limit: ChargeLimit, tariff: Tariff, maxPowerW: number, availableMinor: number, caps: CapPolicy): Result<number, CapRefusal> {
  let cap: number;
  switch (limit.mode) {
    case 'amount':
      cap = limit.amountMinor;
      break;
    case 'time':
      cap = sessionCostMinor(tariff, ceilDiv(maxPowerW * limit.durationS, 3600), limit.durationS);
      break;
    case 'energy':
      cap = sessionCostMinor(tariff, limit.energyWh, Math.max(ceilDiv(limit.energyWh * 3600, maxPowerW), caps.energyModeDurationS));
      break;
    case 'full':
      cap = Math.min(availableMinor, caps.maxOpenCapMinor);
      if (cap < caps.minOpenCapMinor) {
        return fail('insufficient', `a full (open) charge needs at least ${caps.minOpenCapMinor} available, the user has ${Math.max(availableMinor, 0)}`);
      }
      return ok(cap);
  }
  if (cap > U32_MAX) return fail('above-u32', `the cap ${cap} for this limit is above ${U32_MAX}: ask for less`);
  return ok(Math.max(cap, 1));
}

// The Receipt that closes a contract, from what was metered and why it ended.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import { type Usage, billedAmountMinor } from '../../contracts-offline/tariff-cost.ts';
import type { EndCause } from './limits.ts';

export type EndPoint = Usage & { endMeterWh: number; endAtS: number };

export function buildReceipt(contract: Contract, seq: number, end: EndPoint, cause: EndCause): Receipt {
  return {
    pileId: contract.pileId,
    contractSeq: contract.seq,
    seq,
    endReason: cause.reason,
    endDetail: cause.detail,
    energyWh: end.energyWh,
    durationS: end.durationS,
    amountMinor: billedAmountMinor(contract.tariff, end, contract.capMinor),
    endMeterWh: end.endMeterWh,
    endAtS: end.endAtS,
  };
}

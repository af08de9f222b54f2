// What a receipt may charge (R7, R10): the contract's tariff applied to the metered energy and
// duration, never more than the contract's cap — the same rule the pile applies. The relay settles
// min(receipt amount, that), so a receipt that claims more than the rule allows (a pile bug or a
// compromised pile key: a pile signature cannot be forged, but it can be wrong) never moves more,
// and the mismatch is flagged on the contract.
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import type { Tariff } from '../../../contracts-offline/messages/fields.ts';
import { sessionCostMinor } from '../../../firmware/billing/tariff-cost.ts';

export type ReceiptAmount = { expectedMinor: number; settleMinor: number; mismatch: boolean };

export function receiptAmount(receipt: Pick<Receipt, 'energyWh' | 'durationS' | 'amountMinor'>, tariff: Tariff, capAmountMinor: number): ReceiptAmount {
  const expectedMinor = Math.min(sessionCostMinor(tariff, receipt.energyWh, receipt.durationS), capAmountMinor);
  return { expectedMinor, settleMinor: Math.min(receipt.amountMinor, expectedMinor), mismatch: receipt.amountMinor !== expectedMinor };
}

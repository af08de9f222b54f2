// StopTransaction (OCPP 1.6 §4.10, §6.51/§6.52, Reason §7.41): sent once a Receipt's
// BillingRecord is acknowledged, for the transaction of the receipt's contract. meterStop and
// timestamp are the receipt's own; the reason is mapped from its endReason and endDetail
// (README.md "StopTransaction reason").
import { EndDetail, type Receipt } from '../../contracts-offline/messages/receipt.ts';
import { ok } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields } from './payload-fields.ts';
import { isoOfS, parseIdTagInfo } from './start-transaction.ts';

export const STOP_TRANSACTION = 'StopTransaction';

export const STOP_REASONS = [
  'EmergencyStop', 'EVDisconnected', 'HardReset', 'Local', 'Other', 'PowerLoss', 'Reboot', 'Remote', 'SoftReset', 'UnlockCommand', 'DeAuthorized',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/**
 * By endDetail. userStop is Local: the user's own signed stop, whether a tap or the relay carried
 * it to the pile (the receipt does not say which, and it is never a RemoteStopTransaction).
 * Limits, the vehicle done and the pile's own faults have no reason of their own in 1.6: Other.
 */
const reasonByDetail: ReadonlyMap<number, StopReason> = new Map([
  [EndDetail.limitReached, 'Other'],
  [EndDetail.capReached, 'Other'],
  [EndDetail.vehicleDone, 'Other'],
  [EndDetail.userStop, 'Local'],
  [EndDetail.plugRemoved, 'EVDisconnected'],
  [EndDetail.powerLoss, 'PowerLoss'],
  [EndDetail.meterFault, 'Other'],
  [EndDetail.contactorFault, 'Other'],
  [EndDetail.overcurrent, 'Other'],
  [EndDetail.groundFault, 'Other'],
  [EndDetail.pilotFault, 'Other'],
  [EndDetail.emergencyStop, 'EmergencyStop'],
]);

/** endDetail none or one this table does not know: by endReason (user: Local, else Other). */
export function stopReasonOf(receipt: Pick<Receipt, 'endReason' | 'endDetail'>): StopReason {
  return reasonByDetail.get(receipt.endDetail) ?? (receipt.endReason === 'user' ? 'Local' : 'Other');
}

export function stopTransactionRequest(receipt: Receipt, transactionId: number): JsonObject {
  return { transactionId, meterStop: receipt.endMeterWh, timestamp: isoOfS(receipt.endAtS), reason: stopReasonOf(receipt) };
}

/** StopTransaction.conf: an optional idTagInfo (checked, then not used: the receipt is already signed). */
export function parseStopTransactionConf(payload: JsonObject): PayloadResult<undefined> {
  const extra = onlyFields(payload, ['idTagInfo']);
  if (extra) return extra;
  if (!Object.prototype.hasOwnProperty.call(payload, 'idTagInfo')) return ok(undefined);
  const status = parseIdTagInfo(payload.idTagInfo);
  return status.ok ? ok(undefined) : status;
}

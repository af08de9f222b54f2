// StatusNotification (OCPP 1.6 §4.9, §6.47/§6.48, enums §7.6 ChargePointErrorCode and §7.7
// ChargePointStatus): the state of connector 0 (the pile as a whole) and of each outlet
// (connector 1 on a single-outlet pile), sent when it changes and for every connector once
// BootNotification is Accepted.
import { ok } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields } from './payload-fields.ts';

export const STATUS_NOTIFICATION = 'StatusNotification';

export const CHARGE_POINT_STATUSES = [
  'Available', 'Preparing', 'Charging', 'SuspendedEVSE', 'SuspendedEV', 'Finishing', 'Reserved', 'Unavailable', 'Faulted',
] as const;
export type ChargePointStatus = (typeof CHARGE_POINT_STATUSES)[number];

export const CHARGE_POINT_ERROR_CODES = [
  'ConnectorLockFailure', 'EVCommunicationError', 'GroundFailure', 'HighTemperature', 'InternalError', 'LocalListConflict', 'NoError',
  'OtherError', 'OverCurrentFailure', 'PowerMeterFailure', 'PowerSwitchFailure', 'ReaderFailure', 'ResetFailure', 'UnderVoltage',
  'OverVoltage', 'WeakSignal',
] as const;
export type ChargePointErrorCode = (typeof CHARGE_POINT_ERROR_CODES)[number];

export type ConnectorStatus = { status: ChargePointStatus; errorCode: ChargePointErrorCode };

export function statusNotificationRequest(connectorId: number, connector: ConnectorStatus, timestampMs: number): JsonObject {
  return { connectorId, errorCode: connector.errorCode, status: connector.status, timestamp: new Date(timestampMs).toISOString() };
}

/** StatusNotification.conf is an empty object. */
export function parseStatusNotificationConf(payload: JsonObject): PayloadResult<undefined> {
  return onlyFields(payload, []) ?? ok(undefined);
}

// BootNotification (OCPP 1.6 §4.2, §6.3/§6.4): the pile introduces itself after each connection;
// the central system answers Accepted (heartbeat every `interval` s), Pending or Rejected (try
// again after `interval` s). Field limits from the official schema (BootNotification.req).
import { fail } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readDateTime, readEnum, readInteger } from './payload-fields.ts';

export const BOOT_NOTIFICATION = 'BootNotification';

export type ChargePointInfo = {
  /** ≤ 20 characters. */
  vendor: string;
  /** ≤ 20 characters. */
  model: string;
  /** ≤ 25 characters. */
  serialNumber?: string;
  /** ≤ 50 characters. */
  firmwareVersion?: string;
  /** ≤ 25 characters. */
  meterSerialNumber?: string;
};

export const REGISTRATION_STATUSES = ['Accepted', 'Pending', 'Rejected'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export type BootNotificationConf = { status: RegistrationStatus; currentTimeMs: number; intervalS: number };

const fieldLimits: readonly [keyof ChargePointInfo, string, number][] = [
  ['vendor', 'chargePointVendor', 20],
  ['model', 'chargePointModel', 20],
  ['serialNumber', 'chargePointSerialNumber', 25],
  ['firmwareVersion', 'firmwareVersion', 50],
  ['meterSerialNumber', 'meterSerialNumber', 25],
];

/** The request payload. Throws RangeError when a field is over its schema length (a build fault). */
export function bootNotificationRequest(info: ChargePointInfo): JsonObject {
  const payload: { [field: string]: string } = {};
  for (const [name, field, maxChars] of fieldLimits) {
    const value = info[name];
    if (value === undefined) continue;
    if (value.length > maxChars) throw new RangeError(`ocpp: "${name}" expected at most ${maxChars} characters, got ${value.length}`);
    payload[field] = value;
  }
  return payload;
}

export function parseBootNotificationConf(payload: JsonObject): PayloadResult<BootNotificationConf> {
  const extra = onlyFields(payload, ['status', 'currentTime', 'interval']);
  if (extra) return extra;
  const status = readEnum(payload, 'status', REGISTRATION_STATUSES);
  if (!status.ok) return status;
  const currentTime = readDateTime(payload, 'currentTime');
  if (!currentTime.ok) return currentTime;
  const interval = readInteger(payload, 'interval');
  if (!interval.ok) return interval;
  if (interval.value < 0) return fail('PropertyConstraintViolation', `"interval" expected ≥ 0 s, got ${interval.value}`);
  return { ok: true, value: { status: status.value, currentTimeMs: currentTime.value, intervalS: interval.value } };
}

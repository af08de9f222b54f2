// Heartbeat (OCPP 1.6 §4.6, §6.31/§6.32): tells the central system the pile is alive, every
// HeartbeatInterval seconds once BootNotification is Accepted; the answer carries the central
// system's time.
import { ok } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readDateTime } from './payload-fields.ts';

export const HEARTBEAT = 'Heartbeat';

export function heartbeatRequest(): JsonObject {
  return {};
}

/** The central system's time, epoch ms. */
export function parseHeartbeatConf(payload: JsonObject): PayloadResult<number> {
  const extra = onlyFields(payload, ['currentTime']);
  if (extra) return extra;
  const currentTime = readDateTime(payload, 'currentTime');
  return currentTime.ok ? ok(currentTime.value) : currentTime;
}

// ChangeConfiguration (OCPP 1.6 §5.3, §6.9/§6.10): the central system sets one key. Answers
// Accepted, Rejected (read-only key, or a value the key does not take) or NotSupported (a key the
// pile does not know).
import { ok } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readString } from './payload-fields.ts';
import type { Configuration } from './configuration.ts';
import type { CallHandler } from './rpc.ts';

export const CHANGE_CONFIGURATION = 'ChangeConfiguration';

export function parseChangeConfigurationReq(payload: JsonObject): PayloadResult<{ key: string; value: string }> {
  const extra = onlyFields(payload, ['key', 'value']);
  if (extra) return extra;
  const key = readString(payload, 'key', 50);
  if (!key.ok) return key;
  const value = readString(payload, 'value', 500);
  if (!value.ok) return value;
  return ok({ key: key.value, value: value.value });
}

export function changeConfigurationHandler(configuration: Configuration): CallHandler {
  return (payload) => {
    const request = parseChangeConfigurationReq(payload);
    if (!request.ok) return request;
    return ok({ status: configuration.change(request.value.key, request.value.value) });
  };
}

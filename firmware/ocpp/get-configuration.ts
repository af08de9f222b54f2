// GetConfiguration (OCPP 1.6 §5.8, §6.49/§6.50): the central system reads the pile's keys — all
// of them when `key` is absent or empty, else the ones named; names the pile does not know are
// listed in `unknownKey`.
import { fail, ok } from '../../contracts-offline/result.ts';
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readOptionalStrings } from './payload-fields.ts';
import { type Configuration, GET_CONFIGURATION_MAX_KEYS } from './configuration.ts';
import type { CallHandler } from './rpc.ts';

export const GET_CONFIGURATION = 'GetConfiguration';

/** The keys asked for; undefined: all. */
export function parseGetConfigurationReq(payload: JsonObject): PayloadResult<string[] | undefined> {
  const extra = onlyFields(payload, ['key']);
  if (extra) return extra;
  const keys = readOptionalStrings(payload, 'key', 50);
  if (!keys.ok) return keys;
  if (keys.value && keys.value.length > GET_CONFIGURATION_MAX_KEYS) {
    return fail('OccurenceConstraintViolation', `"key" names ${keys.value.length} keys, GetConfigurationMaxKeys is ${GET_CONFIGURATION_MAX_KEYS}`);
  }
  return ok(keys.value && keys.value.length > 0 ? keys.value : undefined);
}

export function getConfigurationHandler(configuration: Configuration): CallHandler {
  return (payload) => {
    const keys = parseGetConfigurationReq(payload);
    if (!keys.ok) return keys;
    if (!keys.value) return ok({ configurationKey: configuration.all() });
    const configurationKey = [];
    const unknownKey = [];
    for (const key of keys.value) {
      const entry = configuration.get(key);
      if (entry) configurationKey.push(entry);
      else unknownKey.push(key);
    }
    return ok({ configurationKey, unknownKey });
  };
}

// A charging mode and its limit in its own unit (R5). One form in TS and JSON —
// `{"mode": "energy", "energyWh": 20000}` — and in CBOR two message keys (the mode's index, then the
// limit, absent for full). Full has no limit and makes the contract open (R8); the others are
// capped (R7). Display text is in display-text.ts.
import { type Result, ok, fail } from './result.ts';

export const CHARGE_MODES = Object.freeze(['amount', 'time', 'energy', 'full'] as const);
export type ChargeMode = (typeof CHARGE_MODES)[number];

export type ChargeLimit =
  | { mode: 'amount'; amountMinor: number }
  | { mode: 'time'; durationS: number }
  | { mode: 'energy'; energyWh: number }
  | { mode: 'full' };

/** A limit is 1..2^32-1 in its unit. */
export const LIMIT_MAX = 0xffff_ffff;

/** The field that holds each mode's limit, named with its unit; full has none. */
export const LIMIT_UNITS = Object.freeze({ amount: 'amountMinor', time: 'durationS', energy: 'energyWh', full: undefined } as const);

/** Capped contracts (amount, time, energy) hold a known cap; full is open. */
export function isCapped(mode: ChargeMode): boolean {
  return mode !== 'full';
}

export function isChargeMode(value: unknown): value is ChargeMode {
  return typeof value === 'string' && (CHARGE_MODES as readonly string[]).includes(value);
}

/** The limit in its own unit (amountMinor, durationS or energyWh); undefined for full. */
export function limitValue(limit: ChargeLimit): number | undefined {
  switch (limit.mode) {
    case 'amount': return limit.amountMinor;
    case 'time': return limit.durationS;
    case 'energy': return limit.energyWh;
    case 'full': return undefined;
  }
}

/**
 * A limit from a mode and its value — a CBOR pair, a database row, command-line flags. Never
 * throws; a refusal names the field under `path`.
 */
export function chargeLimitOf(mode: unknown, value: unknown, path = 'limit'): Result<ChargeLimit> {
  if (!isChargeMode(mode)) return fail('malformed', `field "${path}.mode" expected one of ${CHARGE_MODES.join('|')}`);
  const unit = LIMIT_UNITS[mode];
  if (unit === undefined) return value === undefined ? ok({ mode: 'full' }) : fail('malformed', `field "${path}" mode full takes no limit`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail('malformed', `field "${path}.${unit}" expected an integer`);
  if (value < 1 || value > LIMIT_MAX) return fail('malformed', `field "${path}.${unit}" expected 1..${LIMIT_MAX}, got ${value}`);
  return ok({ mode, [unit]: value } as ChargeLimit);
}

/** The JSON form, strictly: an object with `mode` and exactly the mode's unit field. Never throws. */
export function chargeLimitFromJson(json: unknown, path = 'limit'): Result<ChargeLimit> {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || json instanceof Uint8Array || json instanceof Map) {
    return fail('malformed', `field "${path}" expected an object`);
  }
  const source = json as Record<string, unknown>;
  if (!isChargeMode(source['mode'])) return fail('malformed', `field "${path}.mode" expected one of ${CHARGE_MODES.join('|')}`);
  const unit = LIMIT_UNITS[source['mode']];
  for (const name of Object.keys(source)) {
    if (name !== 'mode' && name !== unit) return fail('malformed', `field "${path}.${name}" is not allowed with mode ${source['mode']}`);
  }
  return chargeLimitOf(source['mode'], unit === undefined ? undefined : source[unit], path);
}

// Field kinds and value types shared by several messages (see README.md for the tables).
import type { FieldSpec, Fields } from './schema.ts';

export const U32_MAX = 0xffff_ffff;
export const ID_BYTES = 8;
export const NONCE_MIN_BYTES = 8;
export const NONCE_MAX_BYTES = 16;
/** Prices and fees are bounded so amounts stay far inside safe integers. */
export const PRICE_MAX_MINOR = 10_000_000;

export const idField = (key: number): FieldSpec => ({ kind: 'bytes', key, minLength: ID_BYTES, maxLength: ID_BYTES });
export const nonceField = (key: number): FieldSpec => ({ kind: 'bytes', key, minLength: NONCE_MIN_BYTES, maxLength: NONCE_MAX_BYTES });
export const u32Field = (key: number, min = 0): FieldSpec => ({ kind: 'uint', key, min, max: U32_MAX });
/** Meter registers count Wh since manufacture: any safe integer. */
export const registerField = (key: number): FieldSpec => ({ kind: 'uint', key, min: 0, max: Number.MAX_SAFE_INTEGER });
/** Seconds since 1970-01-01T00:00:00Z. */
export const atSField = (key: number): FieldSpec => ({ kind: 'uint', key, min: 0, max: U32_MAX });

/** Pile states, named after the OCPP 1.6 connector statuses. */
export const PILE_STATES = ['available', 'preparing', 'charging', 'suspended', 'finishing', 'unavailable', 'faulted'] as const;
export type PileState = (typeof PILE_STATES)[number];
export const stateField = (key: number): FieldSpec => ({ kind: 'enum', key, names: PILE_STATES });

/** Prices in currency minor units; energy per kWh, time per hour (energyWh and durationS are pro-rated). */
export type Tariff = {
  version: number;
  energyMinorPerKwh: number;
  timeMinorPerHour: number;
  sessionFeeMinor: number;
};
const tariffFields: Fields = {
  version: u32Field(0, 1),
  energyMinorPerKwh: { kind: 'uint', key: 1, min: 0, max: PRICE_MAX_MINOR },
  timeMinorPerHour: { kind: 'uint', key: 2, min: 0, max: PRICE_MAX_MINOR },
  sessionFeeMinor: { kind: 'uint', key: 3, min: 0, max: PRICE_MAX_MINOR },
};
export const tariffField = (key: number): FieldSpec => ({ kind: 'object', key, fields: tariffFields });

export const DISPLAY_NAME_MAX_BYTES = 24;
export const LABEL_MAX_BYTES = 32;

// Reading the fields of an untrusted OCPP payload, for the hand-written validators of the message
// files. Each refusal names the CALLERROR code of OCPP-J 1.6 §4.2.3 Table 7 by that table's
// definitions:
// - a field of the wrong JSON type: TypeConstraintViolation ("violates data type constraints");
// - a required field missing: OccurenceConstraintViolation ("violates occurence constraints");
// - a value outside its enum, too long, or out of range: PropertyConstraintViolation ("contains an
//   invalid value");
// - a field the message does not have (the schemas say additionalProperties: false):
//   FormationViolation ("not conform the PDU structure for Action").
import { type Failure, type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { JsonObject, OcppErrorCode } from './frame.ts';

export type PayloadResult<T> = Result<T, OcppErrorCode>;

/** A refusal when `payload` has a field not in `fields`. */
export function onlyFields(payload: JsonObject, fields: readonly string[]): Failure<OcppErrorCode> | undefined {
  for (const field of Object.keys(payload)) {
    if (!fields.includes(field)) return fail('FormationViolation', `unexpected field "${field.slice(0, 50)}"`);
  }
  return undefined;
}

function present(payload: JsonObject, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(payload, field);
}

export function readString(payload: JsonObject, field: string, maxChars: number): PayloadResult<string> {
  if (!present(payload, field)) return fail('OccurenceConstraintViolation', `"${field}" is required`);
  const value = payload[field];
  if (typeof value !== 'string') return fail('TypeConstraintViolation', `"${field}" expected a string, got ${typeName(value)}`);
  if (value.length > maxChars) return fail('PropertyConstraintViolation', `"${field}" expected at most ${maxChars} characters, got ${value.length}`);
  return ok(value);
}

/** An optional string (absent: undefined). */
export function readOptionalString(payload: JsonObject, field: string, maxChars: number): PayloadResult<string | undefined> {
  return present(payload, field) ? readString(payload, field, maxChars) : ok(undefined);
}

/** An optional array of strings (absent: undefined). */
export function readOptionalStrings(payload: JsonObject, field: string, maxChars: number): PayloadResult<string[] | undefined> {
  if (!present(payload, field)) return ok(undefined);
  const value = payload[field];
  if (!Array.isArray(value)) return fail('TypeConstraintViolation', `"${field}" expected an array, got ${typeName(value)}`);
  for (const item of value) {
    if (typeof item !== 'string') return fail('TypeConstraintViolation', `"${field}" expected strings, got ${typeName(item)}`);
    if (item.length > maxChars) return fail('PropertyConstraintViolation', `"${field}" items expected at most ${maxChars} characters, got ${item.length}`);
  }
  return ok(value as string[]);
}

export function readInteger(payload: JsonObject, field: string): PayloadResult<number> {
  if (!present(payload, field)) return fail('OccurenceConstraintViolation', `"${field}" is required`);
  const value = payload[field];
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail('TypeConstraintViolation', `"${field}" expected an integer, got ${typeName(value)}`);
  if (!Number.isSafeInteger(value)) return fail('PropertyConstraintViolation', `"${field}" is out of range`);
  return ok(value);
}

export function readEnum<T extends string>(payload: JsonObject, field: string, values: readonly T[]): PayloadResult<T> {
  const text = readString(payload, field, 64);
  if (!text.ok) return text.code === 'PropertyConstraintViolation' ? fail(text.code, `"${field}" is not one of ${values.join(', ')}`) : text;
  if (!(values as readonly string[]).includes(text.value)) return fail('PropertyConstraintViolation', `"${field}" is not one of ${values.join(', ')}`);
  return ok(text.value as T);
}

/** RFC 3339 date-time (the schemas' `format: date-time`), as epoch ms. */
export function readDateTime(payload: JsonObject, field: string): PayloadResult<number> {
  const text = readString(payload, field, 40);
  if (!text.ok) return text;
  const ms = rfc3339.test(text.value) ? Date.parse(text.value) : NaN;
  if (!Number.isFinite(ms)) return fail('PropertyConstraintViolation', `"${field}" is not an RFC 3339 date-time`);
  return ok(ms);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

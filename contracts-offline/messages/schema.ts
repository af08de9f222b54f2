// One field table per message drives its encoder, strict decoder and JSON form, so the three
// cannot disagree. A message is a CBOR map: key 0 = message type, key 1 = version, then fields.
import { bytesToHex, hexToBytes, utf8Encode } from '../bytes.ts';
import { encodeCbor } from '../cbor-encode.ts';
import { decodeCbor } from '../cbor-decode.ts';
import { type CborMap, type CborValue, CBOR_MAX_BYTES } from '../cbor-value.ts';
import { type Result, ok, fail } from '../result.ts';
import { CHARGE_MODES, type ChargeLimit, chargeLimitFromJson, chargeLimitOf, limitValue } from '../charge-limit.ts';

export const MESSAGE_VERSION = 1;
const KEY_TYPE = 0;
const KEY_VERSION = 1;

export type FieldSpec =
  | { kind: 'uint'; key: number; min: number; max: number }
  | { kind: 'bytes'; key: number; minLength: number; maxLength: number }
  | { kind: 'text'; key: number; maxBytes: number }
  | { kind: 'enum'; key: number; names: readonly string[] }
  | { kind: 'object'; key: number; fields: Fields }
  | { kind: 'list'; key: number; minItems: number; maxItems: number; fields: Fields }
  /** Charging mode at `key` and its limit at `limitKey` (absent for "full"); see charge-limit.ts. */
  | { kind: 'limit'; key: number; limitKey: number };
export type Fields = Readonly<Record<string, FieldSpec>>;

export type MessageCodec<T> = {
  readonly type: number;
  readonly name: string;
  /** Validates and encodes; throws TypeError/RangeError naming the field on bad input. */
  encode(message: T): Uint8Array;
  /** Strict decode of untrusted bytes; never throws. */
  decode(bytes: Uint8Array): Result<T>;
  /** Converts the JSON form (bytes as hex strings) and validates it; throws TypeError/RangeError. */
  fromJson(json: unknown): T;
  toJson(message: T): unknown;
};

class Invalid {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

type Direction = 'fromCbor' | 'toCbor' | 'fromJson' | 'toJson';

function invalidField(path: string, what: string): never {
  throw new Invalid(`field "${path}" ${what}`);
}

// Converts one field value between its TS form and its CBOR or JSON form, validating as it goes.
function convert(spec: FieldSpec, value: unknown, path: string, dir: Direction): unknown {
  switch (spec.kind) {
    case 'uint': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return invalidField(path, 'expected an integer');
      if (value < spec.min || value > spec.max) return invalidField(path, `expected ${spec.min}..${spec.max}, got ${value}`);
      return value;
    }
    case 'bytes': {
      let bytes = value;
      if (dir === 'fromJson') {
        if (typeof value !== 'string') return invalidField(path, 'expected a hex string');
        try { bytes = hexToBytes(value); } catch { return invalidField(path, 'expected a hex string'); }
      }
      if (!(bytes instanceof Uint8Array)) return invalidField(path, 'expected bytes');
      if (bytes.length < spec.minLength || bytes.length > spec.maxLength) {
        return invalidField(path, spec.minLength === spec.maxLength ? `expected ${spec.minLength} bytes, got ${bytes.length}` : `expected ${spec.minLength}..${spec.maxLength} bytes, got ${bytes.length}`);
      }
      return dir === 'toJson' ? bytesToHex(bytes) : bytes;
    }
    case 'text': {
      if (typeof value !== 'string') return invalidField(path, 'expected text');
      let length: number;
      try { length = utf8Encode(value).length; } catch { return invalidField(path, 'is not well-formed unicode'); }
      if (length > spec.maxBytes) return invalidField(path, `expected at most ${spec.maxBytes} UTF-8 bytes, got ${length}`);
      return value;
    }
    case 'enum': {
      if (dir === 'fromCbor') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= spec.names.length) return invalidField(path, `expected 0..${spec.names.length - 1}`);
        return spec.names[value];
      }
      const index = spec.names.indexOf(value as string);
      if (typeof value !== 'string' || index < 0) return invalidField(path, `expected one of ${spec.names.join('|')}`);
      return dir === 'toCbor' ? index : value;
    }
    case 'object':
      return convertObject(spec.fields, value, path, dir);
    case 'list': {
      if (!Array.isArray(value)) return invalidField(path, 'expected an array');
      if (value.length < spec.minItems || value.length > spec.maxItems) return invalidField(path, `expected ${spec.minItems}..${spec.maxItems} items, got ${value.length}`);
      return value.map((item, i) => convertObject(spec.fields, item, `${path}[${i}]`, dir));
    }
    case 'limit':
      throw new TypeError('schema: limit fields are converted by convertObject');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Uint8Array);
}

// Reads the limit from its two CBOR keys (fromCbor) or from its object form (other directions).
// Returns the TS/JSON object, or for toCbor the [mode index, limit] pair to store.
function convertLimit(spec: Extract<FieldSpec, { kind: 'limit' }>, source: unknown, path: string, dir: Direction): unknown {
  let limit: Result<ChargeLimit>;
  if (dir === 'fromCbor') {
    const map = source as CborMap;
    const modeIndex = map.get(spec.key);
    if (typeof modeIndex !== 'number' || modeIndex < 0 || modeIndex >= CHARGE_MODES.length) throw new Invalid(`field "${path}.mode" expected 0..${CHARGE_MODES.length - 1}`);
    limit = chargeLimitOf(CHARGE_MODES[modeIndex], map.get(spec.limitKey), path);
  } else {
    limit = chargeLimitFromJson(source, path);
  }
  if (!limit.ok) throw new Invalid(limit.reason);
  return dir === 'toCbor' ? [CHARGE_MODES.indexOf(limit.value.mode), limitValue(limit.value)] : limit.value;
}

// A field table's entries and the CBOR keys it uses, computed once per table.
type Plan = { entries: [string, FieldSpec][]; known: Set<unknown> };
const plans = new WeakMap<Fields, Plan>();
function planOf(fields: Fields, header: readonly number[] = []): Plan {
  let plan = plans.get(fields);
  if (!plan) {
    const entries = Object.entries(fields);
    const known = new Set<unknown>(header);
    for (const [, spec] of entries) {
      known.add(spec.key);
      if (spec.kind === 'limit') known.add(spec.limitKey);
    }
    plan = { entries, known };
    plans.set(fields, plan);
  }
  return plan;
}

// fromCbor: CborMap -> object; toCbor: object -> Map; fromJson/toJson: object -> object.
function convertObject(fields: Fields, source: unknown, path: string, dir: Direction): unknown {
  const prefix = path === '' ? '' : `${path}.`;
  if (dir === 'fromCbor') {
    if (!(source instanceof Map)) throw new Invalid(path === '' ? 'not a map' : `field "${path}" expected a map`);
    const { entries, known } = planOf(fields);
    for (const key of source.keys()) if (!known.has(key)) throw new Invalid(`unknown key ${JSON.stringify(key)}${path === '' ? '' : ` in "${path}"`}`);
    const out: Record<string, unknown> = {};
    for (const [name, spec] of entries) {
      if (spec.kind === 'limit') { out[name] = convertLimit(spec, source, prefix + name, dir); continue; }
      if (!source.has(spec.key)) throw new Invalid(`missing key ${spec.key} ("${prefix}${name}")`);
      out[name] = convert(spec, source.get(spec.key), prefix + name, dir);
    }
    return out;
  }
  if (!isPlainObject(source)) throw new Invalid(path === '' ? 'expected an object' : `field "${path}" expected an object`);
  for (const name of Object.keys(source)) if (!Object.prototype.hasOwnProperty.call(fields, name)) throw new Invalid(`unknown field "${prefix}${name}"`);
  const out: Map<number, CborValue> | Record<string, unknown> = dir === 'toCbor' ? new Map<number, CborValue>() : {};
  for (const [name, spec] of planOf(fields).entries) {
    if (spec.kind === 'limit') {
      const limit = convertLimit(spec, source[name], prefix + name, dir);
      if (out instanceof Map) {
        const [modeIndex, amount] = limit as [number, number | undefined];
        out.set(spec.key, modeIndex);
        if (amount !== undefined) out.set(spec.limitKey, amount);
      } else out[name] = limit;
      continue;
    }
    if (source[name] === undefined) throw new Invalid(`missing field "${prefix}${name}"`);
    const value = convert(spec, source[name], prefix + name, dir);
    if (out instanceof Map) out.set(spec.key, value as CborValue);
    else out[name] = value;
  }
  return out;
}

function checkKeys(name: string, fields: Fields, reserved: readonly number[]): void {
  const seen = new Set<number>(reserved);
  for (const spec of Object.values(fields)) {
    for (const key of spec.kind === 'limit' ? [spec.key, spec.limitKey] : [spec.key]) {
      if (!Number.isInteger(key) || key < 0 || key > 23 || seen.has(key)) throw new RangeError(`schema: ${name} key ${key} is reused or outside 0..23`);
      seen.add(key);
    }
    if (spec.kind === 'object' || spec.kind === 'list') checkKeys(name, spec.fields, []);
  }
}

export type MessageDefinition<T> = {
  type: number;
  name: string;
  fields: { readonly [K in keyof T]-?: FieldSpec };
  /** Rules across fields; returns the reason a message breaks them, or undefined. */
  check?: (message: T) => string | undefined;
  /** Largest encoding, on encode and decode; default `CBOR_MAX_BYTES` (the signed messages' limit). */
  maxBytes?: number;
};

/** Field tables are constants: frozen, so a device can keep them in flash (XS preloading). */
function freezeFields(fields: Fields): Fields {
  for (const spec of Object.values(fields)) {
    if (spec.kind === 'enum') Object.freeze(spec.names);
    if (spec.kind === 'object' || spec.kind === 'list') freezeFields(spec.fields);
    Object.freeze(spec);
  }
  return Object.freeze(fields);
}

export function defineMessage<T>(definition: MessageDefinition<T>): MessageCodec<T> {
  const { type, name, check, maxBytes = CBOR_MAX_BYTES } = definition;
  const fields = freezeFields(definition.fields as Fields);
  checkKeys(name, fields, [KEY_TYPE, KEY_VERSION]);
  planOf(fields, [KEY_TYPE, KEY_VERSION]); // a message table also owns the header keys

  function validated(json: unknown, dir: 'toCbor' | 'fromJson' | 'toJson'): unknown {
    let out: unknown;
    try {
      out = convertObject(fields, json, '', dir);
    } catch (error) {
      if (error instanceof Invalid) throw new TypeError(`${name}: ${error.reason}`);
      throw error;
    }
    const broken = check?.(dir === 'toCbor' ? (json as T) : dir === 'fromJson' ? (out as T) : (json as T));
    if (broken !== undefined) throw new RangeError(`${name}: ${broken}`);
    return out;
  }

  return Object.freeze({
    type,
    name,
    encode(message: T): Uint8Array {
      const map = validated(message, 'toCbor') as Map<number, CborValue>;
      map.set(KEY_TYPE, type);
      map.set(KEY_VERSION, MESSAGE_VERSION);
      const bytes = encodeCbor(map);
      if (bytes.length > maxBytes) throw new RangeError(`${name}: encoded ${bytes.length} bytes, more than ${maxBytes}`);
      return bytes;
    },
    decode(bytes: Uint8Array): Result<T> {
      const decoded = decodeCbor(bytes, { maxBytes });
      if (!decoded.ok) return decoded;
      const map = decoded.value;
      if (!(map instanceof Map)) return fail('malformed', `${name}: not a map`);
      if (map.get(KEY_TYPE) !== type) return fail('malformed', `${name}: wrong message type ${JSON.stringify(map.get(KEY_TYPE) ?? null)}`);
      if (map.get(KEY_VERSION) !== MESSAGE_VERSION) return fail('malformed', `${name}: unsupported version ${JSON.stringify(map.get(KEY_VERSION) ?? null)}`);
      let message: T;
      try {
        message = convertObject(fields, map, '', 'fromCbor') as T;
      } catch (error) {
        if (error instanceof Invalid) return fail('malformed', `${name}: ${error.reason}`);
        throw error;
      }
      const broken = check?.(message);
      return broken === undefined ? ok(message) : fail('malformed', `${name}: ${broken}`);
    },
    fromJson(json: unknown): T {
      return validated(json, 'fromJson') as T;
    },
    toJson(message: T): unknown {
      return validated(message, 'toJson');
    },
  });
}

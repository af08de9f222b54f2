// Reading fields out of an untrusted JSON body: every wrong shape is a 400 `invalid-field` naming
// the field (dotted path for nested objects) and what was expected. Unknown fields are refused.
import { hexToBytes, utf8Encode } from '../../../contracts-offline/bytes.ts';
import { invalidField } from './errors.ts';

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

export class JsonFields {
  readonly #value: Record<string, unknown>;
  readonly #path: string;

  private constructor(value: Record<string, unknown>, path: string) {
    this.#value = value;
    this.#path = path;
  }

  /** The body (or a nested value) as an object with only `allowed` keys. */
  static of(value: unknown, allowed: readonly string[], path = 'body'): JsonFields {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField(path, `expected a JSON object, got ${describe(value)}`);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) throw invalidField(path === 'body' ? key : `${path}.${key}`, `is not a known field (expected: ${allowed.join(', ')})`);
    }
    return new JsonFields(record, path === 'body' ? '' : `${path}.`);
  }

  has(name: string): boolean {
    return this.#value[name] !== undefined;
  }

  #name(name: string): string {
    return this.#path + name;
  }

  #present(name: string): unknown {
    const value = this.#value[name];
    if (value === undefined) throw invalidField(this.#name(name), 'is required');
    return value;
  }

  /** Lowercase or uppercase hex of `minBytes..maxBytes` bytes. */
  hex(name: string, minBytes: number, maxBytes = minBytes): Uint8Array {
    const value = this.#present(name);
    const size = minBytes === maxBytes ? `${minBytes} bytes` : `${minBytes}..${maxBytes} bytes`;
    if (typeof value !== 'string') throw invalidField(this.#name(name), `expected hex (${size}), got ${describe(value)}`);
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(value);
    } catch {
      throw invalidField(this.#name(name), `expected hex (${size}), got a string that is not hex`);
    }
    if (bytes.length < minBytes || bytes.length > maxBytes) throw invalidField(this.#name(name), `expected ${size}, got ${bytes.length}`);
    return bytes;
  }

  int(name: string, min: number, max: number): number {
    const value = this.#present(name);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidField(this.#name(name), `expected an integer, got ${typeof value === 'number' ? String(value) : describe(value)}`);
    if (value < min || value > max) throw invalidField(this.#name(name), `expected ${min}..${max}, got ${value}`);
    return value;
  }

  text(name: string, maxBytes: number, minChars = 0): string {
    const value = this.#present(name);
    if (typeof value !== 'string') throw invalidField(this.#name(name), `expected text, got ${describe(value)}`);
    if (value.length < minChars) throw invalidField(this.#name(name), `must not be empty`);
    const bytes = utf8Encode(value).length;
    if (bytes > maxBytes) throw invalidField(this.#name(name), `expected at most ${maxBytes} UTF-8 bytes, got ${bytes}`);
    return value;
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T {
    const value = this.#present(name);
    if (typeof value !== 'string' || !choices.includes(value as T)) throw invalidField(this.#name(name), `expected one of ${choices.map((c) => `"${c}"`).join(', ')}`);
    return value as T;
  }

  object(name: string, allowed: readonly string[]): JsonFields {
    return JsonFields.of(this.#present(name), allowed, this.#name(name));
  }

  array(name: string, minItems: number, maxItems: number): unknown[] {
    const value = this.#present(name);
    if (!Array.isArray(value)) throw invalidField(this.#name(name), `expected an array, got ${describe(value)}`);
    if (value.length < minItems || value.length > maxItems) throw invalidField(this.#name(name), `expected ${minItems}..${maxItems} items, got ${value.length}`);
    return value;
  }
}

/** A hex id from the path or query (e.g. `{kid}`): exactly `bytes` bytes, answered lowercase. */
export function hexParam(value: string | null, name: string, bytes: number): string {
  if (value === null || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value)) throw invalidField(name, `expected ${bytes * 2} hex digits`);
  return value.toLowerCase();
}

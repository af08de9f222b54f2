// Checking a JSON value against one of the API's schemas (fields.ts, routes.ts), and saying in one
// line what is wrong with it: the field (dotted path) and what was expected, e.g.
// `"limit.amountMinor" expected an integer, got string`. The relay answers request errors with it
// (400 invalid-field), the phone reports a relay answer or a wallet file that breaks its schema
// with it. A union whose branches each fix one property to a constant (the charging limit's
// `mode`) is read as tagged by it: the value's tag picks the branch whose errors are reported.
import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { Settings } from 'typebox/system';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

type SchemaNode = Record<string, unknown>;
type SchemaError = { keyword: string; schemaPath: string; instancePath: string; params: Record<string, unknown>; message: string };

// TypeBox buffers 8 errors by default; a union reports every branch before its own error, so the
// branch that matters may come later. Still bounded: bodies are at most 64 KiB.
Settings.Set({ maxErrors: 64 });

const validators = new WeakMap<TSchema, Validator>();

function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (!validator) {
    validator = Compile(schema) as unknown as Validator;
    validators.set(schema, validator);
  }
  return validator;
}

/** `value` as the schema's type, or the first thing wrong with it (see `explain`). Never throws. */
export function checkJson<S extends TSchema>(schema: S, value: unknown, root: string): Result<Static<S>, 'invalid'> {
  const validator = validatorOf(schema);
  if (validator.Check(value)) return ok(value as Static<S>);
  return fail('invalid', explain(schema, value, validator.Errors(value) as SchemaError[], root));
}

function pointer(path: string): string[] {
  return path.replace(/^#/, '').split('/').filter((p) => p !== '').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function nodeAt(schema: TSchema, schemaPath: string): SchemaNode | undefined {
  let node: unknown = schema;
  for (const part of pointer(schemaPath)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== null && typeof node === 'object' ? (node as SchemaNode) : undefined;
}

function valueAt(value: unknown, instancePath: string): unknown {
  let at = value;
  for (const part of pointer(instancePath)) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return at;
}

const fieldName = (root: string, instancePath: string): string => (instancePath === '' ? root : pointer(instancePath).join('.'));

/** The property every branch of a union fixes to a constant, and the constants, if there is one. */
function tagOf(branches: SchemaNode[]): { name: string; values: unknown[] } | undefined {
  const first = branches[0]?.['properties'] as Record<string, SchemaNode> | undefined;
  for (const name of Object.keys(first ?? {})) {
    const values = branches.map((b) => ((b['properties'] as Record<string, SchemaNode> | undefined)?.[name])?.['const']);
    if (values.every((v) => v !== undefined)) return { name, values };
  }
  return undefined;
}

// Reduces the errors of each union the value failed (TypeBox reports every branch, then an
// `anyOf` error on the union) to the errors of one branch: the branch the value's tag names in a
// tagged union, one "expected one of" for a union of constants, else the branch that came closest.
function narrowUnions(schema: TSchema, value: unknown, errors: SchemaError[]): SchemaError[] {
  const union = errors.find((e) => e.keyword === 'anyOf');
  if (!union) return errors;
  const branchPrefix = `${union.schemaPath}/anyOf/`;
  const rest = errors.filter((e) => e !== union && !e.schemaPath.startsWith(branchPrefix));
  const branches = (nodeAt(schema, union.schemaPath)?.['anyOf'] as SchemaNode[] | undefined) ?? [];
  const constants = branches.map((b) => b['const']);
  const at = valueAt(value, union.instancePath);
  const oneOf = (instancePath: string, allowed: unknown[]): SchemaError => ({ keyword: 'const', schemaPath: union.schemaPath, instancePath, params: { allowed }, message: '' });
  if (constants.every((c) => c !== undefined)) return narrowUnions(schema, value, [...rest, oneOf(union.instancePath, constants)]);
  const ofBranch = (i: number) => errors.filter((e) => e.schemaPath === `${branchPrefix}${i}` || e.schemaPath.startsWith(`${branchPrefix}${i}/`));
  const tag = tagOf(branches);
  let chosen: number;
  if (tag && at !== null && typeof at === 'object' && !Array.isArray(at)) {
    chosen = tag.values.indexOf((at as Record<string, unknown>)[tag.name]);
    if (chosen < 0) return narrowUnions(schema, value, [...rest, oneOf(`${union.instancePath}/${tag.name}`, tag.values)]);
  } else {
    chosen = branches.map((_, i) => i).sort((x, y) => ofBranch(x).length - ofBranch(y).length)[0] ?? 0;
  }
  return narrowUnions(schema, value, [...rest, ...ofBranch(chosen)]);
}

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value);

const typeWords: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'text', array: 'an array', object: 'a JSON object', boolean: 'true or false', null: 'nothing' };

function bounds(node: SchemaNode, low: string, high: string, unit = ''): string {
  const min = node[low] as number | undefined;
  const max = node[high] as number | undefined;
  if (min !== undefined && max !== undefined) return `${min}..${max}${unit}`;
  return min !== undefined ? `at least ${min}${unit}` : `at most ${max}${unit}`;
}

function hexBytes(value: string): number | undefined {
  return /^([0-9a-fA-F]{2})*$/.test(value) ? value.length / 2 : undefined;
}

/** One line: which field, what was expected, what came. */
function explain(schema: TSchema, value: unknown, errors: readonly SchemaError[], root: string): string {
  const chosen = narrowUnions(schema, value, [...errors]);
  const unknownField = chosen.find((e) => e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties'));
  if (unknownField) return `"${fieldName(root, unknownField.instancePath)}" is not a known field`;
  const missing = chosen.find((e) => e.keyword === 'required');
  if (missing) {
    const names = (missing.params['requiredProperties'] as string[] | undefined) ?? [];
    const parent = valueAt(value, missing.instancePath) as Record<string, unknown> | undefined;
    const name = names.find((n) => parent?.[n] === undefined) ?? names[0] ?? '?';
    return `"${missing.instancePath === '' ? name : `${fieldName(root, missing.instancePath)}.${name}`}" is required`;
  }
  const e = chosen.find((x) => x.keyword !== 'additionalProperties') ?? chosen[0];
  if (!e) return `"${root}" does not match its schema`;
  const field = `"${fieldName(root, e.instancePath)}"`;
  const node = nodeAt(schema, e.schemaPath) ?? {};
  const got = valueAt(value, e.instancePath);
  const description = node['description'] as string | undefined;
  switch (e.keyword) {
    case 'type': {
      const wanted = typeWords[String(e.params['type'])] ?? String(e.params['type']);
      return `${field} expected ${description && e.params['type'] === 'string' ? description : wanted}, got ${typeof got === 'number' ? String(got) : describe(got)}`;
    }
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return `${field} expected ${bounds(node, 'minimum', 'maximum')}, got ${String(got)}`;
    case 'minItems': case 'maxItems':
      return `${field} expected ${bounds(node, 'minItems', 'maxItems', ' items')}, got ${Array.isArray(got) ? got.length : '?'}`;
    case 'minLength':
      return node['minLength'] === 1 ? `${field} must not be empty` : `${field} expected ${bounds(node, 'minLength', 'maxLength', ' characters')}`;
    case 'maxLength':
      return `${field} expected ${description ?? bounds(node, 'minLength', 'maxLength', ' characters')}`;
    case 'pattern': {
      const bytes = node['x-bytes'] as [number, number] | undefined;
      const length = typeof got === 'string' ? hexBytes(got) : undefined;
      if (bytes && length !== undefined) return `${field} expected ${bytes[0] === bytes[1] ? bytes[0] : `${bytes[0]}..${bytes[1]}`} bytes, got ${length}`;
      return `${field} expected ${description ?? `text matching ${String(node['pattern'])}`}${bytes ? ', got a string that is not hex' : ''}`;
    }
    case 'const': case 'enum': {
      const allowed = (e.params['allowed'] as unknown[] | undefined) ?? (node['enum'] as unknown[] | undefined) ?? [node['const']];
      return `${field} expected one of ${allowed.map(String).join('|')}`;
    }
    case '~refine':
      return `${field} ${String(e.params['message'] ?? e.message)}`;
    default:
      return `${field} ${e.message}`;
  }
}


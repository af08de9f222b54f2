// How the audit reports: each disagreement is one line naming the table, the row's key and what
// differs — "contracts 3f2a…0007: amount_minor stored 410, derived 310 from receipt 3f2a…#8" — in
// the order the tables are checked (signed sources first), so the first line names the first row
// that disagrees with what the signed records, the relay's signatures and the ledger say.
import type { Row } from '../storage/db.ts';

/** A value re-derived for one column, and what it was derived from. */
export type Derived = { value: string | number | null; from: string };
export type DerivedColumns = Record<string, Derived>;

/** Every column of a table, each either re-derived or named with the reason it cannot be. */
export type TableColumns = { derived: readonly string[]; underivable: Readonly<Record<string, string>> };

export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return String(value);
}

/** Stored integers come back as numbers (SQLite, and PostgreSQL through its BIGINT parser); text as strings. */
export function sameValue(stored: unknown, derived: string | number | null): boolean {
  if (derived === null) return stored === null || stored === undefined;
  if (stored === null || stored === undefined) return false;
  if (typeof derived === 'number') return (typeof stored === 'number' || typeof stored === 'bigint' || typeof stored === 'string') && Number(stored) === derived;
  return stored === derived;
}

/** An integer column's value, or undefined when it holds anything else. */
export function storedInt(value: unknown): number | undefined {
  const n = typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^-?[0-9]+$/.test(value)) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function storedText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export class Findings {
  readonly lines: string[] = [];

  add(table: string, key: string, text: string): void {
    this.lines.push(`${table} ${key}: ${text}`);
  }

  /** Each derived column against the stored row's. */
  compareRow(table: string, key: string, stored: Row, derived: DerivedColumns): void {
    for (const [column, d] of Object.entries(derived)) {
      if (!sameValue(stored[column], d.value)) this.add(table, key, `${column} stored ${shown(stored[column])}, derived ${shown(d.value)} from ${d.from}`);
    }
  }

  /**
   * A column nobody decided about is a figure nobody audits: every column of the stored rows must
   * be re-derived or declared underivable (with its reason) by the table's check.
   */
  accountFor(table: string, rows: readonly Row[], columns: TableColumns): void {
    const known = new Set([...columns.derived, ...Object.keys(columns.underivable)]);
    for (const column of Object.keys(rows[0] ?? {})) {
      if (!known.has(column)) this.lines.push(`${table}: column ${column} is neither re-derived nor declared underivable by the audit (tools/relay/audit)`);
    }
  }
}

/**
 * Stored rows against derived rows by key: a stored row nothing derives was inserted (`noSource`
 * says what is missing), a derived row with no stored one was deleted (`needs` says what calls for it).
 */
export function compareTable(
  f: Findings,
  table: string,
  stored: ReadonlyMap<string, Row>,
  derived: ReadonlyMap<string, { columns: DerivedColumns; needs: string }>,
  noSource: (key: string, row: Row) => string,
): void {
  const keys = [...new Set([...stored.keys(), ...derived.keys()])].sort();
  for (const key of keys) {
    const row = stored.get(key);
    const want = derived.get(key);
    if (row && want) f.compareRow(table, key, row, want.columns);
    else if (row) f.add(table, key, `no source: ${noSource(key, row)}`);
    else if (want) f.add(table, key, `no row, yet ${want.needs}`);
  }
}

// The relay's database, whatever engine is behind it: SQLite in DATA/relay.sqlite (default) or
// PostgreSQL (DATABASE_URL). SQL is written once with `?` placeholders and portable types; the
// dialect files translate the little that differs (placeholders, BYTES, SERIAL, row locks).
export type SqlValue = string | number | null | Uint8Array;
export type Row = Record<string, unknown>;

export interface Queryable {
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a write; answers the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Db extends Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  /** Appended to a SELECT that must lock its rows until commit (PostgreSQL); SQLite serialises writers anyway. */
  readonly forUpdate: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Never await anything but `tx` inside: no ledger calls, no network. Statements issued without
   * awaiting the one before (Promise.all) run in the order issued; PostgreSQL gets them in one
   * round trip (pipelined).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A Uint8Array column value (both drivers hand back Buffers, which are Uint8Arrays). */
export function bytesColumn(value: unknown, column: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`relay db: column "${column}" expected bytes, got ${typeof value}`);
  return value;
}

/** `?, ?, …` for `n` values (an IN list, a VALUES row). */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * `CASE key WHEN ? THEN ? … END` choosing each row's value by its key (a multi-row UPDATE's SET);
 * `castAs` types the values where PostgreSQL cannot infer them (a number into a BIGINT column).
 */
export function caseOf(key: string, rows: readonly (readonly [SqlValue, SqlValue])[], castAs?: string): { sql: string; params: SqlValue[] } {
  const then = castAs ? `CAST(? AS ${castAs})` : '?';
  return { sql: `CASE ${key} ${rows.map(() => `WHEN ? THEN ${then}`).join(' ')} END`, params: rows.flat() };
}

/** Rows per multi-row statement: few enough statement texts for the prepared-statement caches. */
const ROWS_PER_STATEMENT = 64;

/** `items` in runs of at most 64, one multi-row statement each. */
export function* statementChunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) yield items.slice(i, i + ROWS_PER_STATEMENT);
}

// The statement texts insertRows built, by insert, conflict clause and row count: the same string
// each time, so the drivers' statement caches find it without hashing kilobytes of placeholders again.
const insertTexts = new Map<string, string[]>();

/**
 * `INSERT INTO t (a, b) VALUES (?, ?), (?, ?), … onConflict` for every row, in statements of at most
 * 64 rows sent together, in order (`onConflict`: an `ON CONFLICT …` clause, or nothing).
 */
export async function insertRows(q: Queryable, insertInto: string, rows: readonly (readonly SqlValue[])[], onConflict = ''): Promise<void> {
  const key = `${insertInto}\n${onConflict}`;
  let texts = insertTexts.get(key);
  if (texts === undefined) insertTexts.set(key, (texts = []));
  const sent: Promise<number>[] = [];
  for (const chunk of statementChunks(rows)) {
    let sql = texts[chunk.length];
    if (sql === undefined) {
      const row = `(${placeholders(chunk[0]!.length)})`;
      sql = texts[chunk.length] = `${insertInto} VALUES ${chunk.map(() => row).join(', ')}${onConflict === '' ? '' : ` ${onConflict}`}`;
    }
    const params: SqlValue[] = [];
    for (const row of chunk) for (const value of row) params.push(value); // Array.prototype.flat is several times slower here
    sent.push(q.run(sql, params));
  }
  await Promise.all(sent);
}

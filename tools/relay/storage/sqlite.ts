// SQLite dialect (better-sqlite3, synchronous): one connection, WAL, synchronous=FULL so a
// committed record survives a power cut, not only a crash. Every statement and transaction goes
// through one queue, so an async transaction never interleaves with another statement.
import Database from 'better-sqlite3';
import type { Db, Queryable, Row, SqlValue } from './db.ts';
import type { DdlDialect } from './migrations.ts';

/** `readonly`: an existing file, opened for reading only (the audit: it never writes what it checks). */
export function openSqlite(path: string, options: { readonly?: boolean } = {}): Db & DdlDialect {
  const sqlite = new Database(path, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  if (!options.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const direct: Queryable = {
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(params) as T[],
    get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).get(params) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => prepare(sql).run(params).changes,
  };
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    dialect: 'sqlite',
    forUpdate: '',
    migrationLock: '',
    translateDdl: (sql) => sql.replaceAll('{bytes}', 'BLOB').replaceAll('{serial}', 'INTEGER PRIMARY KEY AUTOINCREMENT'),
    all: (sql, params) => serial(() => direct.all(sql, params)),
    get: (sql, params) => serial(() => direct.get(sql, params)),
    run: (sql, params) => serial(() => direct.run(sql, params)),
    transaction: (fn) =>
      serial(async () => {
        sqlite.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(direct);
          sqlite.exec('COMMIT');
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          throw error;
        }
      }),
    close: () => serial(async () => { sqlite.close(); }),
  };
}

// SQLite dialect (better-sqlite3, synchronous): one connection, WAL, synchronous=FULL so a
// committed record survives a power cut, not only a crash. Every statement and transaction goes
// through one queue, so an async transaction never interleaves with another statement, and the
// ones submitted together share one commit (groupCommits).
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
  const commits = groupCommits(sqlite, direct, options.readonly === true);
  return {
    dialect: 'sqlite',
    forUpdate: '',
    migrationLock: '',
    translateDdl: (sql) => sql.replaceAll('{bytes}', 'BLOB').replaceAll('{serial}', 'INTEGER PRIMARY KEY AUTOINCREMENT'),
    all: (sql, params) => commits.submit((q) => q.all(sql, params)),
    get: (sql, params) => commits.submit((q) => q.get(sql, params)),
    run: (sql, params) => commits.submit((q) => q.run(sql, params)),
    transaction: (fn) => commits.submit(fn),
    close: async () => {
      await commits.idle();
      sqlite.close();
    },
  };
}

type Job = { fn: (q: Queryable) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * Group commit: the statements and transactions submitted in one turn of the event loop run one
 * after the other, each in a savepoint of ONE SQLite transaction, and are answered after its
 * COMMIT — one fsync of the WAL for all of them instead of one each (synchronous=FULL). A job that
 * throws is rolled back to its savepoint alone; a failed COMMIT fails every job of the group.
 * Nothing is answered before it is durable, as with a transaction each.
 */
function groupCommits(sqlite: Database.Database, direct: Queryable, readonly: boolean) {
  let waiting: Job[] = [];
  let running: Promise<void> | undefined;

  async function runGroup(group: Job[]): Promise<void> {
    sqlite.exec(readonly ? 'BEGIN' : 'BEGIN IMMEDIATE');
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    for (const [i, job] of group.entries()) {
      sqlite.exec('SAVEPOINT job');
      try {
        outcomes.push({ ok: true, value: await job.fn(direct) });
        sqlite.exec('RELEASE job');
      } catch (error) {
        outcomes.push({ ok: false, error });
        if (sqlite.inTransaction) {
          sqlite.exec('ROLLBACK TO job');
          sqlite.exec('RELEASE job');
        } else {
          // SQLite rolled the whole transaction back (an I/O error, a full disk): the jobs before
          // this one are undone with it, the ones after it go to the next group.
          for (const done of group.slice(0, i)) done.reject(error);
          job.reject(error);
          waiting = [...group.slice(i + 1), ...waiting];
          return;
        }
      }
    }
    try {
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  // Started from setImmediate: after the poll phase has read every request that is ready, so a
  // busy relay's requests of one turn share a group; an idle relay's one request waits a turn.
  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await runGroup(group);
      } catch (error) {
        // BEGIN, SAVEPOINT or RELEASE failed (the database locked by another process past
        // busy_timeout, an I/O error): every job of the group fails and nothing of it is kept.
        for (const job of group) job.reject(error);
        try {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        } catch {
          // the connection is unusable: the next group's BEGIN fails and reports it to its jobs
        }
      }
      if (waiting.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    running = undefined;
  }

  return {
    submit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        running ??= new Promise((resolve) => setImmediate(resolve)).then(drain);
      });
    },
    /** Resolves when every job submitted so far is answered. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

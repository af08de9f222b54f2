// A relay database as a relay of an older version left it: every migration before `version`
// applied and recorded, the later ones not, for migration tests to fill and then migrate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db, Queryable } from '../../tools/relay/storage/db.ts';
import { type DdlDialect, migrations } from '../../tools/relay/storage/migrations.ts';
import { openPostgres } from '../../tools/relay/storage/postgres.ts';
import { openSqlite } from '../../tools/relay/storage/sqlite.ts';
import { startTestPostgres } from './postgres.ts';

export async function schemaBefore<D extends Db & DdlDialect>(db: D, version: number, fill: (tx: Queryable) => Promise<void>): Promise<D> {
  await db.transaction(async (tx) => {
    await tx.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)');
    for (const migration of migrations.filter((m) => m.version < version)) {
      for (const statement of migration.statements) await tx.run(db.translateDdl(statement));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, 0)', [migration.version, migration.name]);
    }
    await fill(tx);
  });
  return db;
}

/** schemaBefore on a SQLite file. */
export function relayDbBefore(file: string, version: number, fill: (tx: Queryable) => Promise<void>): Promise<ReturnType<typeof openSqlite>> {
  return schemaBefore(openSqlite(file), version, fill);
}

type Check = (db: Db & DdlDialect) => Promise<void>;

/** `check` on a throwaway SQLite database left before `version` and filled by `fill`. */
export async function beforeOnSqlite(version: number, fill: (tx: Queryable) => Promise<void>, check: Check): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-migration-'));
  const db = await relayDbBefore(join(dir, 'relay.sqlite'), version, fill);
  try {
    await check(db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `check` on a throwaway PostgreSQL database (postgres.ts) left before `version` and filled by `fill`. */
export async function beforeOnPostgres(version: number, fill: (tx: Queryable) => Promise<void>, check: Check): Promise<void> {
  const server = await startTestPostgres();
  const db = await schemaBefore(await openPostgres(server.url), version, fill);
  try {
    await check(db);
  } finally {
    await db.close();
    await server.stop();
  }
}

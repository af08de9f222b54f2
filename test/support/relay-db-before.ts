// A relay database as a relay of an older version left it: every migration before `version`
// applied and recorded, the later ones not, for migration tests to fill and then migrate.
import type { Db, Queryable } from '../../tools/relay/storage/db.ts';
import { type DdlDialect, migrations } from '../../tools/relay/storage/migrations.ts';
import { openSqlite } from '../../tools/relay/storage/sqlite.ts';

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

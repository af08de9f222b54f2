// A relay SQLite database as a relay of an older version left it: every migration before
// `version` applied and recorded, the later ones not, for migration tests to fill and then migrate.
import { migrations } from '../../tools/relay/storage/migrations.ts';
import { openSqlite } from '../../tools/relay/storage/sqlite.ts';
import type { Queryable } from '../../tools/relay/storage/db.ts';

export async function relayDbBefore(file: string, version: number, fill: (tx: Queryable) => Promise<void>): Promise<ReturnType<typeof openSqlite>> {
  const db = openSqlite(file);
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

// Opens the relay database and brings its schema up to date: PostgreSQL when a URL is given,
// otherwise SQLite in DATA/relay.sqlite.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';

export type OpenedDb = { db: Db; where: string; migrationsApplied: number[] };

/** Shows a connection URL without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export async function openRelayDb(options: { dataDir: string; databaseUrl?: string | undefined; nowMs: number }): Promise<OpenedDb> {
  if (options.databaseUrl) {
    const db = await openPostgres(options.databaseUrl);
    try {
      return { db, where: redactUrl(options.databaseUrl), migrationsApplied: await migrate(db, options.nowMs) };
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, 'relay.sqlite');
  const db = openSqlite(path);
  try {
    return { db, where: path, migrationsApplied: await migrate(db, options.nowMs) };
  } catch (error) {
    await db.close();
    throw error;
  }
}

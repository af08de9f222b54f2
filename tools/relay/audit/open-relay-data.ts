// Opens a relay's data folder for the audit, reading only: DATA/relay.sqlite opened read-only (the
// audit never writes what it checks, not even a migration), the embedded ledger replayed from
// DATA/ledger/, and the trust anchors — the public keys of DATA/relay-key.json (it signs vouchers
// and pile configs) and DATA/operator-key.json (the operator the relay registers at start).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../../key-file.ts';
import { openEmbeddedLedger } from '../../ledger/embedded.ts';
import type { Ledger } from '../../ledger/ledger.ts';
import type { Db } from '../storage/db.ts';
import { migrations } from '../storage/migrations.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { RelayAuditError } from './errors.ts';

export type AuditAnchors = { relayPublicKey: Uint8Array; operatorPublicKeys: readonly Uint8Array[] };

export type RelayData = { db: Db; ledger: Ledger; anchors: AuditAnchors };

const REQUIRED = ['relay.sqlite', 'relay-key.json', 'operator-key.json', join('ledger', 'chain.json')];

/** The public keys the audit trusts, from the relay's key files (each checked: secret ↔ public ↔ kid). */
export function readAnchors(dataDir: string): AuditAnchors {
  return {
    relayPublicKey: readKeyFile(join(dataDir, 'relay-key.json')).publicKey,
    operatorPublicKeys: [readKeyFile(join(dataDir, 'operator-key.json')).publicKey],
  };
}

/** better-sqlite3 reports a damaged or foreign file with an SQLITE_* code, at open or at any read. */
function databaseFailure(error: unknown, path: string): RelayAuditError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (code === 'SQLITE_ERROR') return new RelayAuditError('unknown-schema', `${path} is not a relay database this audit knows (${message})`);
  return new RelayAuditError('unreadable-database', `${path} cannot be read (${code}: ${message})`);
}

async function checkSchema(db: Db, path: string): Promise<void> {
  const applied = (await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
  const known = migrations.map((m) => m.version);
  if (applied.join() !== known.join()) {
    const hint = applied.every((v, i) => v === known[i]) ? ' (an older relay\'s: start the relay once on it to bring it up to date)' : '';
    throw new RelayAuditError('unknown-schema', `${path} has schema versions [${applied.join(', ')}], this audit knows [${known.join(', ')}]${hint}`);
  }
}

/**
 * Opens the folder, runs `use`, closes everything; a database that cannot be read is one
 * RelayAuditError. The database is read first: a damaged one is reported as such even when the
 * rest of the folder is missing too.
 */
export async function withRelayData<T>(dataDir: string, use: (data: RelayData) => Promise<T>): Promise<T> {
  const missing = () => REQUIRED.filter((file) => !existsSync(join(dataDir, file)));
  const noRelayData = () => new RelayAuditError('no-relay-data', `${dataDir} holds no relay data (missing ${missing().join(', ')})`);
  const path = join(dataDir, 'relay.sqlite');
  if (!existsSync(path)) throw noRelayData();
  let db: Db | undefined;
  try {
    db = openSqlite(path, { readonly: true });
    await checkSchema(db, path);
    if (missing().length > 0) throw noRelayData();
    const anchors = readAnchors(dataDir);
    const ledger = await openEmbeddedLedger(dataDir);
    try {
      return await use({ db, ledger, anchors });
    } finally {
      await ledger.close();
    }
  } catch (error) {
    throw databaseFailure(error, path) ?? error;
  } finally {
    await db?.close();
  }
}

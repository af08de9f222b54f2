// Every row of every table the audit checks, read once (SELECT *, so a column the audit does not
// account for shows up), keyed as the findings name them; and the tables of the schema it leaves
// alone, each with its reason — a table of the schema in neither list is a finding.
import type { Queryable, Row } from '../storage/db.ts';
import { migrations } from '../storage/migrations.ts';
import { type Findings, storedInt, storedText } from './findings.ts';

export const AUDITED_TABLES = ['operators', 'piles', 'pile_configs', 'service_authorizations', 'records', 'held_ranges', 'vouchers', 'contract_resolutions', 'contracts', 'receipts', 'ledger_outbox', 'money_moves', 'refunds', 'users'] as const;
export type AuditedTable = (typeof AUDITED_TABLES)[number];

export const UNAUDITED_TABLES: Readonly<Record<string, string>> = {
  request_nonces: 'replay protection of signed requests, which are not kept',
  worker_leases: 'which process runs the outbox worker',
  schema_migrations: 'checked before anything is read: the versions this audit knows',
};

/** Every table the schema creates (storage/migrations.ts) must be audited or named in UNAUDITED_TABLES. */
export function accountForTables(f: Findings): void {
  const created = migrations.flatMap((m) => m.statements).flatMap((sql) => /^CREATE TABLE (?:IF NOT EXISTS )?(\w+)/.exec(sql)?.[1] ?? []);
  for (const table of created) {
    if (!(AUDITED_TABLES as readonly string[]).includes(table) && !(table in UNAUDITED_TABLES)) {
      f.lines.push(`${table}: table is neither re-derived nor declared unaudited by the audit (tools/relay/audit)`);
    }
  }
}

const ORDER: Record<AuditedTable, string> = {
  operators: 'kid',
  piles: 'pile_id',
  pile_configs: 'pile_id, config_version',
  service_authorizations: 'pile_id, challenge, scope',
  records: 'pile_id, seq',
  held_ranges: 'pile_id, from_seq',
  vouchers: 'voucher_id',
  contract_resolutions: 'contract_id',
  contracts: 'contract_id',
  receipts: 'pile_id, seq',
  ledger_outbox: 'id',
  money_moves: 'ref',
  refunds: 'ref',
  users: 'kid',
};

/** The key a finding names a row by: the primary key, `pile#seq` for per-pile sequences, `pile#challenge#scope` for service authorisations, `#id` for the outbox. */
export function rowKey(table: AuditedTable, row: Row): string {
  switch (table) {
    case 'pile_configs': return `${storedText(row['pile_id'])}#${storedInt(row['config_version'])}`;
    case 'service_authorizations': return `${storedText(row['pile_id'])}#${storedText(row['challenge'])}#${storedText(row['scope'])}`;
    case 'records': case 'receipts': return `${storedText(row['pile_id'])}#${storedInt(row['seq'])}`;
    case 'held_ranges': return `${storedText(row['pile_id'])}#${storedInt(row['from_seq'])}`;
    case 'ledger_outbox': return `#${storedInt(row['id'])}`;
    case 'operators': case 'users': return String(row['kid']);
    case 'piles': return String(row['pile_id']);
    case 'vouchers': return String(row['voucher_id']);
    case 'contracts': case 'contract_resolutions': return String(row['contract_id']);
    case 'money_moves': case 'refunds': return String(row['ref']);
  }
}

export type StoredTables = { [T in AuditedTable]: Map<string, Row> };

export async function readStoredTables(db: Queryable): Promise<StoredTables> {
  const tables = {} as StoredTables;
  for (const table of AUDITED_TABLES) {
    const rows = await db.all(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`);
    tables[table] = new Map(rows.map((row) => [rowKey(table, row), row]));
  }
  return tables;
}

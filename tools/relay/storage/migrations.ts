// The one schema of the relay, as an ordered list of migrations applied once each (recorded in
// schema_migrations). Tokens the dialects replace: {bytes} (BLOB / BYTEA) and {serial} (an
// auto-increment integer primary key). Amounts are BIGINT minor units; ids, kids and keys are
// lowercase hex TEXT; times are seconds (`_s`) or milliseconds (`_ms`).
import type { Db } from './db.ts';

export type Migration = { version: number; name: string; statements: readonly string[] };

export const migrations: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'accounts, registry, vouchers, records, ledger outbox',
    statements: [
      `CREATE TABLE operators (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL, label TEXT NOT NULL, created_at_s BIGINT NOT NULL)`,
      // book_*: the ledger state expected once every outbox row of the user has been applied;
      // debt_minor: operator advances (credit line) not yet repaid.
      `CREATE TABLE users (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL, display_name TEXT NOT NULL, address TEXT NOT NULL,
        created_at_s BIGINT NOT NULL, book_balance_minor BIGINT NOT NULL DEFAULT 0, book_escrow_minor BIGINT NOT NULL DEFAULT 0,
        debt_minor BIGINT NOT NULL DEFAULT 0)`,
      `CREATE TABLE request_nonces (kid TEXT NOT NULL, nonce TEXT NOT NULL, at_s BIGINT NOT NULL, PRIMARY KEY (kid, nonce))`,
      `CREATE INDEX request_nonces_at ON request_nonces (at_s)`,
      `CREATE TABLE piles (pile_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, operator TEXT NOT NULL, config_version BIGINT NOT NULL,
        created_at_s BIGINT NOT NULL)`,
      `CREATE TABLE pile_configs (pile_id TEXT NOT NULL, config_version BIGINT NOT NULL, label TEXT NOT NULL, max_power_w BIGINT NOT NULL,
        tariff_version BIGINT NOT NULL, energy_minor_per_kwh BIGINT NOT NULL, time_minor_per_hour BIGINT NOT NULL,
        session_fee_minor BIGINT NOT NULL, issued_at_s BIGINT NOT NULL, pile_update {bytes} NOT NULL, PRIMARY KEY (pile_id, config_version))`,
      `CREATE TABLE vouchers (voucher_id TEXT PRIMARY KEY, user_kid TEXT NOT NULL, pile_id TEXT NOT NULL, pile_nonce TEXT NOT NULL,
        mode TEXT NOT NULL, limit_value BIGINT, cap_amount_minor BIGINT NOT NULL, tariff_version BIGINT NOT NULL,
        issued_at_s BIGINT NOT NULL, expires_at_s BIGINT NOT NULL, contract_id TEXT, signed {bytes} NOT NULL)`,
      `CREATE INDEX vouchers_user ON vouchers (user_kid, contract_id)`,
      // Every signed record held, deduplicated by (pile, billing sequence).
      `CREATE TABLE records (pile_id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL, signed {bytes} NOT NULL,
        received_at_s BIGINT NOT NULL, gap_below INTEGER NOT NULL, PRIMARY KEY (pile_id, seq))`,
      `CREATE TABLE contracts (contract_id TEXT PRIMARY KEY, pile_id TEXT NOT NULL, seq BIGINT NOT NULL, user_kid TEXT NOT NULL,
        voucher_id TEXT NOT NULL, mode TEXT NOT NULL, limit_value BIGINT, cap_amount_minor BIGINT NOT NULL, capped INTEGER NOT NULL,
        tariff_version BIGINT NOT NULL, energy_minor_per_kwh BIGINT NOT NULL, time_minor_per_hour BIGINT NOT NULL,
        session_fee_minor BIGINT NOT NULL, start_at_s BIGINT NOT NULL, received_at_s BIGINT NOT NULL, sha256 TEXT NOT NULL,
        status TEXT NOT NULL, problem TEXT, advance_minor BIGINT NOT NULL DEFAULT 0,
        receipt_seq BIGINT, end_reason TEXT, end_detail INTEGER, energy_wh BIGINT, duration_s BIGINT, receipt_amount_minor BIGINT,
        amount_minor BIGINT, receipt_received_at_s BIGINT, late INTEGER NOT NULL DEFAULT 0)`,
      `CREATE INDEX contracts_user ON contracts (user_kid, status)`,
      `CREATE INDEX contracts_status ON contracts (status, received_at_s)`,
      `CREATE TABLE receipts (pile_id TEXT NOT NULL, seq BIGINT NOT NULL, contract_seq BIGINT NOT NULL, end_reason TEXT NOT NULL,
        end_detail INTEGER NOT NULL, energy_wh BIGINT NOT NULL, duration_s BIGINT NOT NULL, amount_minor BIGINT NOT NULL,
        end_at_s BIGINT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (pile_id, seq))`,
      `CREATE INDEX receipts_contract ON receipts (pile_id, contract_seq)`,
      `CREATE TABLE ledger_outbox (id {serial}, kind TEXT NOT NULL, contract_id TEXT, ref TEXT, user_address TEXT, to_address TEXT,
        cap_minor BIGINT, amount_minor BIGINT, capped INTEGER, hash TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, tx_hash TEXT, gas_used BIGINT, created_at_ms BIGINT NOT NULL, done_at_ms BIGINT)`,
      `CREATE INDEX ledger_outbox_state ON ledger_outbox (state, id)`,
      // Top-ups, transfers, operator advances and repayments, each with its ledger ref.
      `CREATE TABLE money_moves (ref TEXT PRIMARY KEY, kind TEXT NOT NULL, from_kid TEXT, to_kid TEXT, amount_minor BIGINT NOT NULL,
        at_s BIGINT NOT NULL, contract_id TEXT, outbox_id BIGINT NOT NULL)`,
      `CREATE INDEX money_moves_to ON money_moves (to_kid)`,
      `CREATE INDEX money_moves_from ON money_moves (from_kid)`,
      `CREATE TABLE worker_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at_ms BIGINT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'one name for the price cap: cap_minor',
    statements: [
      `ALTER TABLE vouchers RENAME COLUMN cap_amount_minor TO cap_minor`,
      `ALTER TABLE contracts RENAME COLUMN cap_amount_minor TO cap_minor`,
    ],
  },
  {
    version: 3,
    name: 'vouchers: cancelled_at_s; expires_at_s is the reservation end',
    statements: [
      `ALTER TABLE vouchers ADD COLUMN cancelled_at_s BIGINT`,
      // A voucher's cap was reserved until expires_at_s + 300 s; it now is until expires_at_s,
      // which outlasts any pile's acceptance (contracts-offline/voucher-lifetime.ts).
      `UPDATE vouchers SET expires_at_s = expires_at_s + 300`,
    ],
  },
  {
    version: 4,
    name: 'operator decisions: disputed contracts resolved, refunds',
    statements: [
      // One resolution per disputed contract: settled on its receipt or voided; who, when, why.
      `CREATE TABLE contract_resolutions (contract_id TEXT PRIMARY KEY, decision TEXT NOT NULL, reason TEXT NOT NULL,
        operator_kid TEXT NOT NULL, at_s BIGINT NOT NULL)`,
      // Who refunded and why; the amount, time and ledger write are its money_moves row (kind 'refund', same ref).
      `CREATE TABLE refunds (ref TEXT PRIMARY KEY, contract_id TEXT NOT NULL, reason TEXT NOT NULL, operator_kid TEXT NOT NULL)`,
      `CREATE INDEX refunds_contract ON refunds (contract_id)`,
      `CREATE INDEX money_moves_contract ON money_moves (contract_id)`,
      // Operators' session lists and exports look up each contract's settling write.
      `CREATE INDEX ledger_outbox_contract ON ledger_outbox (contract_id)`,
    ],
  },
  {
    version: 5,
    name: 'service authorisations: relay-signed, one per pile, console challenge and scope',
    statements: [
      // Who asked (operator_kid), when (issued_at_s, also signed), for which pile, key, console
      // challenge and command (scope), and the relay-signed ServiceAuthorization answered.
      `CREATE TABLE service_authorizations (pile_id TEXT NOT NULL, challenge TEXT NOT NULL, scope TEXT NOT NULL, pile_public_key TEXT NOT NULL,
        issued_at_s BIGINT NOT NULL, operator_kid TEXT NOT NULL, signed {bytes} NOT NULL, PRIMARY KEY (pile_id, challenge, scope))`,
      `CREATE INDEX service_authorizations_issued ON service_authorizations (pile_id, issued_at_s)`,
    ],
  },
  {
    version: 6,
    name: 'charge-cap outbox rows carry their contract record hash',
    statements: [
      // Rows queued before the outbox kept it: the stored contract's SHA-256 (the batch's records
      // digest and the audit need it); a row whose contract is not stored keeps none and is rejected.
      `UPDATE ledger_outbox SET hash = '0x' || (SELECT c.sha256 FROM contracts c WHERE c.contract_id = lower(substr(ledger_outbox.contract_id, 3)))
        WHERE kind = 'charge-cap' AND hash IS NULL`,
    ],
  },
  {
    version: 7,
    name: 'held_ranges: the runs of billing sequences held per pile',
    statements: [
      // Kept by the transaction that inserts the records, so an upload's Ack does not count a pile's
      // whole history; each run of consecutive sequences is one row.
      `CREATE TABLE held_ranges (pile_id TEXT NOT NULL, from_seq BIGINT NOT NULL, to_seq BIGINT NOT NULL, PRIMARY KEY (pile_id, from_seq))`,
      `INSERT INTO held_ranges (pile_id, from_seq, to_seq)
        SELECT pile_id, MIN(seq), MAX(seq)
          FROM (SELECT pile_id, seq, seq - ROW_NUMBER() OVER (PARTITION BY pile_id ORDER BY seq) AS run FROM records) AS runs
         GROUP BY pile_id, run`,
    ],
  },
  {
    version: 8,
    name: 'users: the credit record kept with the book',
    statements: [
      // billing/credit.ts: changed with the contract's status, so a voucher does not sum the user's history.
      `ALTER TABLE users ADD COLUMN settled_sessions BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE users ADD COLUMN settled_amount_minor BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE users ADD COLUMN late_receipts BIGINT NOT NULL DEFAULT 0`,
      `UPDATE users SET
         settled_sessions = (SELECT COUNT(*) FROM contracts c WHERE c.user_kid = users.kid AND c.status IN ('settled', 'corrected')),
         settled_amount_minor = (SELECT COALESCE(SUM(c.amount_minor), 0) FROM contracts c WHERE c.user_kid = users.kid AND c.status IN ('settled', 'corrected')),
         late_receipts = (SELECT COALESCE(SUM(CASE WHEN c.status IN ('settled', 'corrected') THEN c.late WHEN c.status = 'charged-at-cap' THEN 1 ELSE 0 END), 0)
                            FROM contracts c WHERE c.user_kid = users.kid)`,
    ],
  },
]);

/** What a dialect adds for migrations: DDL token translation and a lock held while migrating. */
export type DdlDialect = { translateDdl(sql: string): string; readonly migrationLock: string };

/** Applies every migration not yet recorded, each in its own transaction; answers the versions applied. */
export async function migrate(db: Db & DdlDialect, nowMs: number): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      if (db.migrationLock) await tx.all(db.migrationLock);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)');
      if (await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version])) return false;
      for (const statement of migration.statements) await tx.run(db.translateDdl(statement));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)', [migration.version, migration.name, nowMs]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

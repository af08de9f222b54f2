// Migration 8 on relay databases written before it, SQLite and PostgreSQL: each user's credit
// record (billing/credit.ts) is summed once from the contracts rows into the users row — settled and
// corrected contracts count with their amount and late flag, one charged at its cap counts as a
// late receipt, provisional, disputed and voided ones count nothing — and a user without contracts
// keeps zeros.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Db, Queryable } from '../../tools/relay/storage/db.ts';
import { type DdlDialect, migrate } from '../../tools/relay/storage/migrations.ts';
import { beforeOnPostgres, beforeOnSqlite } from '../support/relay-db-before.ts';

const [alice, bob, carol] = ['00000000000000a1', '00000000000000b0', '00000000000000c0'];
/** [user, status, amount_minor, late] of each contract. */
const contracts: [string, string, number | null, 0 | 1][] = [
  [alice, 'settled', 1_200, 0], [alice, 'settled', 800, 1], [alice, 'corrected', 650, 1], [alice, 'charged-at-cap', null, 0],
  [alice, 'provisional', null, 0], [alice, 'disputed', null, 1], [alice, 'voided', null, 0],
  [bob, 'charged-at-cap', null, 0], [bob, 'charged-at-cap', null, 0],
];

async function fill(tx: Queryable): Promise<void> {
  for (const kid of [alice, bob, carol]) {
    await tx.run("INSERT INTO users (kid, public_key, display_name, address, created_at_s) VALUES (?, ?, 'u', '0x', 0)", [kid, 'ab'.repeat(32)]);
  }
  for (const [i, [kid, status, amount, late]] of contracts.entries()) {
    await tx.run(
      `INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, cap_minor, capped, tariff_version, energy_minor_per_kwh,
         time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status, amount_minor, late)
       VALUES (?, '0a0b0c0d0e0f0001', ?, ?, 'voucher', 'amount', 2000, 1, 1, 0, 0, 0, 0, 0, ?, ?, ?, ?)`,
      [`0a0b0c0d0e0f0001${String(i + 1).padStart(16, '0')}`, i + 1, kid, 'cd'.repeat(32), status, amount, late]);
  }
}

async function migratedCredit(db: Db & DdlDialect): Promise<void> {
  assert.is((await migrate(db, 0))[0], 8, 'migration 8 applied');
  const rows = await db.all<Record<string, number | string>>('SELECT kid, settled_sessions, settled_amount_minor, late_receipts FROM users ORDER BY kid');
  assert.equal(rows.map((r) => [r['kid'], Number(r['settled_sessions']), Number(r['settled_amount_minor']), Number(r['late_receipts'])]), [
    [alice, 3, 2_650, 3],
    [bob, 0, 0, 2],
    [carol, 0, 0, 0],
  ]);
  assert.equal(await migrate(db, 0), [], 'applied once');
}

test('SQLite: migration 8 sums each user\'s credit record from the contracts rows', () => beforeOnSqlite(8, fill, migratedCredit));

test('PostgreSQL: migration 8 sums each user\'s credit record from the contracts rows', () => beforeOnPostgres(8, fill, migratedCredit));

test.run();

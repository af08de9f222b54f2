// Migration 6 on a relay database written before it (SQLite): a charge-cap outbox row queued
// without its record hash — pending or already done — gets the stored contract's SHA-256; a row
// whose contract is not stored keeps none (the worker then rejects it); other rows are untouched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from '../../tools/relay/storage/migrations.ts';
import { relayDbBefore } from '../support/relay-db-before.ts';

const stored = '0a0b0c0d0e0f00010000000000000007';
const sha256 = 'ab'.repeat(32);

test('migration 6 fills the record hash of charge-cap rows from the stored contract', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-migration-'));
  const db = await relayDbBefore(join(dir, 'relay.sqlite'), 6, async (tx) => {
    await tx.run(
      `INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, cap_minor, capped, tariff_version, energy_minor_per_kwh,
         time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status)
       VALUES (?, ?, 7, 'kid', 'voucher', 'amount', 800, 1, 1, 0, 0, 0, 0, 0, ?, 'charged-at-cap')`,
      [stored, stored.slice(0, 16), sha256]);
    const row = "INSERT INTO ledger_outbox (kind, contract_id, user_address, cap_minor, hash, state, created_at_ms) VALUES (?, ?, '0x00000000000000000000000000000000000000aa', 800, ?, ?, 0)";
    await tx.run(row, ['charge-cap', `0x${stored.toUpperCase()}`, null, 'done']);
    await tx.run(row, ['charge-cap', `0x${stored}`, null, 'pending']);
    await tx.run(row, ['charge-cap', '0x0a0b0c0d0e0f00020000000000000001', null, 'pending']);
    await tx.run(row, ['open', `0x${stored}`, `0x${'cd'.repeat(32)}`, 'done']);
  });
  try {
    assert.is((await migrate(db, 0))[0], 6, 'migration 6 applied');
    const rows = await db.all<{ kind: string; hash: string | null }>('SELECT kind, hash FROM ledger_outbox ORDER BY id');
    assert.equal(rows, [
      { kind: 'charge-cap', hash: `0x${sha256}` },
      { kind: 'charge-cap', hash: `0x${sha256}` },
      { kind: 'charge-cap', hash: null },
      { kind: 'open', hash: `0x${'cd'.repeat(32)}` },
    ]);
    assert.equal(await migrate(db, 0), [], 'applied once');
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

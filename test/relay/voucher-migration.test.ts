// Migration 3 on a relay database written before it (SQLite): an unused voucher keeps the
// reservation it had — until expires_at_s + 300 s then, until the new expires_at_s now — and every
// voucher starts uncancelled.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from '../../tools/relay/storage/migrations.ts';
import { relayDbBefore } from '../support/relay-db-before.ts';

test('migration 3 moves the 300 s grace into expires_at_s and adds cancelled_at_s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-migration-'));
  const db = await relayDbBefore(join(dir, 'relay.sqlite'), 3, async (tx) => {
    await tx.run(
      `INSERT INTO vouchers (voucher_id, user_kid, pile_id, pile_nonce, mode, limit_value, cap_minor, tariff_version, issued_at_s, expires_at_s, signed)
       VALUES ('70c4000000000001', '00112233aabbccdd', '50a1e00000000017', '00', 'amount', 100, 100, 1, 1000, 1600, X'00')`,
    );
  });
  try {
    assert.is((await migrate(db, 0))[0], 3, 'migration 3 applied (and any after it)');
    const row = await db.get<{ expires_at_s: number; cancelled_at_s: number | null }>('SELECT expires_at_s, cancelled_at_s FROM vouchers');
    assert.equal(row, { expires_at_s: 1900, cancelled_at_s: null });
    assert.equal(await migrate(db, 0), [], 'applied once');
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

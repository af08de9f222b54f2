// Statements a transaction issues together (tools/relay/storage/db.ts): they run in the order
// issued, and one that fails rolls the whole transaction back — nothing of it stays and the
// connection serves the next transaction. On SQLite and on PostgreSQL, whose connections pipeline
// them (one round trip).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Db } from '../../tools/relay/storage/db.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { startTestPostgres } from '../support/postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-db-pipelining-'));
const postgres = await startTestPostgres();
const engines: [string, Db][] = [
  ['SQLite', (await openRelayDb({ dataDir: dir, nowMs: Date.now() })).db],
  ['PostgreSQL', (await openRelayDb({ dataDir: dir, databaseUrl: postgres.url, nowMs: Date.now() })).db],
];
for (const [, db] of engines) await db.run('CREATE TABLE pipelining_probe (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');

const valueOf = async (db: Db, k: number) => (await db.get<{ v: string }>('SELECT v FROM pipelining_probe WHERE k = ?', [k]))?.v;

for (const [engine, db] of engines) {
  test(`${engine}: statements issued together run in the order issued`, async () => {
    const seen = await db.transaction(async (tx) => {
      const [, changed, row] = await Promise.all([
        tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [1, 'inserted']),
        tx.run('UPDATE pipelining_probe SET v = ? WHERE k = ?', ['updated', 1]),
        tx.get<{ v: string }>('SELECT v FROM pipelining_probe WHERE k = ?', [1]),
      ]);
      return { changed, v: row?.v };
    });
    assert.equal(seen, { changed: 1, v: 'updated' });
    assert.is(await valueOf(db, 1), 'updated');
  });

  test(`${engine}: one failing statement among them rolls the whole transaction back`, async () => {
    const attempt = db.transaction((tx) => Promise.all([
      tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [2, 'first']),
      tx.run('UPDATE pipelining_probe SET v = ? WHERE k = ?', ['overwritten', 1]),
      tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [2, 'same key again']),
      tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [3, 'after the failure']),
    ]));
    const error = await attempt.then(() => undefined, (e: unknown) => e as Error);
    assert.ok(error, 'the transaction must fail');
    assert.match(error.message, /UNIQUE constraint failed|duplicate key value/);
    assert.is(await valueOf(db, 1), 'updated', 'the update sent before the failure is rolled back');
    assert.is(await valueOf(db, 2), undefined);
    assert.is(await valueOf(db, 3), undefined);
    // The connections serve the next transactions (several at once: more than one pooled connection).
    await Promise.all([4, 5, 6].map((k) => db.transaction((tx) => tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [k, 'next']))));
    assert.equal(await Promise.all([4, 5, 6].map((k) => valueOf(db, k))), ['next', 'next', 'next']);
  });

  test(`${engine}: a transaction whose function throws before its statements are answered leaves nothing`, async () => {
    const attempt = db.transaction(async (tx) => {
      void tx.run('INSERT INTO pipelining_probe (k, v) VALUES (?, ?)', [7, 'sent']).catch(() => undefined);
      throw new Error('refused by the caller');
    });
    await attempt.then(() => assert.unreachable('must fail'), (e: Error) => assert.is(e.message, 'refused by the caller'));
    assert.is(await valueOf(db, 7), undefined);
  });
}

test.after(async () => {
  for (const [, db] of engines) await db.close();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

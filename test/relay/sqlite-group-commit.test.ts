// SQLite group commit (tools/relay/storage/sqlite.ts): statements and transactions submitted in one
// turn of the event loop share ONE commit, each in a savepoint of its own. Checked through a second
// connection to the same file: when the first of a group is answered, the whole group is already
// committed; a job that fails leaves nothing and takes nothing of its neighbours with it; a COMMIT
// that fails, or a BEGIN that cannot take the write lock, fails every job of its group and the
// next group commits normally.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqlite } from '../../tools/relay/storage/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-group-commit-'));
const file = join(dir, 'probe.sqlite');
const db = openSqlite(file);
await db.run('CREATE TABLE probe (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
await db.run('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
await db.run('CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
/** Another connection: sees only what is committed. */
const other = new Database(file, { readonly: true });
const committedKeys = (from: number, to: number) =>
  (other.prepare('SELECT k FROM probe WHERE k BETWEEN ? AND ? ORDER BY k').all(from, to) as { k: number }[]).map((r) => r.k);
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

test('the first job of a group is answered once the whole group is committed', async () => {
  let seenAtFirstAnswer: number[] = [];
  const inserts = Array.from({ length: 50 }, (_, i) => db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [100 + i, `row ${i}`]));
  void inserts[0]!.then(() => (seenAtFirstAnswer = committedKeys(100, 149)));
  assert.equal(await Promise.all(inserts), Array.from({ length: 50 }, () => 1));
  assert.equal(seenAtFirstAnswer, Array.from({ length: 50 }, (_, i) => 100 + i));
});

test('a failing statement or transaction is rolled back alone; its neighbours commit', async () => {
  const before = db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [200, 'before']);
  const duplicate = db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [100, 'same key again']);
  const throwing = db.transaction(async (tx) => {
    await tx.run('INSERT INTO probe (k, v) VALUES (?, ?)', [201, 'written, then thrown away']);
    await tx.run('UPDATE probe SET v = ? WHERE k = ?', ['overwritten', 100]);
    throw new Error('the transaction changed its mind');
  });
  const after = db.transaction((tx) => tx.run('INSERT INTO probe (k, v) VALUES (?, ?)', [202, 'after']));
  assert.match((await failure(duplicate))!.message, /UNIQUE constraint failed/);
  assert.is((await failure(throwing))!.message, 'the transaction changed its mind');
  assert.equal([await before, await after], [1, 1]);
  assert.equal(committedKeys(200, 202), [200, 202]);
  assert.is((other.prepare('SELECT v FROM probe WHERE k = 100').get() as { v: string }).v, 'row 0');
});

test('a COMMIT that fails fails every job of its group, keeps nothing, and the next group commits', async () => {
  // A deferred foreign key (better-sqlite3 enforces them by default) is checked at COMMIT: the orphan
  // fails the group's commit, not its own statement.
  const group = [
    db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [300, 'in the failing group']),
    db.run('INSERT INTO child (id, parent_id) VALUES (?, ?)', [1, 999]),
    db.transaction((tx) => tx.run('INSERT INTO probe (k, v) VALUES (?, ?)', [301, 'in the failing group too'])),
  ];
  const errors = await Promise.all(group.map(failure));
  for (const error of errors) assert.match(error?.message ?? 'answered', /FOREIGN KEY constraint failed/);
  assert.equal(committedKeys(300, 301), []);
  assert.is(await db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [302, 'next group']), 1);
  assert.equal(committedKeys(300, 302), [302]);
});

test('a group that cannot begin (another process holds the write lock past busy_timeout) fails its jobs; the next group commits', async () => {
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  const blocked = [db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [350, 'while locked']), db.transaction((tx) => tx.get('SELECT 1 AS one'))];
  for (const error of await Promise.all(blocked.map(failure))) assert.match(error?.message ?? 'answered', /database is locked/);
  holder.exec('ROLLBACK');
  holder.close();
  assert.is(await db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [351, 'after the lock']), 1);
  assert.equal(committedKeys(350, 351), [351]);
});

test('close answers the jobs already submitted, then closes', async () => {
  const last = db.run('INSERT INTO probe (k, v) VALUES (?, ?)', [400, 'submitted before close']);
  await db.close();
  assert.is(await last, 1);
  assert.equal(committedKeys(400, 400), [400]);
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

// `tapcharge relay audit --data DIR` as a user runs it: on the data folder of a one-pile day
// (`tapcharge day one-pile --fast`) it prints one PASS line and exits 0; on a copy with one stored
// amount raised it prints the FAIL verdict and the row that disagrees and exits 1; a folder that is
// missing, empty or holds a damaged or foreign database gets one line on stderr, no stack, and is
// left as it was.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-audit-cli-'));
const dataDir = join(dir, 'day');

type Ran = { status: number | null; stdout: string; stderr: string };
function tapcharge(...args: string[]): Ran {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sha256Of = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A copy of the day's folder to spoil. */
function copyOfDay(name: string): string {
  const copy = join(dir, name);
  cpSync(dataDir, copy, { recursive: true });
  return copy;
}

const day = tapcharge('day', 'one-pile', '--fast', '--data', dataDir);

test('the one-pile day ran (the folder the audits below read)', () => {
  assert.is(day.status, 0, day.stdout.slice(-2000) + day.stderr);
});

test('a good folder: one PASS line, exit 0, the database left as it was', () => {
  const before = sha256Of(join(dataDir, 'relay.sqlite'));
  const r = tapcharge('relay', 'audit', '--data', dataDir);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /^audit PASS: \d+ stored rows re-derived from \d+ pile-signed records, \d+ relay-signed vouchers, configs and service authorisations and \d+ ledger events\n$/);
  assert.is(sha256Of(join(dataDir, 'relay.sqlite')), before);
});

test('an amount raised in the database: the FAIL verdict and the row, exit 1', () => {
  const copy = copyOfDay('raised');
  const db = new Database(join(copy, 'relay.sqlite'));
  const row = db.prepare("SELECT contract_id, amount_minor FROM contracts WHERE status = 'settled' ORDER BY contract_id LIMIT 1").get() as { contract_id: string; amount_minor: number };
  db.prepare('UPDATE contracts SET amount_minor = amount_minor + 100 WHERE contract_id = ?').run(row.contract_id);
  db.close();
  const r = tapcharge('relay', 'audit', '--data', copy);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.is(r.stderr, '');
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^audit FAIL: 1 disagreement between the stored rows and the signed records, the relay's signatures and the ledger; the first:$/);
  assert.match(lines[1]!, new RegExp(`^contracts ${row.contract_id}: amount_minor stored ${row.amount_minor + 100}, derived ${row.amount_minor} from receipt [0-9a-f]{16}#\\d+$`));
});

test('usage mistakes: one line, exit 2', () => {
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['relay', 'audit', '--data', join(dir, 'missing')], /^tapcharge: --data .*missing: no such folder\n$/],
    [['relay', 'audit', '--data', file], /^tapcharge: --data .*not-a-folder: not a folder\n$/],
    [['relay', 'audit', '--data', dataDir, 'extra'], /^tapcharge: unexpected argument "extra"\n$/],
  ];
  for (const [args, message] of cases) {
    const r = tapcharge(...args);
    assert.is(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.is(r.stdout, '');
  }
});

test('a folder the audit cannot read: one line on stderr, no stack, exit 1, nothing written', () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const garbage = copyOfDay('garbage');
  rmSync(join(garbage, 'relay.sqlite'));
  writeFileSync(join(garbage, 'relay.sqlite'), Buffer.alloc(8192, 0x5a));
  const damaged = copyOfDay('damaged');
  const bytes = readFileSync(join(damaged, 'relay.sqlite'));
  bytes.fill(0xff, 4096, 4096 * 6); // pages 2–6: the schema's and the tables' b-tree pages
  writeFileSync(join(damaged, 'relay.sqlite'), bytes);
  const foreign = copyOfDay('foreign');
  rmSync(join(foreign, 'relay.sqlite'));
  const other = new Database(join(foreign, 'relay.sqlite'));
  other.exec('CREATE TABLE notes (text TEXT)');
  other.close();
  const cases: [string, RegExp][] = [
    [empty, /^tapcharge: .*empty holds no relay data \(missing relay\.sqlite, relay-key\.json, operator-key\.json, ledger\/chain\.json\)\n$/],
    [garbage, /^tapcharge: .*garbage\/relay\.sqlite cannot be read \(SQLITE_NOTADB: file is not a database\)\n$/],
    [damaged, /^tapcharge: .*damaged\/relay\.sqlite cannot be read \(SQLITE_CORRUPT: /],
    [foreign, /^tapcharge: .*foreign\/relay\.sqlite is not a relay database this audit knows \(no such table: schema_migrations\)\n$/],
  ];
  for (const [folder, message] of cases) {
    const database = join(folder, 'relay.sqlite');
    const before = folder === empty ? undefined : sha256Of(database);
    const r = tapcharge('relay', 'audit', '--data', folder);
    assert.is(r.status, 1, folder);
    assert.match(r.stderr, message);
    assert.is(r.stderr.split('\n').filter(Boolean).length, 1, 'one line, no stack');
    assert.is(r.stdout, '');
    if (before) assert.is(sha256Of(database), before, `${folder}: relay.sqlite unchanged`);
  }
});

test('--help names the audit', () => {
  const r = tapcharge('relay', '--help');
  assert.is(r.status, 0);
  assert.match(r.stdout, /\n {2}audit {17}re-derive every figure the relay stores/);
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();

import { startTestPostgres } from '../test/support/postgres.ts';
import { openPostgres } from '../tools/relay/storage/postgres.ts';
import { insertRows, placeholders } from '../tools/relay/storage/db.ts';
// @ts-ignore
import postgres from '/tmp/pgx/node_modules/postgres/src/index.js';
import { randomBytes } from 'node:crypto';

const pgdb = await startTestPostgres({ durable: false });
const TX = 600, CONC = 4, ROWS = 32;
const setup = await openPostgres(pgdb.url);
await setup.run('CREATE TABLE r (pile_id TEXT, seq BIGINT, kind TEXT, sha256 TEXT, signed BYTEA, at_s BIGINT, gap INT, PRIMARY KEY (pile_id, seq))');
await setup.run('CREATE TABLE c (id TEXT PRIMARY KEY, a BIGINT, b BIGINT, c2 BIGINT, d TEXT, e BIGINT, f BIGINT, g BIGINT, h BIGINT, i TEXT, j BIGINT, k BIGINT, l BIGINT, m BIGINT)');
await setup.run('CREATE TABLE p (pile_id TEXT PRIMARY KEY)');
for (let i = 0; i < 64; i++) await setup.run('INSERT INTO p VALUES (?)', [`pile-${i}`]);
await setup.close();
let seq = 0;
function rowsOf(t: number) {
  const pile = `pile-${t % 64}`;
  const r = Array.from({ length: ROWS }, () => [pile, ++seq, 'contract', randomBytes(32).toString('hex'), randomBytes(180), 1700000000, 0]);
  const c = Array.from({ length: ROWS / 2 }, (_, i) => [`${pile}-${seq}-${i}`, 1, 2, 3, 'energy', 5, 6, 7, 8, randomBytes(32).toString('hex'), 10, 11, 12, 13]);
  return { pile, r, c };
}
async function runPg() {
  const db = await openPostgres(pgdb.url);
  const t0 = performance.now(), c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < TX) {
      const { pile, r, c } = rowsOf(next++);
      await db.transaction(async (tx) => {
        const [, got] = await Promise.all([tx.all('SELECT pile_id FROM p WHERE pile_id IN (?) ORDER BY pile_id FOR UPDATE', [pile]), tx.all('SELECT seq, sha256 FROM r WHERE pile_id = ? ORDER BY seq DESC LIMIT 16', [pile])]);
        await Promise.all([insertRows(tx, 'INSERT INTO r (pile_id, seq, kind, sha256, signed, at_s, gap)', r), insertRows(tx, 'INSERT INTO c (id, a, b, c2, d, e, f, g, h, i, j, k, l, m)', c)]);
        return got;
      });
    }
  }));
  const cpu = process.cpuUsage(c0);
  await db.close();
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}
async function runPostgresJs() {
  const sql = postgres(pgdb.url, { max: 10, prepare: true, types: { bigint: { to: 20, from: [20, 1700], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } } });
  const texts = new Map<string, string>();
  const q = (s: any, text: string, params: any[]) => { let t = texts.get(text); if (!t) { let n = 0; t = text.replace(/\?/g, () => `$${++n}`); texts.set(text, t); } return s.unsafe(t, params, { prepare: true }); };
  const ins = (s: any, into: string, rows: any[][]) => q(s, `${into} VALUES ${rows.map((row) => `(${placeholders(row.length)})`).join(', ')}`, rows.flat());
  await sql`SELECT 1`;
  const t0 = performance.now(), c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < TX) {
      const { pile, r, c } = rowsOf(next++);
      await sql.begin(async (s: any) => {
        const [, got] = await Promise.all([q(s, 'SELECT pile_id FROM p WHERE pile_id IN (?) ORDER BY pile_id FOR UPDATE', [pile]), q(s, 'SELECT seq, sha256 FROM r WHERE pile_id = ? ORDER BY seq DESC LIMIT 16', [pile])]);
        await Promise.all([ins(s, 'INSERT INTO r (pile_id, seq, kind, sha256, signed, at_s, gap)', r), ins(s, 'INSERT INTO c (id, a, b, c2, d, e, f, g, h, i, j, k, l, m)', c)]);
        return got;
      });
    }
  }));
  const cpu = process.cpuUsage(c0);
  await sql.end();
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}
for (let i = 0; i < 3; i++) {
  const a = await runPg(); const b = await runPostgresJs();
  console.log(`pg: ${(a.cpuMs / TX).toFixed(3)} ms CPU/tx, ${(TX / a.wallMs * 1000).toFixed(0)} tx/s | postgres.js: ${(b.cpuMs / TX).toFixed(3)} ms CPU/tx, ${(TX / b.wallMs * 1000).toFixed(0)} tx/s`);
}
await pgdb.stop();

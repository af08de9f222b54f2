// Relay bench: record ingestion over HTTP on 127.0.0.1 (pile signatures verified with node:crypto,
// stored, ledger outbox rows queued, Acks signed) for SQLite and PostgreSQL; upload → relay-signed
// Ack latency; ledger gas per settled session as the relay's outbox batches it (embedded EDR).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToBase64url } from '../contracts-offline/bytes.ts';
import { startRelay } from '../tools/relay/start-relay.ts';
import { type TestPile, TestClock, TestRelay } from '../test/support/relay-harness.ts';
import { startTestPostgres } from '../test/support/postgres.ts';
import { OUTBOX_MAX_RECORDS } from '../contracts-offline/apdu.ts';

const SESSIONS = 600; // 1,200 records per storage
const LATENCY_SAMPLES = 150;
const PHONES = 8;
/** A phone uploads what one OUTBOX answer carries. */
const RECORDS_PER_UPLOAD = OUTBOX_MAX_RECORDS;

type Row = { storage: string; recordsPerS: number; p50Ms: number; p95Ms: number; gasPerSession: number; entriesPerTx: number; drainS: number };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function sessionsFor(t: TestRelay, piles: TestPile[], count: number): Promise<Uint8Array[][]> {
  const users = await Promise.all(Array.from({ length: 20 }, () => t.newUser()));
  for (const u of users) await t.topUp(u.kidHex, 10_000_000);
  const sessions: Uint8Array[][] = [];
  for (let i = 0; i < count; i++) {
    const pile = piles[i % piles.length]!;
    const v = await t.voucher(users[i % users.length]!, pile, { mode: 'amount', amountMinor: 3_000 });
    if (v.status !== 201) throw new Error(`voucher: ${v.text}`);
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    sessions.push([c.signed, pile.receipt(c.seq, { energyWh: 5_000 + i, durationS: 1_800, endAtS: t.clock.nowS }).signed]);
  }
  return sessions;
}

async function measure(storage: string, databaseUrl: string | undefined): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-bench-'));
  const clock = new TestClock();
  const t = new TestRelay(await startRelay({ dataDir: dir, port: 0, clock, log: () => undefined, ...(databaseUrl ? { databaseUrl } : {}) }), clock, dir);
  try {
    const piles = await Promise.all(Array.from({ length: 10 }, () => t.newPile()));
    const sessions = await sessionsFor(t, piles, SESSIONS + LATENCY_SAMPLES);
    await t.relay.drainLedger(120_000);
    const before = await t.relay.outboxStats();

    // Throughput: phones upload contracts and receipts, 4 per request, 8 at a time.
    const records = sessions.slice(0, SESSIONS).flat();
    const uploads = Array.from({ length: Math.ceil(records.length / RECORDS_PER_UPLOAD) }, (_, i) => records.slice(i * RECORDS_PER_UPLOAD, (i + 1) * RECORDS_PER_UPLOAD));
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: PHONES }, async () => {
      while (next < uploads.length) {
        const reply = await t.upload(...uploads[next++]!);
        if (reply.status !== 200 || reply.json.results.some((r: { status: string }) => r.status !== 'accepted')) throw new Error(`upload: ${reply.text}`);
      }
    }));
    const ingestS = (performance.now() - started) / 1000;
    await t.relay.drainLedger(120_000);
    const drainS = (performance.now() - started) / 1000;
    const after = await t.relay.outboxStats();
    const gas = (kind: string) => (after.gasByKind[kind]?.gasUsed ?? 0) - (before.gasByKind[kind]?.gasUsed ?? 0);
    const entries = (kind: string) => (after.gasByKind[kind]?.entries ?? 0) - (before.gasByKind[kind]?.entries ?? 0);
    const txs = after.transactions - before.transactions;

    // Latency: one phone uploads one contract at a time and waits for the Ack.
    const latencies: number[] = [];
    for (const [contract] of sessions.slice(SESSIONS)) {
      const at = performance.now();
      const reply = await t.call('POST', '/v1/records', { body: { records: [bytesToBase64url(contract!)] } });
      if (reply.json.acks.length !== 1) throw new Error(`no ack: ${reply.text}`);
      latencies.push(performance.now() - at);
    }
    latencies.sort((x, y) => x - y);
    return {
      storage,
      recordsPerS: records.length / ingestS,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      gasPerSession: (gas('open') + gas('settle')) / SESSIONS,
      entriesPerTx: (entries('open') + entries('settle')) / txs,
      drainS,
    };
  } finally {
    await t.close();
  }
}

const rows: Row[] = [await measure('SQLite (WAL, synchronous=FULL)', undefined)];
const pg = await startTestPostgres();
try {
  rows.push(await measure(`PostgreSQL ${process.env['DATABASE_URL'] ? '(DATABASE_URL)' : '(throwaway cluster, fsync off)'}`, pg.url));
} finally {
  await pg.stop();
}

console.log(`${SESSIONS} sessions (${SESSIONS * 2} records) from 10 piles and 20 users, ${PHONES} phones uploading ${RECORDS_PER_UPLOAD} records per request; latency over ${LATENCY_SAMPLES} single-record uploads; embedded EDR ledger\n`);
console.log('| storage | ingestion (verified records/s) | upload → Ack p50 | p95 | ledger gas per settled session | entries per ledger tx | all settled after |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.storage} | ${Math.round(r.recordsPerS).toLocaleString('en')} | ${r.p50Ms.toFixed(1)} ms | ${r.p95Ms.toFixed(1)} ms | ${Math.round(r.gasPerSession).toLocaleString('en')} | ${r.entriesPerTx.toFixed(1)} | ${r.drainS.toFixed(1)} s |`);
}

// Relay reads that must not grow with history (issue 15): the held ranges a commit group reads
// for its piles (held_ranges, one row per run of sequences) and the credit record a voucher reads
// with the user's book (users). For a pile of 1,000 and of 100,000 records, and a user of 50 and
// of 5,000 settled contracts, on SQLite: each read's mean time over 2,000 reads, and the time
// migrations 7 and 8 take to build both from the records and contracts rows of a relay written
// before them. The rows are inserted straight into the tables (a bench-only build-up).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { creditHistoryOf, readBook } from '../tools/relay/billing/book.ts';
import { heldRangesOf } from '../tools/relay/ingest/ack.ts';
import { migrate } from '../tools/relay/storage/migrations.ts';
import { schemaBefore } from '../test/support/relay-db-before.ts';
import { openSqlite } from '../tools/relay/storage/sqlite.ts';

const READS = 2_000;
const root = mkdtempSync(join(tmpdir(), 'tapcharge-relay-history-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const pileId = '0a0b0c0d0e0f0001';
const userKid = '00000000000000a1';

async function meanUs(read: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 1_000; i++) await read();
  const started = performance.now();
  for (let i = 0; i < READS; i++) await read();
  return ((performance.now() - started) * 1000) / READS;
}

const rows: string[] = [];
for (const records of [1_000, 100_000]) {
  const contracts = records / 20;
  const db = await schemaBefore(openSqlite(join(root, `${records}.sqlite`)), 7, async (tx) => {
    await tx.run("INSERT INTO users (kid, public_key, display_name, address, created_at_s) VALUES (?, 'k', 'u', '0x', 0)", [userKid]);
    for (let seq = 1; seq <= records; seq++) {
      await tx.run("INSERT INTO records (pile_id, seq, kind, sha256, signed, received_at_s, gap_below) VALUES (?, ?, 'contract', 's', x'00', 0, 0)", [pileId, seq]);
    }
    for (let seq = 1; seq <= contracts; seq++) {
      await tx.run(`INSERT INTO contracts (contract_id, pile_id, seq, user_kid, voucher_id, mode, cap_minor, capped, tariff_version, energy_minor_per_kwh,
          time_minor_per_hour, session_fee_minor, start_at_s, received_at_s, sha256, status, amount_minor, late)
        VALUES (?, ?, ?, ?, 'v', 'amount', 3000, 1, 1, 0, 0, 0, 0, 0, 's', 'settled', 640, 0)`, [`${pileId}${seq.toString(16).padStart(16, '0')}`, pileId, seq, userKid]);
    }
  });
  const migrating = performance.now();
  await migrate(db, 0);
  const migrationMs = performance.now() - migrating;
  const held = (await heldRangesOf(db, [pileId])).get(pileId)!;
  const book = (await readBook(db, userKid, ''))!;
  if (held.length !== 1 || held[0]!.toSeq !== records || creditHistoryOf(book).settledSessions !== contracts) throw new Error('relay-history bench: the migrations built other figures');
  const heldUs = await meanUs(() => heldRangesOf(db, [pileId]));
  const creditUs = await meanUs(async () => creditHistoryOf((await readBook(db, userKid, ''))!));
  rows.push(`| ${records.toLocaleString('en')} records / ${contracts.toLocaleString('en')} contracts | ${heldUs.toFixed(1)} µs | ${creditUs.toFixed(1)} µs | ${migrationMs.toFixed(0)} ms |`);
  await db.close();
}

console.log('| history of the pile / of the user | held ranges read (each commit group, per pile) | credit record read (each voucher, with the book) | migrations 7 + 8 |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log(`\nMethod: SQLite (WAL, synchronous=FULL) in a temp folder; rows inserted straight into a relay schema of before migration 7, which migrate() then brings up to date (timed); each read's mean over ${READS.toLocaleString('en')} reads after 1,000 unmeasured ones, one at a time.`);

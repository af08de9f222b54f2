// Migration 7 on relay databases written before it, SQLite and PostgreSQL: held_ranges gets one
// row per run of consecutive billing sequences each pile's records hold, holes included; the
// relay then answers those ranges (heldRangesOf) and keeps them as new records join the runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heldRangesOf, withSeq, writeHeldRanges } from '../../tools/relay/ingest/ack.ts';
import type { Db, Queryable } from '../../tools/relay/storage/db.ts';
import { type DdlDialect, migrate } from '../../tools/relay/storage/migrations.ts';
import { beforeOnPostgres, beforeOnSqlite } from '../support/relay-db-before.ts';

const [pileA, pileB, pileC] = ['0a0b0c0d0e0f0001', '0a0b0c0d0e0f0002', '0a0b0c0d0e0f0003'];
const held: Record<string, number[]> = { [pileA]: [9, 1, 2, 3, 5, 6], [pileB]: [2], [pileC]: [1, 2, 3, 4] };

async function fill(tx: Queryable): Promise<void> {
  for (const [pileId, seqs] of Object.entries(held)) {
    for (const seq of seqs) {
      await tx.run("INSERT INTO records (pile_id, seq, kind, sha256, signed, received_at_s, gap_below) VALUES (?, ?, 'contract', ?, ?, 0, 0)",
        [pileId, seq, 'ab'.repeat(32), new Uint8Array([seq])]);
    }
  }
}

async function migratedRanges(db: Db & DdlDialect): Promise<void> {
  assert.is((await migrate(db, 0))[0], 7, 'migration 7 applied');
  const rows = await db.all<{ pile_id: string; from_seq: number; to_seq: number }>('SELECT pile_id, from_seq, to_seq FROM held_ranges ORDER BY pile_id, from_seq');
  assert.equal(rows.map((r) => `${r.pile_id}#${Number(r.from_seq)}..${Number(r.to_seq)}`), [
    `${pileA}#1..3`, `${pileA}#5..6`, `${pileA}#9..9`, `${pileB}#2..2`, `${pileC}#1..4`,
  ]);
  const ranges = await heldRangesOf(db, [pileA, pileB, '0a0b0c0d0e0f00ff']);
  assert.equal(ranges.get(pileA), [{ fromSeq: 1, toSeq: 3 }, { fromSeq: 5, toSeq: 6 }, { fromSeq: 9, toSeq: 9 }]);
  assert.equal(ranges.get('0a0b0c0d0e0f00ff'), [], 'a pile with no records holds nothing');

  // In one write: sequence 4 joins A's two lower runs (the run from 5 is deleted) and 8 grows the run
  // of 9 downwards; B's 3 grows its run, C's 6 starts one, C's 5 then joins it to the run below.
  await db.transaction(async (tx) => {
    const before = await heldRangesOf(tx, [pileA, pileB, pileC]);
    await writeHeldRanges(tx, [
      { pileId: pileA, before: before.get(pileA)!, after: withSeq(withSeq(before.get(pileA)!, 4), 8) },
      { pileId: pileB, before: before.get(pileB)!, after: withSeq(before.get(pileB)!, 3) },
      { pileId: pileC, before: before.get(pileC)!, after: withSeq(before.get(pileC)!, 6) },
    ]);
  });
  await db.transaction(async (tx) => {
    const before = (await heldRangesOf(tx, [pileC])).get(pileC)!;
    await writeHeldRanges(tx, [{ pileId: pileC, before, after: withSeq(before, 5) }]);
  });
  const after = await heldRangesOf(db, [pileA, pileB, pileC]);
  assert.equal(after.get(pileA), [{ fromSeq: 1, toSeq: 6 }, { fromSeq: 8, toSeq: 9 }]);
  assert.equal(after.get(pileB), [{ fromSeq: 2, toSeq: 3 }]);
  assert.equal(after.get(pileC), [{ fromSeq: 1, toSeq: 6 }]);
  assert.equal(await migrate(db, 0), [], 'applied once');
}

test('SQLite: migration 7 writes each pile\'s runs of held sequences', () => beforeOnSqlite(7, fill, migratedRanges));

test('PostgreSQL: migration 7 writes each pile\'s runs of held sequences', () => beforeOnPostgres(7, fill, migratedRanges));

test.run();

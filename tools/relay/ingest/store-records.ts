// Stores the verified records of several uploads in ONE transaction (a commit group, commit-group.ts):
// piles locked together in a fixed order, so concurrent uploads for one pile serialise. The held
// ranges of the group's piles (held_ranges) are read once and kept up to date in memory; they decide
// each record's fate by sequence — the same bytes again are a duplicate, other bytes under a held
// sequence a conflict — and its gap flag (sequences below it not held); they are written back in the
// same transaction, and after the commit they are the ranges the Acks cover. New records are
// inserted in multi-row statements, then applied (contracts, receipts) in pile and sequence order to
// the group's state read once (group-state.ts), which is written back in multi-row statements
// (group-writes.ts).
import type { SeqRange } from '../../../contracts-offline/messages/ack.ts';
import type { RelayContext, StoredUpload } from '../context.ts';
import { type Queryable, type SqlValue, insertRows, placeholders } from '../storage/db.ts';
import { heldBelow, heldRangesOf, holds, withSeq, writeHeldRanges } from './ack.ts';
import { applyContract } from './apply-contract.ts';
import { applyReceipt } from './apply-receipt.ts';
import { loadGroupState } from './group-state.ts';
import { writeGroupState } from './group-writes.ts';
import type { RecordResult, VerifiedRecord } from './verify-record.ts';

type Placed = { record: VerifiedRecord; u: number; i: number };

function conflict(ctx: RelayContext, r: VerifiedRecord): RecordResult {
  ctx.log(`relay: pile ${r.pileId} signed two different records with sequence ${r.seq}`);
  return { pileId: r.pileId, seq: r.seq, kind: r.kind, status: 'rejected', error: 'conflicting-record', message: `pile ${r.pileId} already has a different record with sequence ${r.seq}` };
}

/**
 * Sorts one pile's records (by sequence) into duplicates and conflicts (answered in `results`) and
 * new ones (added to `fresh`, their rows to `rows`); answers the ranges held after them.
 */
async function sortPile(ctx: RelayContext, tx: Queryable, pileId: string, before: SeqRange[], placed: Placed[], results: RecordResult[][], fresh: Placed[], rows: SqlValue[][]): Promise<SeqRange[]> {
  const again = [...new Set(placed.map((p) => p.record.seq).filter((seq) => holds(before, seq)))];
  const heldSha = new Map<number, string>();
  if (again.length > 0) {
    const held = await tx.all<{ seq: number; sha256: string }>(`SELECT seq, sha256 FROM records WHERE pile_id = ? AND seq IN (${placeholders(again.length)})`, [pileId, ...again]);
    for (const row of held) heldSha.set(Number(row.seq), row.sha256);
  }
  let held = before;
  const nowS = ctx.nowS();
  for (const p of placed) {
    const r = p.record;
    const sha = heldSha.get(r.seq);
    if (sha !== undefined) {
      results[p.u]![p.i] = sha === r.sha256 ? { pileId, seq: r.seq, kind: r.kind, status: 'duplicate' } : conflict(ctx, r);
      continue;
    }
    rows.push([pileId, r.seq, r.kind, r.sha256, r.signed, nowS, heldBelow(held, r.seq) < r.seq - 1 ? 1 : 0]);
    heldSha.set(r.seq, r.sha256);
    held = withSeq(held, r.seq);
    fresh.push(p);
  }
  return held;
}

/** Inserts the new records and reads the group's state (one round trip), applies the records to it in order, then writes it; answers each one's result. */
async function applyRecords(ctx: RelayContext, tx: Queryable, fresh: Placed[], rows: SqlValue[][], results: RecordResult[][]): Promise<void> {
  const [, g] = await Promise.all([
    insertRows(tx, 'INSERT INTO records (pile_id, seq, kind, sha256, signed, received_at_s, gap_below)', rows),
    loadGroupState(ctx, tx, fresh.map((p) => p.record)),
  ]);
  for (const { record: r, u, i } of fresh) {
    const problem = r.kind === 'contract' ? applyContract(g, ctx.policy, r.message, r.sha256) : applyReceipt(g, ctx.policy, r.message, r.sha256);
    results[u]![i] = { pileId: r.pileId, seq: r.seq, kind: r.kind, status: 'accepted', ...(problem ? { problem } : {}) };
  }
  await writeGroupState(tx, g);
}

/**
 * Several groups commit at once on PostgreSQL (commit-group.ts): each locks its piles first, in key
 * order, then the rows its records change (group-state.ts), so two groups wait for each other
 * instead of deadlocking. (SQLite has one writer at a time.)
 */
export async function storeUploads(ctx: RelayContext, uploads: VerifiedRecord[][]): Promise<StoredUpload[]> {
  const byPile = new Map<string, Placed[]>();
  uploads.forEach((records, u) => records.forEach((record, i) => {
    const list = byPile.get(record.pileId) ?? [];
    list.push({ record, u, i });
    byPile.set(record.pileId, list);
  }));
  const pileIds = [...byPile.keys()].sort();
  const results = uploads.map((records) => new Array<RecordResult>(records.length));
  const held = new Map<string, SeqRange[]>();
  await ctx.db.transaction(async (tx) => {
    // The piles' lock is sent first, the read of their held ranges with it (statements run in the order sent).
    const locked = ctx.db.forUpdate === '' ? undefined : tx.all(`SELECT pile_id FROM piles WHERE pile_id IN (${placeholders(pileIds.length)}) ORDER BY pile_id${ctx.db.forUpdate}`, pileIds);
    const [, before] = await Promise.all([locked, heldRangesOf(tx, pileIds)]);
    const fresh: Placed[] = [];
    const rows: SqlValue[][] = [];
    for (const pileId of pileIds) {
      const placed = byPile.get(pileId)!.sort((x, y) => x.record.seq - y.record.seq);
      held.set(pileId, await sortPile(ctx, tx, pileId, before.get(pileId)!, placed, results, fresh, rows));
    }
    await Promise.all([
      applyRecords(ctx, tx, fresh, rows, results),
      writeHeldRanges(tx, pileIds.map((pileId) => ({ pileId, before: before.get(pileId)!, after: held.get(pileId)! }))),
    ]);
  });
  ctx.outbox.kick();
  return results.map((r) => ({ results: r, held }));
}

// Stores the verified records of several uploads in ONE transaction (a commit group, commit-group.ts):
// piles locked together in a fixed order, so concurrent uploads for one pile serialise. Per pile,
// the held ranges are read once and kept up to date in memory; they decide each record's fate by
// sequence — the same bytes again are a duplicate, other bytes under a held sequence a conflict —
// and its gap flag (sequences below it not held), and after the commit they are the ranges the
// Acks cover. New records are inserted in multi-row statements, then applied (contracts, receipts)
// in pile and sequence order.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { SeqRange } from '../../../contracts-offline/messages/ack.ts';
import type { RelayContext, StoredUpload } from '../context.ts';
import { type Queryable, insertRows } from '../storage/db.ts';
import { heldBelow, heldRanges, holds, withSeq } from './ack.ts';
import { applyContract } from './apply-contract.ts';
import { applyReceipt } from './apply-receipt.ts';
import type { RecordResult, VerifiedRecord } from './verify-record.ts';

type Placed = { record: VerifiedRecord; u: number; i: number };

function conflict(ctx: RelayContext, r: VerifiedRecord): RecordResult {
  ctx.log(`relay: pile ${r.pileId} signed two different records with sequence ${r.seq}`);
  return { pileId: r.pileId, seq: r.seq, kind: r.kind, status: 'rejected', error: 'conflicting-record', message: `pile ${r.pileId} already has a different record with sequence ${r.seq}` };
}

/** Sorts one pile's records (by sequence) into duplicates, conflicts and new ones; answers the ranges held after them. */
async function storePile(ctx: RelayContext, tx: Queryable, pileId: string, placed: Placed[], results: RecordResult[][]): Promise<SeqRange[]> {
  const before = await heldRanges(tx, pileId);
  const again = [...new Set(placed.map((p) => p.record.seq).filter((seq) => holds(before, seq)))];
  const heldSha = new Map<number, string>();
  if (again.length > 0) {
    const rows = await tx.all<{ seq: number; sha256: string }>(`SELECT seq, sha256 FROM records WHERE pile_id = ? AND seq IN (${list(again.length)})`, [pileId, ...again]);
    for (const row of rows) heldSha.set(Number(row.seq), row.sha256);
  }
  let held = before;
  const fresh: Placed[] = [];
  const nowS = ctx.nowS();
  const rows = [];
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
  await insertRows(tx, 'INSERT INTO records (pile_id, seq, kind, sha256, signed, received_at_s, gap_below)', rows);
  for (const { record: r, u, i } of fresh) {
    const problem = r.kind === 'contract' ? await applyContract(ctx, tx, r.message, r.sha256) : await applyReceipt(ctx, tx, r.message, r.sha256);
    results[u]![i] = { pileId, seq: r.seq, kind: r.kind, status: 'accepted', ...(problem ? { problem } : {}) };
  }
  return held;
}

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Several groups commit at once on PostgreSQL (commit-group.ts): each locks its piles, then the
 * users its records move money for, each set in key order, before anything else, so two groups
 * wait for each other instead of deadlocking. (SQLite has one writer at a time.)
 */
async function lockRows(ctx: RelayContext, tx: Queryable, records: VerifiedRecord[], pileIds: string[]): Promise<void> {
  await tx.all(`SELECT pile_id FROM piles WHERE pile_id IN (${list(pileIds.length)}) ORDER BY pile_id${ctx.db.forUpdate}`, pileIds);
  const users = new Set(records.flatMap((r) => (r.kind === 'contract' ? [bytesToHex(r.message.userKid)] : [])));
  const closing = [...new Set(records.flatMap((r) => (r.kind === 'receipt' ? [contractIdHex(r.message.pileId, r.message.contractSeq)] : [])))];
  if (closing.length > 0) {
    for (const row of await tx.all<{ user_kid: string }>(`SELECT user_kid FROM contracts WHERE contract_id IN (${list(closing.length)})`, closing)) users.add(row.user_kid);
  }
  const kids = [...users].sort();
  if (kids.length > 0) await tx.all(`SELECT kid FROM users WHERE kid IN (${list(kids.length)}) ORDER BY kid${ctx.db.forUpdate}`, kids);
}

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
    if (ctx.db.forUpdate !== '') await lockRows(ctx, tx, uploads.flat(), pileIds);
    for (const pileId of pileIds) {
      const placed = byPile.get(pileId)!.sort((x, y) => x.record.seq - y.record.seq);
      held.set(pileId, await storePile(ctx, tx, pileId, placed, results));
    }
  });
  ctx.outbox.kick();
  return results.map((r) => ({ results: r, held }));
}

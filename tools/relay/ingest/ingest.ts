// Ingestion of one upload (POST /v1/records): records are checked (structure, registered pile,
// pile signature) outside any transaction, then stored in one transaction (shared by the uploads
// arriving meanwhile: commit-group.ts) together with their effects — contract and receipt rows,
// account book, ledger outbox rows. Only after that commit are
// the Acks signed, so an Ack never covers a record the relay could still lose. Records are
// deduplicated by (pile, billing sequence): the same bytes again are a duplicate, other bytes under
// a held sequence are refused as a conflict. A record with unheld sequences below it is stored and
// flagged (gap); the holes are reported until the records arrive.
import { bytesToBase64url } from '../../../contracts-offline/bytes.ts';
import type { RelayContext } from '../context.ts';
import type { Queryable } from '../storage/db.ts';
import { gapsOf, heldRanges, pickAckRanges, signAck } from './ack.ts';
import { applyContract } from './apply-contract.ts';
import { applyReceipt } from './apply-receipt.ts';
import { type RecordRefusal, type RecordResult, type VerifiedRecord, parseRecord, verifyRecord } from './verify-record.ts';

export type IngestAnswer = { results: RecordResult[]; acks: { pileId: string; ack: string }[] };

function refused(r: RecordRefusal): RecordResult {
  const where = r.pileId === undefined ? {} : { pileId: r.pileId, seq: r.seq!, kind: r.kind! };
  return { ...where, status: 'rejected', error: r.code, message: r.reason };
}

async function store(ctx: RelayContext, tx: Queryable, r: VerifiedRecord): Promise<RecordResult> {
  const where = { pileId: r.pileId, seq: r.seq, kind: r.kind };
  const below = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM records WHERE pile_id = ? AND seq < ?', [r.pileId, r.seq]);
  const gapBelow = Number(below?.n ?? 0) < r.seq - 1;
  const inserted = await tx.run(
    'INSERT INTO records (pile_id, seq, kind, sha256, signed, received_at_s, gap_below) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    [r.pileId, r.seq, r.kind, r.sha256, r.signed, ctx.nowS(), gapBelow ? 1 : 0],
  );
  if (inserted === 0) {
    const held = await tx.get<{ sha256: string }>('SELECT sha256 FROM records WHERE pile_id = ? AND seq = ?', [r.pileId, r.seq]);
    if (held?.sha256 === r.sha256) return { ...where, status: 'duplicate' };
    ctx.log(`relay: pile ${r.pileId} signed two different records with sequence ${r.seq}`);
    return { ...where, status: 'rejected', error: 'conflicting-record', message: `pile ${r.pileId} already has a different record with sequence ${r.seq}` };
  }
  const problem = r.kind === 'contract' ? await applyContract(ctx, tx, r.message, r.sha256) : await applyReceipt(ctx, tx, r.message, r.sha256);
  return { ...where, status: 'accepted', ...(problem ? { problem } : {}) };
}

/**
 * Stores the verified records of several uploads in ONE transaction (a commit group): piles in a
 * fixed order, each locked, records by sequence, so concurrent uploads for one pile serialise.
 */
export async function storeUploads(ctx: RelayContext, uploads: VerifiedRecord[][]): Promise<RecordResult[][]> {
  const all = uploads.flatMap((records, u) => records.map((record, i) => ({ record, u, i })));
  all.sort((x, y) => (x.record.pileId < y.record.pileId ? -1 : x.record.pileId > y.record.pileId ? 1 : x.record.seq - y.record.seq));
  const results = uploads.map((records) => new Array<RecordResult>(records.length));
  await ctx.db.transaction(async (tx) => {
    let locked = '';
    for (const { record, u, i } of all) {
      if (record.pileId !== locked) {
        await tx.get(`SELECT pile_id FROM piles WHERE pile_id = ?${ctx.db.forUpdate}`, [record.pileId]);
        locked = record.pileId;
      }
      results[u]![i] = await store(ctx, tx, record);
    }
  });
  ctx.outbox.kick();
  return results;
}

export async function ingestRecords(ctx: RelayContext, uploads: readonly (Uint8Array | RecordRefusal)[]): Promise<IngestAnswer> {
  const parsed = uploads.map((u) => (u instanceof Uint8Array ? parseRecord(u) : u));
  const pileIds = [...new Set(parsed.flatMap((p) => (p.ok ? [p.value.pileId] : [])))];
  const keys = new Map<string, Uint8Array>();
  if (pileIds.length > 0) {
    const rows = await ctx.db.all<{ pile_id: string; public_key: string }>(`SELECT pile_id, public_key FROM piles WHERE pile_id IN (${pileIds.map(() => '?').join(', ')})`, pileIds);
    for (const row of rows) keys.set(row.pile_id, Buffer.from(row.public_key, 'hex'));
  }
  const checked = parsed.map((p) => (p.ok ? verifyRecord(p.value, keys.get(p.value.pileId), ctx.crypto) : p));
  const results: RecordResult[] = checked.map((c) => (c.ok ? { pileId: c.value.pileId, seq: c.value.seq, kind: c.value.kind, status: 'accepted' } : refused(c)));
  const verified = checked.flatMap((c, i) => (c.ok ? [{ c: c.value, i }] : []));
  if (verified.length > 0) {
    const stored = await ctx.recordStore.submit(verified.map((v) => v.c));
    verified.forEach((v, k) => (results[v.i] = stored[k]!));
  }
  const acks: IngestAnswer['acks'] = [];
  for (const pileId of [...new Set(verified.map((v) => v.c.pileId))].sort()) {
    const held = await heldRanges(ctx.db, pileId);
    const gaps = gapsOf(held);
    for (const r of results) {
      if (r.pileId !== pileId || r.status !== 'accepted') continue;
      const below = gaps.filter((g) => g.toSeq < r.seq!);
      if (below.length > 0) r.gap = below;
    }
    const uploaded = results.filter((r) => r.pileId === pileId && r.status !== 'rejected').map((r) => r.seq!);
    if (uploaded.length === 0 || held.length === 0) continue;
    acks.push({ pileId, ack: bytesToBase64url(signAck(pileId, pickAckRanges(held, uploaded), ctx.nowS(), ctx.relayKey, ctx.crypto)) });
  }
  return { results, acks };
}

// Ingestion of one upload (POST /v1/records): records are read and their pile signatures checked
// on the verify pool's worker threads (verify-pool.ts), outside any transaction, then stored in one
// transaction (shared by the uploads arriving meanwhile: commit-group.ts, store-records.ts) together
// with their effects — contract and receipt rows, account book, ledger outbox rows. Only after that
// commit are the Acks signed, so an Ack never covers a record the relay could still lose. Records
// are deduplicated by (pile, billing sequence): the same bytes again are a duplicate, other bytes
// under a held sequence are refused as a conflict. A record with unheld sequences below it is
// stored and flagged (gap); the holes are reported until the records arrive.
import { bytesToBase64url } from '../../../contracts-offline/bytes.ts';
import type { RelayContext } from '../context.ts';
import { placeholders } from '../storage/db.ts';
import { gapsOf, pickAckRanges, signAck } from './ack.ts';
import type { RecordRefusal, RecordResult, VerifiedRecord } from './verify-record.ts';
import type { VerifyOutcome } from './verify-worker.ts';

export type IngestAnswer = { results: RecordResult[]; acks: { pileId: string; ack: string }[] };

type Checked = { ok: true; value: VerifiedRecord } | RecordRefusal;

function refused(r: RecordRefusal): RecordResult {
  const where = r.pileId === undefined ? {} : { pileId: r.pileId, seq: r.seq!, kind: r.kind! };
  return { ...where, status: 'rejected', error: r.code, message: r.reason };
}

/** Reads and verifies on the pool; the keys of piles its workers do not know yet are read from the registry once. */
async function verifyUploads(ctx: RelayContext, uploads: readonly (Uint8Array | RecordRefusal)[]): Promise<Checked[]> {
  const checked: (VerifyOutcome | RecordRefusal)[] = [...uploads] as (VerifyOutcome | RecordRefusal)[];
  const bytesAt = uploads.flatMap((u, i) => (u instanceof Uint8Array ? [i] : []));
  if (bytesAt.length === 0) return checked as Checked[];
  const first = await ctx.verifyPool.verify({ records: bytesAt.map((i) => uploads[i] as Uint8Array), keys: [], unregistered: [] });
  bytesAt.forEach((at, k) => (checked[at] = first[k]!));
  const again = bytesAt.filter((at) => 'keyNeeded' in checked[at]!);
  if (again.length === 0) return checked as Checked[];
  const pileIds = [...new Set(again.map((at) => (checked[at] as { keyNeeded: string }).keyNeeded))];
  const rows = await ctx.db.all<{ pile_id: string; public_key: string }>(`SELECT pile_id, public_key FROM piles WHERE pile_id IN (${placeholders(pileIds.length)})`, pileIds);
  const keys = rows.map((row): [string, Uint8Array] => [row.pile_id, Buffer.from(row.public_key, 'hex')]);
  const unregistered = pileIds.filter((id) => !rows.some((row) => row.pile_id === id));
  const second = await ctx.verifyPool.verify({ records: again.map((at) => uploads[at] as Uint8Array), keys, unregistered });
  again.forEach((at, k) => {
    const outcome = second[k]!;
    if ('keyNeeded' in outcome) throw new Error(`relay: verify pool asked again for the key of pile ${outcome.keyNeeded}`);
    checked[at] = outcome;
  });
  return checked as Checked[];
}

/** Verifies, then stores with the uploads verified meanwhile (the commit group waits for this one while it is being verified). */
async function verifyAndStore(ctx: RelayContext, uploads: readonly (Uint8Array | RecordRefusal)[]) {
  const arrived = ctx.recordStore.expect();
  try {
    const checked = await verifyUploads(ctx, uploads);
    const verified = checked.flatMap((c, i) => (c.ok ? [{ c: c.value, i }] : []));
    const stored = verified.length === 0 ? undefined : ctx.recordStore.submit(verified.map((v) => v.c));
    arrived();
    return { checked, verified, stored: await stored };
  } finally {
    arrived();
  }
}

export async function ingestRecords(ctx: RelayContext, uploads: readonly (Uint8Array | RecordRefusal)[]): Promise<IngestAnswer> {
  const { checked, verified, stored } = await verifyAndStore(ctx, uploads);
  const results: RecordResult[] = checked.map((c) => (c.ok ? { pileId: c.value.pileId, seq: c.value.seq, kind: c.value.kind, status: 'accepted' } : refused(c)));
  if (!stored) return { results, acks: [] };
  verified.forEach((v, k) => (results[v.i] = stored.results[k]!));
  const acks: IngestAnswer['acks'] = [];
  for (const pileId of [...new Set(verified.map((v) => v.c.pileId))].sort()) {
    const held = stored.held.get(pileId) ?? [];
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

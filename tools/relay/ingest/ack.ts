// Which billing sequences the relay holds for a pile, the holes between them (gaps: records not
// carried yet), and the relay-signed Ack a phone writes back into the pile. An Ack holds at most 16
// ranges; when more are held, the ranges holding the records just uploaded come first, then the
// newest (older ones were acknowledged by earlier taps).
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { KeyPair } from '../../../contracts-offline/keys.ts';
import { ACK_MAX_RANGES, type SeqRange, encodeAck } from '../../../contracts-offline/messages/ack.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { type Queryable, type SqlValue, insertRows, placeholders, statementChunks } from '../storage/db.ts';

export async function heldRanges(q: Queryable, pileId: string): Promise<SeqRange[]> {
  return (await heldRangesOf(q, [pileId])).get(pileId)!;
}

/** heldRanges of several piles (held_ranges, kept by storeUploads). */
export async function heldRangesOf(q: Queryable, pileIds: readonly string[]): Promise<Map<string, SeqRange[]>> {
  const held = new Map<string, SeqRange[]>(pileIds.map((pileId) => [pileId, []]));
  if (pileIds.length === 0) return held;
  const rows = await q.all<{ pile_id: string; from_seq: number; to_seq: number }>(
    `SELECT pile_id, from_seq, to_seq FROM held_ranges WHERE pile_id IN (${placeholders(pileIds.length)}) ORDER BY pile_id, from_seq`,
    pileIds,
  );
  for (const row of rows) held.get(row.pile_id)!.push({ fromSeq: Number(row.from_seq), toSeq: Number(row.to_seq) });
  return held;
}

/** A pile's held ranges before and after new sequences joined them (one commit group's change). */
export interface HeldRangesChange {
  pileId: string;
  before: readonly SeqRange[];
  after: readonly SeqRange[];
}

/**
 * Writes the held ranges of a commit group's piles, each statement for all of them: runs that merged
 * into a lower one are deleted, new and grown runs upserted (a run is keyed by its lowest sequence,
 * which only falls).
 */
export async function writeHeldRanges(q: Queryable, changes: readonly HeldRangesChange[]): Promise<void> {
  const gone: SqlValue[][] = [];
  const changed: SqlValue[][] = [];
  for (const { pileId, before, after } of changes) {
    const afterTo = new Map(after.map((r) => [r.fromSeq, r.toSeq]));
    const beforeTo = new Map(before.map((r) => [r.fromSeq, r.toSeq]));
    for (const r of before) if (!afterTo.has(r.fromSeq)) gone.push([pileId, r.fromSeq]);
    for (const r of after) if (beforeTo.get(r.fromSeq) !== r.toSeq) changed.push([pileId, r.fromSeq, r.toSeq]);
  }
  await Promise.all([
    ...[...statementChunks(gone)].map((chunk) =>
      q.run(`DELETE FROM held_ranges WHERE ${chunk.map(() => '(pile_id = ? AND from_seq = ?)').join(' OR ')}`, chunk.flat())),
    insertRows(q, 'INSERT INTO held_ranges (pile_id, from_seq, to_seq)', changed, 'ON CONFLICT (pile_id, from_seq) DO UPDATE SET to_seq = excluded.to_seq'),
  ]);
}

/** The holes below the highest held sequence (billing sequences start at 1). */
export function gapsOf(held: readonly SeqRange[]): SeqRange[] {
  const gaps: SeqRange[] = [];
  let next = 1;
  for (const r of held) {
    if (r.fromSeq > next) gaps.push({ fromSeq: next, toSeq: r.fromSeq - 1 });
    next = r.toSeq + 1;
  }
  return gaps;
}

export function pickAckRanges(held: readonly SeqRange[], uploaded: readonly number[]): SeqRange[] {
  if (held.length <= ACK_MAX_RANGES) return [...held];
  const holds = (r: SeqRange) => uploaded.some((s) => s >= r.fromSeq && s <= r.toSeq);
  const chosen = new Set<SeqRange>(held.filter(holds).slice(-ACK_MAX_RANGES));
  for (let i = held.length - 1; i >= 0 && chosen.size < ACK_MAX_RANGES; i--) chosen.add(held[i]!);
  return held.filter((r) => chosen.has(r));
}

export function signAck(pileId: string, ranges: SeqRange[], atS: number, relayKey: KeyPair, crypto: Ed25519Provider): Uint8Array {
  return signMessage(encodeAck({ pileId: hexToBytes(pileId), ranges, atS }), relayKey.secretKey, { kid: relayKey.kid, crypto });
}

/** How many sequences below `seq` the ranges hold. */
export function heldBelow(held: readonly SeqRange[], seq: number): number {
  let n = 0;
  for (const r of held) if (r.fromSeq < seq) n += Math.min(r.toSeq, seq - 1) - r.fromSeq + 1;
  return n;
}

export function holds(held: readonly SeqRange[], seq: number): boolean {
  return held.some((r) => seq >= r.fromSeq && seq <= r.toSeq);
}

/** The ranges with `seq` (not held yet) added, neighbours joined. */
export function withSeq(held: readonly SeqRange[], seq: number): SeqRange[] {
  const ranges = [...held, { fromSeq: seq, toSeq: seq }].sort((x, y) => x.fromSeq - y.fromSeq);
  const joined: SeqRange[] = [];
  for (const r of ranges) {
    const last = joined[joined.length - 1];
    if (last && r.fromSeq <= last.toSeq + 1) joined[joined.length - 1] = { fromSeq: last.fromSeq, toSeq: Math.max(last.toSeq, r.toSeq) };
    else joined.push(r);
  }
  return joined;
}

// The end of a channel's contract as the relay holds it: its Receipt (whichever way it came — the
// stop's answer, the pile's uplink, any phone's upload) and what the relay settled on it.
import { bytesToBase64url, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { ChannelEvent } from '../../relay-api/routes.ts';
import { type Queryable, bytesColumn } from '../storage/db.ts';
import type { Channel } from './registry.ts';

export type SessionEnd = Extract<ChannelEvent, { event: 'ended' }>['data'];

type EndRow = {
  seq: number; status: SessionEnd['status']; end_reason: string; energy_wh: number; duration_s: number; amount_minor: number | null; signed: unknown;
};

/** The ended event of contract `contractSeq` of `pileId`, or undefined while its receipt is not held. */
export async function sessionEnd(q: Queryable, pileId: string, contractSeq: number): Promise<SessionEnd | undefined> {
  const row = await q.get<EndRow>(
    `SELECT c.seq, c.status, c.end_reason, c.energy_wh, c.duration_s, c.amount_minor, r.signed
       FROM contracts c JOIN records r ON r.pile_id = c.pile_id AND r.seq = c.receipt_seq
      WHERE c.contract_id = ? AND c.receipt_seq IS NOT NULL`,
    [contractIdHex(hexToBytes(pileId), contractSeq)],
  );
  if (!row) return undefined;
  return {
    contractSeq: Number(row.seq),
    receipt: bytesToBase64url(bytesColumn(row.signed, 'signed')),
    endReason: row.end_reason,
    energyWh: Number(row.energy_wh),
    durationS: Number(row.duration_s),
    ...(row.amount_minor !== null && { amountMinor: Number(row.amount_minor) }),
    status: row.status,
  };
}

/** Whether the channel's contract still runs; notes its end when the receipt came another way (the uplink, a phone). */
export async function stillRunning(q: Queryable, channel: Channel): Promise<boolean> {
  if (!channel.contract || channel.ended) return false;
  if (await sessionEnd(q, channel.pileId, channel.contract.seq)) channel.ended = true;
  return !channel.ended;
}

/** The contract ended: every event stream of the channel is told (and ends). */
export function announceEnd(channel: Channel, end: SessionEnd): void {
  channel.ended = true;
  for (const stream of [...channel.streams]) stream.send({ event: 'ended', data: end });
}

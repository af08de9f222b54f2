// Uploading carried records to the relay and taking its Acks back (POST /v1/records). Each batch
// is committed to the wallet as soon as its answer arrives; a record leaves the wallet only when
// the relay answered accepted or duplicate (or rejected: then it moves to `rejected`, never retried).
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { RECORDS_PER_UPLOAD_MAX } from '../relay-api/routes.ts';
import type { RelayClient } from './relay-client.ts';
import { openRelaySigned, relayKey } from './relay-trust.ts';
import { heldRecords, noteAck } from './wallet-records.ts';
import type { WalletState } from './wallet-state.ts';

export type SyncReport = {
  accepted: number;
  duplicates: number;
  rejected: { pileId: string; seq: number; error: string }[];
  /** Records the relay flagged with a sequence gap (an earlier record of that pile not carried yet). */
  gaps: { pileId: string; seq: number }[];
  /** Piles for which a fresh Ack now waits to be delivered by a tap. */
  acksFor: string[];
  /** The user's active contract was closed at the relay (receipt carried by any phone). */
  activeClosed: boolean;
};

export async function syncWallet(state: WalletState, relay: RelayClient, commit: () => void, user: KeyPair): Promise<SyncReport> {
  const report: SyncReport = { accepted: 0, duplicates: 0, rejected: [], gaps: [], acksFor: [], activeClosed: false };
  await relayKey(state, relay);
  while (state.records.length > 0) {
    const batch = heldRecords(state).slice(0, RECORDS_PER_UPLOAD_MAX);
    const answer = await relay.submitRecords(batch.map((r) => r.bytes));
    const sent = new Set(batch.map((r) => r.text));
    state.records = state.records.filter((text) => !sent.has(text));
    answer.results.forEach((result, i) => {
      const record = batch[i]!;
      if (result.gap !== undefined) report.gaps.push({ pileId: record.pileId, seq: record.seq });
      if (result.status === 'accepted') report.accepted++;
      else if (result.status === 'duplicate') report.duplicates++;
      else {
        const error = [result.error ?? 'rejected', result.message].filter(Boolean).join(': ');
        report.rejected.push({ pileId: record.pileId, seq: record.seq, error });
        state.rejected.push({ record: record.text, error });
      }
    });
    for (const { pileId, ack } of answer.acks) {
      const message = openRelaySigned(state, ack, 'Ack');
      if (bytesToHex(message.pileId) !== pileId) continue;
      noteAck(state, pileId, message, bytesToBase64url(ack));
      if (!report.acksFor.includes(pileId)) report.acksFor.push(pileId);
    }
    commit();
  }
  report.activeClosed = await closeSettledActive(state, relay, user);
  if (report.activeClosed) commit();
  return report;
}

/** The relay's Ack for one pile (GET /v1/piles/{id}/ack), verified and kept for the next tap there. */
export async function fetchPileAck(state: WalletState, relay: RelayClient, pileId: string): Promise<boolean> {
  await relayKey(state, relay);
  const ack = await relay.pileAck(hexToBytes(pileId));
  if (!ack) return false;
  const message = openRelaySigned(state, ack, 'Ack');
  if (bytesToHex(message.pileId) !== pileId) return false;
  noteAck(state, pileId, message, bytesToBase64url(ack));
  return true;
}

/** Contract statuses the relay reaches once it holds the receipt. */
const receiptHeldStatuses: readonly string[] = ['settled', 'corrected', 'disputed', 'voided'];

// R7: a capped contract that ended normally is closed at the relay by whichever phone carried its
// receipt; this phone then stops showing it as running.
async function closeSettledActive(state: WalletState, relay: RelayClient, user: KeyPair): Promise<boolean> {
  const active = state.active;
  if (!active) return false;
  const contracts = await relay.userContracts(user);
  const mine = contracts.find((c) => c.pileId === active.pileId && c.seq === active.seq);
  if (!mine || !receiptHeldStatuses.includes(mine.status)) return false;
  state.active = null;
  return true;
}

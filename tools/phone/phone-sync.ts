// What the phone does online after a tap, once the field is released: upload the carried records
// and take the relay's Acks back (POST /v1/records), and cancel the vouchers a refused START left
// to cancel. Each batch is committed to the wallet as soon as its answer arrives; a record leaves
// the wallet only when the relay answered accepted or duplicate (or rejected: then it moves to
// `rejected`, never retried).
import { bytesToBase64url, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { RECORDS_PER_UPLOAD_MAX } from '../relay-api/routes.ts';
import { RelayError, RelayUnreachableError } from './errors.ts';
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
  /** Vouchers cancelled at the relay after a refused START: their caps are no longer reserved. */
  vouchersCancelled: { voucherId: string; releasedMinor: number }[];
};

export async function syncWallet(state: WalletState, relay: RelayClient, commit: () => void, user: KeyPair): Promise<SyncReport> {
  const report: SyncReport = { accepted: 0, duplicates: 0, rejected: [], gaps: [], acksFor: [], activeClosed: false, vouchersCancelled: [] };
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
  report.vouchersCancelled = await cancelRefusedVouchers(state, relay, commit, user);
  report.activeClosed = await closeSettledActive(state, relay, user);
  if (report.activeClosed) commit();
  return report;
}

// An unreachable relay keeps the voucher for the next sync; any refusal drops it (used, unknown or
// expired: the relay's reservation ends at its expiresAtS anyway).
async function cancelRefusedVouchers(state: WalletState, relay: RelayClient, commit: () => void, user: KeyPair): Promise<SyncReport['vouchersCancelled']> {
  const cancelled: SyncReport['vouchersCancelled'] = [];
  for (const voucherId of [...(state.vouchersToCancel ?? [])]) {
    try {
      const answer = await relay.cancelVoucher(user, hexToBytes(voucherId));
      cancelled.push({ voucherId, releasedMinor: answer.releasedMinor });
    } catch (error) {
      if (error instanceof RelayUnreachableError || !(error instanceof RelayError)) throw error;
    }
    state.vouchersToCancel = (state.vouchersToCancel ?? []).filter((id) => id !== voucherId);
    commit();
  }
  return cancelled;
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

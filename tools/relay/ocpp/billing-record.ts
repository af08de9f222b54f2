// A billing record the pile delivers over its proven uplink (contracts-offline/uplink-record.ts):
// DataTransfer com.tapcharge / BillingRecord, `data` = base64url of the pile-signed Contract or
// Receipt. It is ingested exactly as a phone's upload is (ingest/ingest.ts: same checks, same
// dedupe, same settlement), after one check a phone's upload does not need: the record must be
// THIS connection's pile's — one pile cannot deliver records as another, even with records
// another pile really signed. Never throws on the pile's bytes; a refusal stores nothing.
import { base64urlToBytes } from '../../../contracts-offline/bytes.ts';
import type { BillingRecordKind } from '../../../contracts-offline/billing-record.ts';
import type { RelayContext } from '../context.ts';
import { ingestRecords } from '../ingest/ingest.ts';
import { parseRecord } from '../ingest/verify-record.ts';

/** DataTransfer.conf: Accepted with the relay-signed Ack (base64url), or Rejected with the record error code. */
export type BillingRecordConf = { status: 'Accepted' | 'Rejected'; data: string };

/** What became of the record, for the connection's log and the pile's watchers. */
export type BillingRecordOutcome = {
  conf: BillingRecordConf;
  status: 'accepted' | 'duplicate' | 'rejected';
  /** The record's sequence, kind and pile when it could be read that far. */
  record?: { seq: number; kind: BillingRecordKind; pileId: string };
  error?: string;
  reason?: string;
  /** On an accepted record that moved money by the rule but needs a look (ingest: amount mismatch, disputed contract…). */
  problem?: string;
};

const rejected = (error: string, reason: string, record?: BillingRecordOutcome['record']): BillingRecordOutcome => ({
  conf: { status: 'Rejected', data: error }, status: 'rejected', error, reason, ...(record && { record }),
});

/** Ingests the record in `data` for the pile `pileIdHex` whose connection it came on. */
export async function receiveBillingRecord(relay: RelayContext, pileIdHex: string, data: string | undefined): Promise<BillingRecordOutcome> {
  if (data === undefined) return rejected('invalid-record', '"data" is required: the signed record, base64url');
  let signed: Uint8Array;
  try {
    signed = base64urlToBytes(data);
  } catch (error) {
    return rejected('invalid-record', `"data" is not base64url: ${(error as Error).message}`);
  }
  const parsed = parseRecord(signed);
  if (!parsed.ok) return rejected(parsed.code, parsed.reason);
  const record = { seq: parsed.value.seq, kind: parsed.value.kind, pileId: parsed.value.pileId };
  if (record.pileId !== pileIdHex) return rejected('other-pile', `a record of pile ${record.pileId} on pile ${pileIdHex}'s connection`, record);
  const answer = await ingestRecords(relay, [signed]);
  const result = answer.results[0]!;
  if (result.status === 'rejected') return rejected(result.error!, result.message!, record);
  // A held record (accepted or duplicate) always has its pile's Ack.
  return { conf: { status: 'Accepted', data: answer.acks[0]!.ack }, status: result.status, record, ...(result.problem && { problem: result.problem }) };
}

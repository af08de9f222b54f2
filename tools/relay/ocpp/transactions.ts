// OCPP transactions over the pile's billing records (design §6c). The record is what bills: the
// pile delivers its signed Contract (BillingRecord, billing-record.ts) and only then sends
// StartTransaction {idTag = the contract's user kid (lowercase hex), meterStart = its
// startMeterWh, timestamp = its startAtS}; the relay answers with the contract's billing sequence
// as transactionId. StopTransaction follows the Receipt the same way and changes nothing: the
// receipt settled on arrival. Both answer the same each time (a pile rebooting between the record
// and the transaction message sends both again) and neither changes any state.
import { readSigned } from '../../../contracts-offline/signed.ts';
import type { Queryable } from '../storage/db.ts';

type Payload = Record<string, unknown>;

/** A user kid, as StartTransaction's idTag carries it: 8 bytes, lowercase hex. */
const userKidHex = /^[0-9a-f]{16}$/;

/** A pile's contracts of one user starting in one second: more than this are not looked at. */
const CANDIDATES_MAX = 4;

export type StartTransactionAnswer = { conf: Payload; contractSeq: number | undefined };

/** The held contract of pile `pileIdHex` the StartTransaction.req describes (valid against the OCPP 1.6 schema), if any. */
async function contractOf(q: Queryable, pileIdHex: string, req: Payload): Promise<number | undefined> {
  const idTag = req.idTag as string;
  const startAtMs = Date.parse(req.timestamp as string);
  if (!userKidHex.test(idTag) || !Number.isSafeInteger(startAtMs) || startAtMs % 1000 !== 0) return undefined;
  const rows = await q.all<{ seq: number; signed: Uint8Array }>(
    `SELECT c.seq, r.signed FROM contracts c JOIN records r ON r.pile_id = c.pile_id AND r.seq = c.seq
      WHERE c.pile_id = ? AND c.user_kid = ? AND c.start_at_s = ? ORDER BY c.seq DESC LIMIT ${CANDIDATES_MAX}`,
    [pileIdHex, idTag, startAtMs / 1000],
  );
  // The stored bytes were verified with the pile's key when they were ingested.
  const match = rows.find((row) => {
    const read = readSigned(row.signed, 'Contract');
    return read.ok && read.value.message.startMeterWh === req.meterStart;
  });
  return match === undefined ? undefined : Number(match.seq);
}

/** StartTransaction.conf: the contract's billing sequence and Accepted, or transactionId 0 and Invalid when the relay holds no such contract. */
export async function startTransaction(q: Queryable, pileIdHex: string, req: Payload): Promise<StartTransactionAnswer> {
  const contractSeq = await contractOf(q, pileIdHex, req);
  return contractSeq === undefined
    ? { conf: { transactionId: 0, idTagInfo: { status: 'Invalid' } }, contractSeq }
    : { conf: { transactionId: contractSeq, idTagInfo: { status: 'Accepted' } }, contractSeq };
}

export type StopTransactionAnswer = { conf: Payload; receiptHeld: boolean };

/** StopTransaction.conf for transaction (= contract sequence) `req.transactionId`, and whether the relay holds a receipt of that contract. */
export async function stopTransaction(q: Queryable, pileIdHex: string, req: Payload): Promise<StopTransactionAnswer> {
  const receipt = await q.get<{ seq: number }>('SELECT seq FROM receipts WHERE pile_id = ? AND contract_seq = ? LIMIT 1', [pileIdHex, req.transactionId as number]);
  // idTagInfo is for a stop by an idTag (OCPP 1.6 §4.10); the pile's contract authorised its user.
  return { conf: req.idTag === undefined ? {} : { idTagInfo: { status: 'Accepted' } }, receiptHeld: receipt !== undefined };
}

// The auditor's check of every charging session (R10): from the signed records the relay holds
// and the pile public keys of its registry alone — Ed25519 over the stored COSE bytes, messages
// decoded strictly — rebuild each session, then match it to the ledger's events: the Opened event
// carries SHA-256 of the signed Contract, the Settled/Corrected event SHA-256 of the signed
// Receipt, the same user, the same cap, and the amount the contract's tariff gives for the
// receipt's energy and time (never above the receipt or the cap); each contract keeps to the voucher
// the relay issued for it (contracts-offline/voucher-match.ts) or the relay disputed it. Every
// money-moving contract event must have its signed record. Then the ledger's own audit (tools/ledger/audit.ts):
// balances rebuilt from events, conservation of credit.
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { type Ed25519Provider, nobleEd25519 } from '../../contracts-offline/crypto.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { isCapped } from '../../contracts-offline/charge-limit.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import { openBillingRecord } from '../../contracts-offline/billing-record.ts';
import { readSigned } from '../../contracts-offline/signed.ts';
import { contractVoucherDifferences } from '../../contracts-offline/voucher-match.ts';
import { contractIdHex } from '../../contracts-offline/contract-id.ts';
import { receiptSettlement } from '../../contracts-offline/tariff-cost.ts';
import { type AuditReport, auditLedger } from '../ledger/audit.ts';
import { userAddressOf } from '../ledger/ids.ts';
import type { Ledger, LedgerEvent } from '../ledger/ledger.ts';
import { type Queryable, bytesColumn } from '../relay/storage/db.ts';

export type LedgerState = 'not opened' | 'open' | 'settled' | 'charged-at-cap' | 'corrected';

export type AuditedSession = {
  pileId: string;
  contractSeq: number;
  contractId: string;
  userKid: string;
  contract: Contract;
  contractSha256: string;
  receipt?: Receipt;
  receiptSha256?: string;
  ledger: LedgerState;
  /** What the ledger moved to revenue for it (settled or corrected). */
  settledMinor?: number;
  /** The contract's status at the relay (provisional, settled, …). */
  relayStatus: string;
};

export type SessionAudit = {
  ok: boolean;
  problems: string[];
  recordsVerified: number;
  sessions: AuditedSession[];
  /** Sessions whose receipt, contract and ledger settlement all check out. */
  settledVerified: number;
  ledger: AuditReport;
};

type SignedRow = { pile_id: string; seq: number; kind: string; sha256: string; signed: unknown };
type Verified<T> = { message: T; sha256: string };
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function contractEvents(events: LedgerEvent[]): Map<string, LedgerEvent[]> {
  const byId = new Map<string, LedgerEvent[]>();
  for (const e of events) {
    if (e.kind !== 'opened' && e.kind !== 'settled' && e.kind !== 'charged-at-cap' && e.kind !== 'corrected') continue;
    const id = e.contractId.toLowerCase();
    byId.set(id, [...(byId.get(id) ?? []), e]);
  }
  return byId;
}

function ledgerStateOf(events: LedgerEvent[]): LedgerState {
  const kinds = events.map((e) => e.kind);
  if (kinds.includes('corrected')) return 'corrected';
  if (kinds.includes('settled')) return 'settled';
  if (kinds.includes('charged-at-cap')) return 'charged-at-cap';
  return kinds.includes('opened') ? 'open' : 'not opened';
}

/** Verifies every held record with its pile's registered key; answers the contracts and receipts that check out. */
async function verifiedRecords(db: Queryable, crypto: Ed25519Provider, problems: string[]) {
  const keys = new Map((await db.all<{ pile_id: string; public_key: string }>('SELECT pile_id, public_key FROM piles')).map((r) => [r.pile_id, hexToBytes(r.public_key)]));
  const contracts = new Map<string, Verified<Contract>>();
  const receipts = new Map<string, Verified<Receipt>[]>();
  let verified = 0;
  for (const row of await db.all<SignedRow>('SELECT pile_id, seq, kind, sha256, signed FROM records ORDER BY pile_id, seq')) {
    const where = `record ${row.pile_id}#${row.seq}`;
    const key = keys.get(row.pile_id);
    if (!key) {
      problems.push(`${where}: pile not in the registry`);
      continue;
    }
    const signed = bytesColumn(row.signed, 'signed');
    const sha256 = sha256Hex(signed);
    if (sha256 !== row.sha256) problems.push(`${where}: stored SHA-256 ${row.sha256} differs from the bytes' ${sha256}`);
    const opened = openBillingRecord(signed, { publicKey: key, crypto });
    if (!opened.ok) {
      problems.push(`${where}: not verified with the pile's registered key (${opened.reason})`);
      continue;
    }
    const record = opened.value;
    if (record.kind !== row.kind || bytesToHex(record.pileId) !== row.pile_id || record.seq !== Number(row.seq)) {
      problems.push(`${where}: the signed record is ${record.kind} pile ${bytesToHex(record.pileId)} seq ${record.seq}`);
      continue;
    }
    verified++;
    if (record.kind === 'contract') contracts.set(`${row.pile_id}#${record.seq}`, { message: record.message, sha256 });
    else {
      const id = `${row.pile_id}#${record.message.contractSeq}`;
      receipts.set(id, [...(receipts.get(id) ?? []), { message: record.message, sha256 }]);
    }
  }
  return { contracts, receipts, verified };
}

function checkEvent(problems: string[], where: string, e: LedgerEvent | undefined, want: { user: string; capMinor: number; hash?: string; amountMinor?: number }): void {
  if (!e || !('user' in e)) return;
  if (e.user.toLowerCase() !== want.user.toLowerCase()) problems.push(`${where}: ledger ${e.kind} for user ${e.user}, the signed contract's user is ${want.user}`);
  if (e.capMinor !== BigInt(want.capMinor)) problems.push(`${where}: ledger ${e.kind} cap ${e.capMinor}, the signed contract's cap is ${want.capMinor}`);
  const hash = e.kind === 'opened' ? e.contractHash : e.kind === 'settled' || e.kind === 'corrected' ? e.receiptHash : undefined;
  if (want.hash !== undefined && hash?.toLowerCase() !== `0x${want.hash}`) problems.push(`${where}: ledger ${e.kind} hash ${hash} is not SHA-256 of the signed record (0x${want.hash})`);
  if (want.amountMinor !== undefined && (e.kind === 'settled' || e.kind === 'corrected') && e.amountMinor !== BigInt(want.amountMinor)) {
    problems.push(`${where}: ledger ${e.kind} amount ${e.amountMinor}, the signed receipt and tariff give ${want.amountMinor}`);
  }
}

/** How the contract departs from the voucher the relay issued for it (the shared rule of voucher-match.ts), if it does. */
async function voucherMismatch(db: Queryable, c: Contract): Promise<string | undefined> {
  const row = await db.get<{ signed: unknown }>('SELECT signed FROM vouchers WHERE voucher_id = ?', [bytesToHex(c.voucherId)]);
  if (!row) return `voucher ${bytesToHex(c.voucherId)} was never issued`;
  const voucher = readSigned(bytesColumn(row.signed, 'signed'), 'Authorization');
  if (!voucher.ok) return `voucher ${bytesToHex(c.voucherId)} does not read (${voucher.reason})`;
  const differs = contractVoucherDifferences(c, voucher.value.message);
  return differs.length > 0 ? `the contract differs from voucher ${bytesToHex(c.voucherId)} in ${differs.join(', ')}` : undefined;
}

/** `crypto`: the Ed25519 used to verify (default noble, the reference implementation, independent of the relay's node:crypto). */
export async function auditSessions(db: Queryable, ledger: Ledger, options: { crypto?: Ed25519Provider } = {}): Promise<SessionAudit> {
  const problems: string[] = [];
  const { contracts, receipts, verified } = await verifiedRecords(db, options.crypto ?? nobleEd25519, problems);
  const events = await ledger.history();
  const byId = contractEvents(events);
  const statuses = new Map((await db.all<{ contract_id: string; status: string }>('SELECT contract_id, status FROM contracts')).map((r) => [r.contract_id, r.status]));
  const sessions: AuditedSession[] = [];
  let settledVerified = 0;
  for (const [key, { message: c, sha256 }] of contracts) {
    const pileId = bytesToHex(c.pileId);
    const contractId = contractIdHex(c.pileId, c.seq);
    const where = `contract ${pileId}#${c.seq}`;
    const user = userAddressOf(c.userKid);
    const own = byId.get(`0x${contractId}`) ?? [];
    byId.delete(`0x${contractId}`);
    const opens = own.filter((e) => e.kind === 'opened');
    const closes = own.filter((e) => e.kind === 'settled' || e.kind === 'corrected');
    if (opens.length !== 1) problems.push(`${where}: ${opens.length} ledger Opened events (expected 1)`);
    checkEvent(problems, where, opens[0], { user, capMinor: c.capMinor, hash: sha256 });
    const open = opens[0];
    if (open?.kind === 'opened' && open.capped !== isCapped(c.limit.mode)) problems.push(`${where}: ledger says capped=${open.capped} for a ${c.limit.mode} contract`);
    const voucherProblem = await voucherMismatch(db, c);
    if (voucherProblem && statuses.get(contractId) !== 'disputed') problems.push(`${where}: ${voucherProblem}, yet the relay did not dispute it`);
    const session: AuditedSession = { pileId, contractSeq: c.seq, contractId, userKid: bytesToHex(c.userKid), contract: c, contractSha256: sha256, ledger: ledgerStateOf(own), relayStatus: statuses.get(contractId) ?? 'not held' };
    const held = receipts.get(key) ?? [];
    receipts.delete(key);
    if (held.length > 1) problems.push(`${where}: ${held.length} signed receipts`);
    const r = held[0];
    if (r) {
      const expected = receiptSettlement(r.message, c.tariff, c.capMinor).settledMinor;
      if (closes.length !== 1) problems.push(`${where}: ${closes.length} ledger settlements for one signed receipt (expected 1)`);
      checkEvent(problems, where, closes[0], { user, capMinor: c.capMinor, hash: r.sha256, amountMinor: expected });
      Object.assign(session, { receipt: r.message, receiptSha256: r.sha256 });
      const close = closes[0];
      if (close && (close.kind === 'settled' || close.kind === 'corrected')) session.settledMinor = Number(close.amountMinor);
      if (closes.length === 1 && opens.length === 1 && problems.every((p) => !p.startsWith(where))) settledVerified++;
    } else if (closes.length > 0) {
      problems.push(`${where}: settled on the ledger without a signed receipt`);
    }
    const expectStatus = session.ledger === 'settled' ? 'settled' : session.ledger === 'corrected' ? 'corrected' : session.ledger === 'charged-at-cap' ? 'charged-at-cap' : 'provisional';
    if (session.relayStatus !== expectStatus) problems.push(`${where}: the relay says ${session.relayStatus}, the signed records and the ledger say ${expectStatus}`);
    sessions.push(session);
  }
  for (const key of receipts.keys()) problems.push(`receipt for contract ${key}: the signed contract is not held`);
  for (const [id, left] of byId) problems.push(`ledger ${left.map((e) => e.kind).join(', ')} for contract ${id as Hex} with no signed contract`);
  const ledgerAudit = await auditLedger(ledger);
  problems.push(...ledgerAudit.problems.map((p) => `ledger audit: ${p}`));
  sessions.sort((a, b) => a.contract.startAtS - b.contract.startAtS || a.contractId.localeCompare(b.contractId));
  return { ok: problems.length === 0, problems, recordsVerified: verified, sessions, settledVerified, ledger: ledgerAudit };
}

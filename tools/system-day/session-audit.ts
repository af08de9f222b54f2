// The day's view of the relay's audit (tools/relay/audit/audit-relay.ts): every figure the relay
// stores re-derived from the signed records, the relay-signed vouchers and configs and the ledger's
// events, and each charging session as those sources make it — what the day's report lists.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import type { AuditReport } from '../ledger/audit.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { type AuditOptions, type RelayAudit, auditRelay } from '../relay/audit/audit-relay.ts';
import type { LedgerState, SessionStatus } from '../relay/audit/derive-sessions.ts';
import type { Queryable } from '../relay/storage/db.ts';

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
  /** What its receipt settles (settled or corrected): min(receipt, tariff cost, cap). */
  settledMinor?: number;
  /** As the signed records and the ledger make it; the relay's stored status equals it when the audit passes. */
  status: SessionStatus;
};

export type SessionAudit = {
  ok: boolean;
  /** The audit's disagreements, one line each; the first names the first row that disagrees. */
  problems: string[];
  recordsVerified: number;
  relaySignedVerified: number;
  /** Rows re-derived, all tables together. */
  rowsChecked: number;
  sessions: AuditedSession[];
  /** Sessions whose receipt, contract and ledger settlement all check out. */
  settledVerified: number;
  ledger: AuditReport;
};

function sessionOf(s: RelayAudit['sessions'][number]): AuditedSession {
  return {
    pileId: s.pileId,
    contractSeq: s.seq,
    contractId: s.contractId,
    userKid: s.userKid,
    contract: s.contract.message,
    contractSha256: s.contract.sha256,
    ...(s.receipt && { receipt: s.receipt.message, receiptSha256: s.receipt.sha256 }),
    ledger: s.ledger,
    ...(s.settlement && { settledMinor: s.settlement.settledMinor }),
    status: s.status,
  };
}

export async function auditSessions(db: Queryable, ledger: Ledger, options: AuditOptions): Promise<SessionAudit> {
  const audit = await auditRelay(db, ledger, options);
  return {
    ok: audit.ok,
    problems: audit.disagreements,
    recordsVerified: audit.recordsVerified,
    relaySignedVerified: audit.relaySignedVerified,
    rowsChecked: Object.values(audit.rows).reduce((n, rows) => n + rows, 0),
    sessions: audit.sessions.map(sessionOf),
    settledVerified: audit.settledVerified,
    ledger: audit.ledger,
  };
}

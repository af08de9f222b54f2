// The relay's audit (R10): every figure the relay stores or serves — per contract, per user, per
// pile — re-derived from what the relay cannot forge: the piles' signed records (verified with the
// registry's pile keys), the relay-signed vouchers, pile configurations and service authorisations
// (verified with the relay's public key), and the ledger's events; then compared row by row,
// column by column, with what the database holds. A row with no source (inserted) and a source with
// no row (deleted) are findings too. Tables in the order their sources come: the registry, the
// service authorisations issued for its piles, the signed records (and the runs of sequences they
// hold) and vouchers, the operators' resolutions of disputed contracts, the sessions, the ledger
// writes and money moves, the users' books, the refunds, the ledger itself.
// Each check file says for each of its columns what it is derived from, or why it cannot be;
// stored-tables.ts names the tables left alone and why.
import { type Ed25519Provider, nobleEd25519 } from '../../../contracts-offline/crypto.ts';
import { type AuditReport, auditLedger, unreadableHistoryReport } from '../../ledger/audit.ts';
import { LedgerError } from '../../ledger/errors.ts';
import type { Ledger, LedgerEvent } from '../../ledger/ledger.ts';
import { type RelayPolicy, defaultPolicy } from '../policy.ts';
import type { Queryable } from '../storage/db.ts';
import { checkSessions } from './check-contracts.ts';
import { checkHeldRanges } from './check-held-ranges.ts';
import { checkLedger, recordHashesOf } from './check-ledger.ts';
import { checkMoney } from './check-money.ts';
import { checkRecords } from './check-records.ts';
import { checkRefunds } from './check-refunds.ts';
import { checkRegistry } from './check-registry.ts';
import { checkResolutions } from './check-resolutions.ts';
import { checkServiceAuthorizations } from './check-service-authorizations.ts';
import { checkVouchers } from './check-vouchers.ts';
import { deriveMoney } from './derive-money.ts';
import { type DerivedSession, deriveSessions } from './derive-sessions.ts';
import { Findings, storedText } from './findings.ts';
import { indexLedger } from './ledger-index.ts';
import type { AuditAnchors } from './open-relay-data.ts';
import { type AuditedTable, accountForTables, readStoredTables } from './stored-tables.ts';
import { verifySources } from './verify-signed.ts';

export type RelayAudit = {
  ok: boolean;
  /** One line per disagreement, "<table> <key>: <what differs>"; the first names the first row that disagrees. */
  disagreements: string[];
  /** Every session as the signed records and the ledger make it, by start time. */
  sessions: DerivedSession[];
  /** Signed records that verified with their pile's registered key. */
  recordsVerified: number;
  /** Vouchers, pile configs and service authorisations that verified with the relay's key. */
  relaySignedVerified: number;
  /** Settled or corrected sessions whose open and settlement are on the ledger, matching the signed records, with no finding. */
  settledVerified: number;
  /** Rows compared per table. */
  rows: Record<AuditedTable, number>;
  ledger: AuditReport;
};

export type AuditOptions = {
  anchors: AuditAnchors;
  /** The relay's settings its rules used (receiptOverdueS); default the relay's defaults. */
  policy?: RelayPolicy;
  /** Ed25519 for the signatures; default noble, the reference implementation, independent of the relay's node:crypto. */
  crypto?: Ed25519Provider;
};

export async function auditRelay(db: Queryable, ledger: Ledger, options: AuditOptions): Promise<RelayAudit> {
  const policy = options.policy ?? defaultPolicy;
  const stored = await readStoredTables(db);
  const migration3 = await db.get<{ applied_at_ms: number }>('SELECT applied_at_ms FROM schema_migrations WHERE version = 3');
  let history: LedgerEvent[];
  try {
    history = await ledger.history();
  } catch (error) {
    if (!(error instanceof LedgerError && error.code === 'bad-history')) throw error;
    return unreadableLedger(stored, error.message);
  }
  const index = indexLedger(history);
  const sources = verifySources(stored, options.anchors.relayPublicKey, options.crypto ?? nobleEd25519);
  const decisions = new Map([...stored.contract_resolutions].map(([id, row]) => [id, storedText(row['decision']) ?? '']));
  const derived = deriveSessions(sources, index, decisions);
  const money = deriveMoney(derived.sessions, index, ledger.revenueAccount);
  const ledgerAudit = await auditLedger(ledger, { recordHashOf: recordHashesOf(derived), history });

  const f = new Findings();
  accountForTables(f);
  checkRegistry(f, stored, sources, options.anchors);
  checkServiceAuthorizations(f, stored, sources, options.anchors);
  checkRecords(f, stored, sources, index);
  checkHeldRanges(f, stored);
  checkVouchers(f, stored, sources, derived, index, Number(migration3?.applied_at_ms ?? 0));
  checkResolutions(f, stored, sources, derived, index, options.anchors);
  checkSessions(f, stored, sources, derived, money, policy);
  const moveKeys = checkMoney(f, stored, sources, derived, money, policy);
  checkRefunds(f, stored, derived, money, moveKeys, options.anchors);
  checkLedger(f, index, money, ledgerAudit);

  const sessions = [...derived.sessions.values()].sort((a, b) => a.contract.message.startAtS - b.contract.message.startAtS || a.contractId.localeCompare(b.contractId));
  const onLedger = (kind: string, id: string) => money.writes.get(`${kind} 0x${id}`)?.event !== undefined;
  const settledVerified = sessions.filter((s) => s.settlement && onLedger('open', s.contractId) && onLedger(s.chargedAtCap ? 'correct' : 'settle', s.contractId)
    && !f.lines.some((line) => line.includes(s.contractId))).length;
  return {
    ok: f.lines.length === 0,
    disagreements: f.lines,
    sessions,
    recordsVerified: [...sources.records.values()].filter((r) => r.ok).length,
    relaySignedVerified: [...sources.vouchers.values(), ...sources.configs.values(), ...sources.serviceAuthorizations.values()].filter((r) => r.ok).length,
    settledVerified,
    rows: rowCounts(stored),
    ledger: ledgerAudit,
  };
}

function rowCounts(stored: Awaited<ReturnType<typeof readStoredTables>>): Record<AuditedTable, number> {
  return Object.fromEntries(Object.entries(stored).map(([table, rows]) => [table, rows.size])) as Record<AuditedTable, number>;
}

/** A ledger whose history does not read back (a Batch log without its batch): nothing can be derived from it. */
function unreadableLedger(stored: Awaited<ReturnType<typeof readStoredTables>>, problem: string): RelayAudit {
  return {
    ok: false,
    disagreements: [`ledger: ${problem}`],
    sessions: [],
    recordsVerified: 0,
    relaySignedVerified: 0,
    settledVerified: 0,
    rows: rowCounts(stored),
    ledger: unreadableHistoryReport(problem),
  };
}

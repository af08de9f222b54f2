// The figures of a day, read back from its data folder alone — the relay's database (read-only)
// and the embedded ledger (replayed from its journal) — with the relay's audit run over them. Used
// at the end of `tapcharge day` (after the relay has closed) and by `tapcharge day audit --data DIR`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { endDetailText } from '../../contracts-offline/display-text.ts';
import { userAddressOf } from '../ledger/ids.ts';
import { BOOK_COLUMNS, type UserBookRow, creditHistoryOf } from '../relay/billing/book.ts';
import { creditLimitMinor } from '../relay/billing/credit.ts';
import { defaultPolicy } from '../relay/policy.ts';
import { withRelayData } from '../relay/audit/open-relay-data.ts';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { auditSessions } from './session-audit.ts';
import { DayError } from './errors.ts';

export type SessionFigure = {
  pile: string;
  seq: number;
  driver: string;
  mode: string;
  capMinor: number;
  status: string;
  ledger: string;
  endReason?: string;
  endDetail?: string;
  energyWh?: number;
  durationS?: number;
  amountMinor?: number;
};

export type DayFigures = {
  dataDir: string;
  sessions: SessionFigure[];
  piles: { label: string; pileId: string; sessions: number; energyWh: number; settledMinor: number; provisionalCapMinor: number }[];
  users: { name: string; kid: string; balanceMinor: number; escrowMinor: number; creditLimitMinor: number; creditUsedMinor: number; settledSessions: number }[];
  revenueMinor: number;
  issuedMinor: number;
  redeemedMinor: number;
  gas: { byKind: Record<string, { entries: number; gasUsed: number }>; transactions: number; perSettledSession: number };
  audit: {
    ok: boolean;
    recordsVerified: number;
    relaySignedVerified: number;
    rowsChecked: number;
    settledVerified: number;
    provisional: number;
    ledgerEvents: number;
    ledgerAccounts: number;
    problems: string[];
  };
};

export async function collectFigures(dataDir: string): Promise<DayFigures> {
  if (!existsSync(join(dataDir, 'relay.sqlite')) || !existsSync(join(dataDir, 'ledger', 'chain.json'))) {
    throw new DayError('no-day-data', `${dataDir} holds no day's data (relay.sqlite and ledger/ expected)`);
  }
  return withRelayData(dataDir, async ({ db, ledger, anchors }) => {
    const audit = await auditSessions(db, ledger, { anchors });
    const labels = new Map((await db.all<{ pile_id: string; label: string }>(
      'SELECT c.pile_id, c.label FROM pile_configs c JOIN piles p ON p.pile_id = c.pile_id AND p.config_version = c.config_version ORDER BY c.pile_id',
    )).map((r) => [r.pile_id, r.label]));
    const users = await db.all<UserBookRow & { display_name: string }>(`SELECT ${BOOK_COLUMNS}, display_name FROM users ORDER BY created_at_s, kid`);
    const names = new Map(users.map((u) => [u.kid, u.display_name]));
    const sessions: SessionFigure[] = audit.sessions.map((s) => ({
      pile: labels.get(s.pileId) ?? s.pileId,
      seq: s.contractSeq,
      driver: names.get(s.userKid) ?? s.userKid,
      mode: s.contract.limit.mode,
      capMinor: s.contract.capMinor,
      status: s.status,
      ledger: s.ledger,
      ...(s.receipt && { endReason: s.receipt.endReason, endDetail: endDetailText(s.receipt.endDetail), energyWh: s.receipt.energyWh, durationS: s.receipt.durationS }),
      ...(s.settledMinor !== undefined && { amountMinor: s.settledMinor }),
    }));
    const piles = [...labels].map(([pileId, label]) => {
      const mine = audit.sessions.filter((s) => s.pileId === pileId);
      return {
        label,
        pileId,
        sessions: mine.length,
        energyWh: mine.reduce((sum, s) => sum + (s.receipt?.energyWh ?? 0), 0),
        settledMinor: mine.reduce((sum, s) => sum + (s.settledMinor ?? 0), 0),
        provisionalCapMinor: mine.filter((s) => s.ledger === 'open').reduce((sum, s) => sum + s.contract.capMinor, 0),
      };
    });
    const userFigures = [];
    for (const u of users) {
      const address = userAddressOf(hexToBytes(u.kid));
      const history = creditHistoryOf(u);
      userFigures.push({
        name: u.display_name,
        kid: u.kid,
        balanceMinor: Number(await ledger.balanceOf(address)),
        escrowMinor: Number(await ledger.escrowOf(address)),
        creditLimitMinor: creditLimitMinor(history, defaultPolicy.credit),
        creditUsedMinor: Number(u.debt_minor),
        settledSessions: history.settledSessions,
      });
    }
    const gasRows = await db.all<{ kind: string; n: number; gas: number }>("SELECT kind, COUNT(*) AS n, COALESCE(SUM(gas_used), 0) AS gas FROM ledger_outbox WHERE state = 'done' GROUP BY kind ORDER BY kind");
    const txs = await db.get<{ n: number }>("SELECT COUNT(DISTINCT tx_hash) AS n FROM ledger_outbox WHERE state = 'done'");
    const byKind = Object.fromEntries(gasRows.map((r) => [r.kind, { entries: Number(r.n), gasUsed: Number(r.gas) }]));
    const settledIds = new Set(audit.sessions.filter((s) => s.settledMinor !== undefined).map((s) => s.contractId));
    const contractGas = await db.all<{ contract_id: string | null; gas_used: number | null }>("SELECT contract_id, gas_used FROM ledger_outbox WHERE state = 'done' AND contract_id IS NOT NULL");
    const sessionGas = contractGas.filter((r) => settledIds.has(r.contract_id!.replace(/^0x/, ''))).reduce((sum, r) => sum + Number(r.gas_used ?? 0), 0);
    const settled = settledIds.size;
    return {
      dataDir,
      sessions,
      piles,
      users: userFigures,
      revenueMinor: Number(await ledger.balanceOf(ledger.revenueAccount)),
      issuedMinor: Number(audit.ledger.issuedMinor),
      redeemedMinor: Number(audit.ledger.redeemedMinor),
      gas: { byKind, transactions: Number(txs?.n ?? 0), perSettledSession: settled > 0 ? Math.round(sessionGas / settled) : 0 },
      audit: {
        ok: audit.ok,
        recordsVerified: audit.recordsVerified,
        relaySignedVerified: audit.relaySignedVerified,
        rowsChecked: audit.rowsChecked,
        settledVerified: audit.settledVerified,
        provisional: audit.sessions.filter((s) => s.ledger === 'open').length,
        ledgerEvents: audit.ledger.events,
        ledgerAccounts: audit.ledger.accounts,
        problems: audit.problems,
      },
    };
  });
}

// Sessions as operators see them: one row per held contract with its receipt's figures, the
// operator's resolution, the refunds so far and the ledger transaction that settled it. The
// pile view lists a pile's latest; the accounting export (sessions-csv.ts) the sessions settled in
// a period. A session is settled when its amount became final at the relay: its receipt arrived
// (settled, or corrected after a charge at the cap), or an operator settled its dispute.
import type { Hex } from 'viem';
import type { ChargeMode } from '../../../../contracts-offline/charge-limit.ts';
import { utcTimeS } from '../../../relay-api/fields.ts';
import type { Answer } from '../../../relay-api/routes.ts';
import { invalidField } from '../../errors.ts';
import type { Queryable } from '../../storage/db.ts';
import { resolutionOf } from './decisions.ts';

export type OperatorSession = Answer<'operatorPile', 200>['recentSessions'][number];

type SessionRow = {
  contract_id: string; pile_id: string; seq: number | string; user_kid: string; mode: string; status: string; cap_minor: number | string;
  start_at_s: number | string; end_at_s: number | string | null; energy_wh: number | string | null; duration_s: number | string | null;
  amount_minor: number | string | null; end_reason: string | null; receipt_received_at_s: number | string | null;
  decision: string | null; reason: string | null; operator_kid: string | null; resolved_at_s: number | string | null;
  refunded_minor: number | string; ledger_tx_hash: Hex | null;
};

/** When the amount became final: the operator's settlement of a dispute, else the receipt's arrival. */
const SETTLED_AT_S = 'COALESCE(cr.at_s, c.receipt_received_at_s)';

const SELECT_SESSIONS = `
  SELECT c.contract_id, c.pile_id, c.seq, c.user_kid, c.mode, c.status, c.cap_minor, c.start_at_s, r.end_at_s, c.energy_wh, c.duration_s,
         c.amount_minor, c.end_reason, c.receipt_received_at_s, cr.decision, cr.reason, cr.operator_kid, cr.at_s AS resolved_at_s,
         (SELECT COALESCE(SUM(m.amount_minor), 0) FROM money_moves m WHERE m.contract_id = c.contract_id AND m.kind = 'refund') AS refunded_minor,
         (SELECT MAX(o.tx_hash) FROM ledger_outbox o WHERE o.contract_id = '0x' || c.contract_id AND o.kind IN ('settle', 'correct') AND o.state = 'done') AS ledger_tx_hash
    FROM contracts c
    LEFT JOIN receipts r ON r.pile_id = c.pile_id AND r.seq = c.receipt_seq
    LEFT JOIN contract_resolutions cr ON cr.contract_id = c.contract_id`;

const optional = (value: number | string | null): number | undefined => (value === null ? undefined : Number(value));
const isSettled = (status: string): boolean => status === 'settled' || status === 'corrected';

function sessionOf(r: SessionRow): OperatorSession {
  const settledAtS = isSettled(r.status) ? optional(r.resolved_at_s ?? r.receipt_received_at_s) : undefined;
  const endAtS = optional(r.end_at_s);
  const energyWh = optional(r.energy_wh);
  const durationS = optional(r.duration_s);
  const amountMinor = optional(r.amount_minor);
  return {
    contractId: r.contract_id,
    pileId: r.pile_id,
    seq: Number(r.seq),
    userKid: r.user_kid,
    mode: r.mode as ChargeMode,
    status: r.status as OperatorSession['status'],
    capMinor: Number(r.cap_minor),
    startAtS: Number(r.start_at_s),
    ...(endAtS !== undefined && { endAtS }),
    ...(settledAtS !== undefined && { settledAtS }),
    ...(energyWh !== undefined && { energyWh }),
    ...(durationS !== undefined && { durationS }),
    ...(amountMinor !== undefined && { amountMinor }),
    refundedMinor: Number(r.refunded_minor),
    ...(r.end_reason !== null && { endReason: r.end_reason }),
    ...(r.decision !== null && { resolution: resolutionOf({ contract_id: r.contract_id, decision: r.decision, reason: r.reason!, operator_kid: r.operator_kid!, at_s: r.resolved_at_s! }) }),
    ...(r.ledger_tx_hash !== null && { ledgerTxHash: r.ledger_tx_hash }),
  };
}

/** The pile's latest `limit` sessions, newest first. */
export async function latestSessions(q: Queryable, pileId: string, limit: number): Promise<OperatorSession[]> {
  const rows = await q.all<SessionRow>(`${SELECT_SESSIONS} WHERE c.pile_id = ? ORDER BY c.seq DESC LIMIT ${Math.trunc(limit)}`, [pileId]);
  return rows.map(sessionOf);
}

/** Sessions settled at relay times `fromS` ≤ t < `toS`, in the order they were settled. */
/** The period [from, to) of a sessions query, in seconds; `to` must come after `from`. */
export function settledPeriod(query: { from: string; to: string }): { fromS: number; toS: number } {
  const fromS = utcTimeS(query.from)!; // the route's schema checked both
  const toS = utcTimeS(query.to)!;
  if (toS <= fromS) throw invalidField('to', `expected a time after "from" (${query.from}), got ${query.to}`);
  return { fromS, toS };
}

export async function sessionsSettled(q: Queryable, fromS: number, toS: number): Promise<OperatorSession[]> {
  const rows = await q.all<SessionRow>(
    `${SELECT_SESSIONS} WHERE c.status IN ('settled', 'corrected') AND ${SETTLED_AT_S} >= ? AND ${SETTLED_AT_S} < ? ORDER BY ${SETTLED_AT_S}, c.contract_id`,
    [fromS, toS],
  );
  return rows.map(sessionOf);
}

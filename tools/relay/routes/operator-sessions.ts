// GET /v1/operator/sessions?from=…&to=…: the dashboard's sessions, as JSON. `settled`: the rows of
// the accounting export (sessions.csv) for the same period — settled or corrected at relay times in
// [from, to) — from the same query. `unsettled`: every session whose amount is not final yet,
// whatever its time (provisional: charging, or its receipt not carried yet; charged at its cap: the
// receipt is overdue; disputed: an operator must decide), by start.
import type { RouteHandler } from '../http/routes.ts';
import { type Queryable, placeholders } from '../storage/db.ts';
import { type OperatorSession, latestSessions, sessionsSettled, settledPeriod } from './operator/sessions.ts';

const UNSETTLED = ['provisional', 'charged-at-cap', 'disputed'];

type PileBackRow = { pile_id: string; n: number | string };

/**
 * Per pile, its latest sessions back to its oldest unsettled one (how many: the contracts from that
 * one on), kept when unsettled — the operator pile view's query (operator/sessions.ts), not a second one.
 */
async function unsettledSessions(db: Queryable): Promise<OperatorSession[]> {
  const statuses = placeholders(UNSETTLED.length);
  const piles = await db.all<PileBackRow>(
    `SELECT c.pile_id, COUNT(*) AS n FROM contracts c
       JOIN (SELECT pile_id, MIN(seq) AS oldest FROM contracts WHERE status IN (${statuses}) GROUP BY pile_id) u ON u.pile_id = c.pile_id AND c.seq >= u.oldest
      GROUP BY c.pile_id ORDER BY c.pile_id`,
    UNSETTLED,
  );
  const sessions: OperatorSession[] = [];
  for (const p of piles) sessions.push(...(await latestSessions(db, p.pile_id, Number(p.n))).filter((s) => UNSETTLED.includes(s.status)));
  return sessions.sort((a, b) => a.startAtS - b.startAtS || a.contractId.localeCompare(b.contractId));
}

export const operatorSessions: RouteHandler<'operatorSessions'> = async (ctx, { query }) => {
  const { fromS, toS } = settledPeriod(query);
  return { status: 200, body: { fromS, toS, settled: await sessionsSettled(ctx.db, fromS, toS), unsettled: await unsettledSessions(ctx.db) } };
};

// GET /v1/operator/sessions.csv?from=…&to=…: the sessions settled in [from, to) for accounting, one
// CSV record each (RFC 4180, header first). Times are ISO 8601 UTC; `startAt`/`endAt` are the pile's
// signed clock, `settledAt` the relay's (what the period is cut on, so a period once past never
// changes its rows; `refundedMinor` is every refund to the time of the export). Amounts in minor units.
import type { RouteHandler } from '../../http/routes.ts';
import { csvText } from './csv.ts';
import { sessionsSettled, settledPeriod } from './sessions.ts';

export const SESSIONS_CSV_HEADER = Object.freeze([
  'contractId', 'pileId', 'userKid', 'mode', 'startAt', 'endAt', 'settledAt', 'energyWh', 'durationS', 'amountMinor', 'refundedMinor', 'status',
  'resolution', 'ledgerTxHash',
] as const);

const isoTime = (atS: number | undefined): string | undefined => (atS === undefined ? undefined : new Date(atS * 1000).toISOString().replace('.000Z', 'Z'));

export const operatorSessionsCsv: RouteHandler<'operatorSessionsCsv'> = async (ctx, { query }) => {
  const { fromS, toS } = settledPeriod(query);
  const sessions = await sessionsSettled(ctx.db, fromS, toS);
  const rows = sessions.map((s) => [
    s.contractId, s.pileId, s.userKid, s.mode, isoTime(s.startAtS), isoTime(s.endAtS), isoTime(s.settledAtS), s.energyWh, s.durationS, s.amountMinor,
    s.refundedMinor, s.status, s.resolution?.decision, s.ledgerTxHash,
  ]);
  return { status: 200, body: csvText(SESSIONS_CSV_HEADER, rows) };
};

// GET /v1/health, for load balancers and monitoring: the database and the ledger each answer a
// cheap read within HEALTH_CHECK_TIMEOUT_MS (200), or the relay says which does not (503). The
// outbox backlog is reported, not judged: writes queue while the ledger is away and drain after.
import type { RelayContext } from '../context.ts';
import type { RouteHandler } from '../http/routes.ts';

export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

type Check = { ok: boolean; ms: number; error?: string };

async function check(probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)), HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error instanceof Error ? error.message : String(error)).split('\n')[0]! };
  } finally {
    clearTimeout(timer);
  }
}

async function oldestPendingS(ctx: RelayContext): Promise<number | undefined> {
  const row = await ctx.db.get<{ at: number | string | null }>("SELECT MIN(created_at_ms) AS at FROM ledger_outbox WHERE state = 'pending'");
  return row?.at == null ? undefined : Math.max(0, Math.floor((Date.now() - Number(row.at)) / 1000));
}

const health: RouteHandler<'health'> = async (ctx) => {
  const [database, ledger] = await Promise.all([check(() => ctx.db.get('SELECT 1 AS one')), check(() => ctx.ledger.totals())]);
  let outbox: { pending: number; oldestPendingS?: number } = { pending: 0 };
  if (database.ok) {
    const oldest = await oldestPendingS(ctx);
    outbox = { pending: (await ctx.outbox.stats()).pending, ...(oldest !== undefined && { oldestPendingS: oldest }) };
  }
  const body = { status: database.ok && ledger.ok ? 'ok' as const : 'unavailable' as const, uptimeS: Math.floor((Date.now() - ctx.startedAtMs) / 1000), database, ledger, outbox };
  return body.status === 'ok' ? { status: 200, body } : { status: 503, body };
};

export const healthHandlers = { health };

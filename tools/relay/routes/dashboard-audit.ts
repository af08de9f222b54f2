// GET /v1/operator/audit: the relay's audit (audit/audit-relay.ts, what `tapcharge relay audit`
// runs on a stopped relay's folder) run on this relay's live database and ledger, trusting the same
// anchors: the relay's public key and the operator key of its data folder.
//
// A running relay changes both while the audit reads them — a ledger write lands between reading
// the outbox row and the ledger's events, a record arrives between two tables — and the two reads
// then disagree for a moment. So a FAIL is kept only when nothing moved during its run (the counts
// of rows and the ledger's state root read before and after); otherwise the audit runs again, at
// most AUDIT_RUNS times. A PASS needs no second look: a write landing mid-run can only make rows
// disagree. Requests arriving while an audit runs share its answer.
import type { Answer } from '../../relay-api/routes.ts';
import { auditRelay } from '../audit/audit-relay.ts';
import type { AuditAnchors } from '../audit/open-relay-data.ts';
import type { RelayContext } from '../context.ts';
import type { RouteHandler } from '../http/routes.ts';

const AUDIT_RUNS = 3;

type AuditAnswer = Answer<'operatorAudit', 200>;

async function fingerprint(ctx: RelayContext): Promise<string> {
  const counts = await ctx.db.get(
    `SELECT (SELECT COUNT(*) FROM records) AS records, (SELECT COUNT(*) FROM vouchers) AS vouchers, (SELECT COUNT(*) FROM users) AS users,
            (SELECT COUNT(*) FROM ledger_outbox) AS writes, (SELECT COUNT(*) FROM ledger_outbox WHERE state <> 'pending') AS sent,
            (SELECT COUNT(*) FROM money_moves) AS moves, (SELECT COUNT(*) FROM pile_configs) AS configs,
            (SELECT COUNT(*) FROM contract_resolutions) AS resolutions, (SELECT COUNT(*) FROM vouchers WHERE cancelled_at_s IS NOT NULL) AS cancelled,
            (SELECT COUNT(*) FROM service_authorizations) AS service_authorizations`,
  );
  return `${JSON.stringify(counts)} ${await ctx.ledger.stateRoot()}`;
}

async function auditNow(ctx: RelayContext, anchors: AuditAnchors): Promise<AuditAnswer> {
  for (let run = 1; ; run++) {
    const checkedAtS = ctx.nowS();
    const before = await fingerprint(ctx);
    const audit = await auditRelay(ctx.db, ctx.ledger, { anchors, policy: ctx.policy });
    const moved = !audit.ok && (await fingerprint(ctx)) !== before;
    if (moved && run < AUDIT_RUNS) continue;
    return {
      ok: audit.ok,
      checkedAtS,
      disagreements: audit.disagreements.length,
      ...(audit.disagreements[0] !== undefined && { first: audit.disagreements[0] }),
      pendingLedgerWrites: await ctx.outbox.pendingCount(),
    };
  }
}

/** The handler, with the anchors this relay was started with. */
export function operatorAuditHandler(anchors: AuditAnchors): RouteHandler<'operatorAudit'> {
  let running: Promise<AuditAnswer> | undefined;
  return async (ctx) => {
    running ??= auditNow(ctx, anchors).finally(() => (running = undefined));
    return { status: 200, body: await running };
  };
}

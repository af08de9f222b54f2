// GET /v1/operator/piles and /v1/operator/piles/{pileId}: each pile's registry entry and current
// configuration, when the relay last heard of it, the billing sequences held and missing, and its
// sessions counted by status with the settled figures; for one pile also its latest sessions and
// the service authorisations issued for it (who, when, which command and console challenge).
//
// Last seen = the latest relay time a pile-signed record of the pile arrived, whoever carried it.
// Reads of its Ack or PileUpdate are left out: they are open GETs anyone can make without being
// near the pile, so they prove nothing about it (and would turn reads into writes). A pile is
// silent when nothing has arrived for longer than policy.pileSilentAfterS (counted from its
// registration when nothing ever did). No pile uplink exists yet, so no "online" is claimed.
import { type Answer, OPERATOR_RECENT_SESSIONS } from '../../../relay-api/routes.ts';
import type { RelayContext } from '../../context.ts';
import type { RouteHandler } from '../../http/routes.ts';
import { gapsOf, heldRanges } from '../../ingest/ack.ts';
import { currentConfig } from '../piles.ts';
import { latestServiceAuthorizations } from '../service-authorizations.ts';
import { latestSessions } from './sessions.ts';

type OperatorPile = Answer<'operatorPiles', 200>['piles'][number];

type PileRow = { pile_id: string; public_key: string; operator: string; created_at_s: number | string; records: number | string; last_seen_at_s: number | string | null };
type StatusRow = { status: string; n: number | string; without_receipt: number | string; amount_minor: number | string; energy_wh: number | string };

const SELECT_PILES = `
  SELECT p.pile_id, p.public_key, p.operator, p.created_at_s, COUNT(r.seq) AS records, MAX(r.received_at_s) AS last_seen_at_s
    FROM piles p LEFT JOIN records r ON r.pile_id = p.pile_id`;

async function summary(ctx: RelayContext, p: PileRow, nowS: number): Promise<OperatorPile> {
  const config = await currentConfig(ctx.db, p.pile_id);
  const held = await heldRanges(ctx.db, p.pile_id);
  const byStatus = await ctx.db.all<StatusRow>(
    `SELECT status, COUNT(*) AS n, COUNT(CASE WHEN receipt_seq IS NULL THEN 1 END) AS without_receipt,
            COALESCE(SUM(amount_minor), 0) AS amount_minor, COALESCE(SUM(energy_wh), 0) AS energy_wh
       FROM contracts WHERE pile_id = ? GROUP BY status`,
    [p.pile_id],
  );
  const refunded = await ctx.db.get<{ minor: number | string }>(
    "SELECT COALESCE(SUM(m.amount_minor), 0) AS minor FROM money_moves m JOIN contracts c ON c.contract_id = m.contract_id WHERE m.kind = 'refund' AND c.pile_id = ?",
    [p.pile_id],
  );
  const count = (status: string) => Number(byStatus.find((s) => s.status === status)?.n ?? 0);
  const settled = byStatus.filter((s) => s.status === 'settled' || s.status === 'corrected');
  const lastSeenAtS = p.last_seen_at_s === null ? undefined : Number(p.last_seen_at_s);
  const registeredAtS = Number(p.created_at_s);
  return {
    pileId: p.pile_id,
    publicKey: p.public_key,
    operator: p.operator,
    label: config.label,
    maxPowerW: config.maxPowerW,
    configVersion: config.configVersion,
    tariff: config.tariff,
    registeredAtS,
    ...(lastSeenAtS !== undefined && { lastSeenAtS }),
    silent: nowS - (lastSeenAtS ?? registeredAtS) > ctx.policy.pileSilentAfterS,
    records: Number(p.records),
    held,
    gaps: gapsOf(held),
    contractsWithoutReceipt: byStatus.reduce((n, s) => n + Number(s.without_receipt), 0),
    sessions: {
      provisional: count('provisional'),
      chargedAtCap: count('charged-at-cap'),
      settled: count('settled'),
      corrected: count('corrected'),
      disputed: count('disputed'),
      voided: count('voided'),
      settledEnergyWh: settled.reduce((n, s) => n + Number(s.energy_wh), 0),
      settledAmountMinor: settled.reduce((n, s) => n + Number(s.amount_minor), 0),
      refundedMinor: Number(refunded?.minor ?? 0),
    },
  };
}

export const operatorPiles: RouteHandler<'operatorPiles'> = async (ctx) => {
  const nowS = ctx.nowS();
  const rows = await ctx.db.all<PileRow>(`${SELECT_PILES} GROUP BY p.pile_id, p.public_key, p.operator, p.created_at_s ORDER BY p.pile_id`);
  const piles: OperatorPile[] = [];
  for (const row of rows) piles.push(await summary(ctx, row, nowS));
  return { status: 200, body: { nowS, silentAfterS: ctx.policy.pileSilentAfterS, piles } };
};

export const operatorPile: RouteHandler<'operatorPile'> = async (ctx, { params }) => {
  const pileId = params.pileId.toLowerCase();
  const nowS = ctx.nowS();
  await currentConfig(ctx.db, pileId); // 404 unknown-pile
  const row = (await ctx.db.get<PileRow>(`${SELECT_PILES} WHERE p.pile_id = ? GROUP BY p.pile_id, p.public_key, p.operator, p.created_at_s`, [pileId]))!;
  return {
    status: 200,
    body: {
      nowS, silentAfterS: ctx.policy.pileSilentAfterS, pile: await summary(ctx, row, nowS), recentSessions: await latestSessions(ctx.db, pileId, OPERATOR_RECENT_SESSIONS),
      serviceAuthorizations: await latestServiceAuthorizations(ctx, pileId),
    },
  };
};

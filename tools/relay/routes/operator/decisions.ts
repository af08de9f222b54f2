// The operator's decisions on contracts as answers show them: a disputed contract's resolution
// (settled on its receipt, or voided) and the refunds of a charged one — each with who, when, why.
import type { Hex } from 'viem';
import type { Queryable } from '../../storage/db.ts';

export type Resolution = { decision: 'settle' | 'void'; reason: string; operatorKid: string; atS: number };
export type Refund = { ref: Hex; amountMinor: number; reason: string; operatorKid: string; atS: number };
export type ContractDecisions = { resolution?: Resolution; refunds: Refund[]; refundedMinor: number };

type ResolutionRow = { contract_id: string; decision: string; reason: string; operator_kid: string; at_s: number | string };
type RefundRow = { contract_id: string; ref: Hex; reason: string; operator_kid: string; amount_minor: number | string; at_s: number | string };

export const resolutionOf = (r: ResolutionRow): Resolution => ({ decision: r.decision as Resolution['decision'], reason: r.reason, operatorKid: r.operator_kid, atS: Number(r.at_s) });

/** The decisions on the contracts of one user, or on one contract, by contract id. */
export async function contractDecisions(q: Queryable, of: { userKid: string } | { contractId: string }): Promise<Map<string, ContractDecisions>> {
  const [column, value] = 'userKid' in of ? ['c.user_kid', of.userKid] : ['c.contract_id', of.contractId];
  const resolutions = await q.all<ResolutionRow>(
    `SELECT r.contract_id, r.decision, r.reason, r.operator_kid, r.at_s FROM contract_resolutions r JOIN contracts c ON c.contract_id = r.contract_id WHERE ${column} = ?`,
    [value],
  );
  const refunds = await q.all<RefundRow>(
    `SELECT f.contract_id, f.ref, f.reason, f.operator_kid, m.amount_minor, m.at_s
       FROM refunds f JOIN money_moves m ON m.ref = f.ref JOIN contracts c ON c.contract_id = f.contract_id
      WHERE ${column} = ? ORDER BY m.at_s, m.outbox_id`,
    [value],
  );
  const byContract = new Map<string, ContractDecisions>();
  const entry = (id: string): ContractDecisions => {
    let d = byContract.get(id);
    if (!d) byContract.set(id, (d = { refunds: [], refundedMinor: 0 }));
    return d;
  };
  for (const r of resolutions) entry(r.contract_id).resolution = resolutionOf(r);
  for (const f of refunds) {
    const d = entry(f.contract_id);
    const amountMinor = Number(f.amount_minor);
    d.refunds.push({ ref: f.ref, amountMinor, reason: f.reason, operatorKid: f.operator_kid, atS: Number(f.at_s) });
    d.refundedMinor += amountMinor;
  }
  return byContract;
}

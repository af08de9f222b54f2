// Refunds (routes/operator/refund.ts): money back to the user of a charged contract, paid from the
// ledger's revenue account — a Transfer event from it (derive-money.ts), whose amount, user and
// outbox row check-money.ts compares with the money move of kind refund. The ref is
// ledgerRef('refund', operator, idempotency key) and the key is not kept: it is the ref the outbox
// row and the money move agree on, not re-derived. Nor is the contract a refund pays back on the
// ledger; the money move's contract_id is checked, in ledger order: a contract held whose derived
// status is settled or corrected, of the user the Transfer paid, refunded at most what it charged.
//   refunds  one row per refund, under its money move's ref; contract_id: the money move's. Not
//            derivable: reason (the operator's text), operator_kid (which operator refunded is not
//            signed: checked to be an operator key the audit trusts).
// Which of the user's charged contracts a refund names, within what each charged, is the
// operator's word.
import { getAddress } from 'viem';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { userAddressOf } from '../../ledger/ids.ts';
import type { Row } from '../storage/db.ts';
import { checkOperatorKid, operatorKids } from './check-resolutions.ts';
import type { DerivedMoney, LedgerWrite } from './derive-money.ts';
import type { DerivedSessions } from './derive-sessions.ts';
import { type DerivedColumns, type Findings, type TableColumns, compareTable, storedText } from './findings.ts';
import type { AuditAnchors } from './open-relay-data.ts';
import type { StoredTables } from './stored-tables.ts';

export const REFUNDS_COLUMNS: TableColumns = {
  derived: ['ref', 'contract_id'],
  underivable: {
    reason: 'the operator\'s text: the request is not kept',
    operator_kid: 'which operator refunded: the request\'s signature is not kept (checked to be an operator key the audit trusts)',
  },
};

type Refund = { key: string; write: LedgerWrite; move: Row | undefined };

/** Why the refund's money move may not name the contract it names, if it may not. */
function contractProblem(r: Refund, derived: DerivedSessions): string | undefined {
  const contractId = storedText(r.move!['contract_id']);
  if (contractId === undefined) return 'contract_id stored NULL: a refund pays back one contract';
  const s = derived.sessions.get(contractId);
  if (!s) return `contract_id stored ${contractId}: no pile-signed contract with this id is held`;
  if (s.status !== 'settled' && s.status !== 'corrected') return `contract_id stored ${contractId}: contract ${s.pileId}#${s.seq} is ${s.status}: only a settled or corrected contract is refunded`;
  if (getAddress(userAddressOf(hexToBytes(s.userKid))) !== getAddress(r.write.to!)) {
    return `contract_id stored ${contractId}: contract ${s.pileId}#${s.seq} is user ${s.userKid}'s, yet ${r.write.from} paid ${r.write.to}`;
  }
  return undefined;
}

function checkRefundedContracts(f: Findings, refunds: readonly Refund[], derived: DerivedSessions): void {
  const refunded = new Map<string, number>();
  for (const r of refunds) {
    if (!r.move) continue; // money_moves reports the row missing
    const problem = contractProblem(r, derived);
    if (problem) {
      f.add('money_moves', r.key, problem);
      continue;
    }
    const s = derived.sessions.get(String(r.move['contract_id']))!;
    const total = (refunded.get(s.contractId) ?? 0) + r.write.amountMinor!;
    refunded.set(s.contractId, total);
    const chargedMinor = s.settlement!.settledMinor;
    if (total > chargedMinor) {
      f.add('money_moves', r.key, `refunds of contract ${s.contractId} reach ${total} with this one, above the ${chargedMinor} it charged (receipt ${s.receipt!.pileId}#${s.receipt!.seq} and its tariff)`);
    }
  }
}

function checkRefundRows(f: Findings, stored: StoredTables, refunds: readonly Refund[], anchors: AuditAnchors): void {
  f.accountFor('refunds', [...stored.refunds.values()], REFUNDS_COLUMNS);
  const wanted = new Map(refunds.map((r) => {
    const columns: DerivedColumns = r.move ? { contract_id: { value: storedText(r.move['contract_id']) ?? null, from: `money_moves ${r.key}, the refund's money move` } } : {};
    return [r.key, { columns, needs: `${r.write.from} is refund ${r.key}` }];
  }));
  compareTable(f, 'refunds', stored.refunds, wanted, () => 'no refund with this ref: the ledger has no Transfer from the revenue account whose outbox row and money move carry it');
  const operators = operatorKids(anchors);
  for (const [key, row] of stored.refunds) checkOperatorKid(f, 'refunds', key, row, operators);
}

/** `moveKeys`: the money_moves key of each write by identity (check-money.ts). */
export function checkRefunds(f: Findings, stored: StoredTables, derived: DerivedSessions, money: DerivedMoney, moveKeys: ReadonlyMap<string, string>, anchors: AuditAnchors): void {
  const refunds = [...money.writes.values()].filter((w) => w.move?.kind === 'refund').map((write) => {
    const key = moveKeys.get(write.identity)!;
    return { key, write, move: stored.money_moves.get(key) };
  });
  checkRefundedContracts(f, refunds, derived);
  checkRefundRows(f, stored, refunds, anchors);
}

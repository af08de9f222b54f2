// The ledger against the signed records: every contract event must be a write a session calls for,
// with the user, cap and amount the signed contract, receipt and tariff give (a disputed contract's
// only once an operator's resolution settled it); every money event must be one the relay's rules
// account for; then the ledger's own audit (tools/ledger/audit.ts): balances and escrow rebuilt
// from the events equal the chain's, balances + escrow = issued − redeemed, and every batch's
// records digest is the SHA-256 of the signed records its entries rest on — taken from the relay's
// stored records (recordHashOf), so a record, amount, user or order that differs from what the
// relay holds, or a batch dropped or replayed, fails.
import type { Hex } from 'viem';
import type { AuditReport, EntryOp } from '../../ledger/audit.ts';
import type { DerivedMoney, LedgerWrite } from './derive-money.ts';
import type { DerivedSessions } from './derive-sessions.ts';
import type { Findings } from './findings.ts';
import { type ContractEvent, type LedgerIndex, txOf } from './ledger-index.ts';

const WRITE_OF: Record<ContractEvent['kind'], LedgerWrite['kind']> = { opened: 'open', settled: 'settle', 'charged-at-cap': 'charge-cap', corrected: 'correct' };

function compareEvent(f: Findings, e: ContractEvent, w: LedgerWrite): void {
  const where = `${e.kind} ${e.contractId}`;
  const differs = (field: string, onLedger: unknown, derived: unknown) => {
    if (String(onLedger).toLowerCase() !== String(derived).toLowerCase()) f.add('ledger', where, `${field} ${onLedger} on the ledger (${txOf(e)}), derived ${derived} from ${w.from}`);
  };
  differs('user', e.user, w.user);
  differs('cap', e.capMinor, w.capMinor);
  if (e.kind === 'opened') differs('capped', e.capped ? 1 : 0, w.capped);
  if (e.kind === 'settled' || e.kind === 'corrected') differs('amount', e.amountMinor, w.amountMinor);
}

/**
 * The SHA-256 of the signed record a batch entry rests on, as the relay holds it: the verified
 * contract record for open and charge-cap, the receipt that closed the contract for settle.
 */
export function recordHashesOf(derived: DerivedSessions): (e: { op: EntryOp; contractId: Hex }) => Hex | undefined {
  return ({ op, contractId }) => {
    const s = derived.sessions.get(contractId.slice(2).toLowerCase());
    const sha256 = op === 'settle' ? s?.receipt?.sha256 : s?.contract.sha256;
    return sha256 === undefined ? undefined : `0x${sha256}`;
  };
}

export function checkLedger(f: Findings, index: LedgerIndex, money: DerivedMoney, ledgerAudit: AuditReport): void {
  for (const events of index.byContract.values()) {
    for (const e of events) {
      const w = money.writes.get(`${WRITE_OF[e.kind]} ${e.contractId.toLowerCase()}`);
      if (!w || w.event !== e) f.add('ledger', `${e.kind} ${e.contractId}`, `no write the signed records call for (${txOf(e)}): the contract is not held, disputed, or has no such receipt`);
      else compareEvent(f, e, w);
    }
  }
  for (const stray of money.strays) f.add('ledger', stray.event, stray.text);
  for (const problem of ledgerAudit.problems) f.add('ledger', 'audit', problem);
}

// The ledger against the signed records: every contract event must be a write a session calls for,
// with the user, cap, hash and amount the signed contract, receipt and tariff give (a disputed
// contract's only once an operator's resolution settled it); every money event must be one the
// relay's rules account for; then the ledger's own audit (tools/ledger/audit.ts): balances and
// escrow rebuilt from the events equal the chain's, and balances + escrow = issued − redeemed.
import type { AuditReport } from '../../ledger/audit.ts';
import type { DerivedMoney, LedgerWrite } from './derive-money.ts';
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
  if (e.kind === 'opened') {
    differs('capped', e.capped ? 1 : 0, w.capped);
    differs('contract hash', e.contractHash, w.hash);
  }
  if (e.kind === 'settled' || e.kind === 'corrected') {
    differs('amount', e.amountMinor, w.amountMinor);
    differs('receipt hash', e.receiptHash, w.hash);
  }
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

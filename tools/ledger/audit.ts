// Audit: re-read every ledger event, rebuild every account's balance and escrow from them, and
// check conservation — sum of balances + escrow = issued − redeemed — plus that each settlement
// matches the contract it closes (same user and cap, amount ≤ cap) and the chain's own figures.
import type { Address, Hex } from 'viem';
import type { Ledger, LedgerEvent } from './ledger.ts';

export type AuditReport = {
  ok: boolean;
  problems: string[];
  events: number;
  accounts: number;
  contracts: number;
  issuedMinor: bigint;
  redeemedMinor: bigint;
  balancesMinor: bigint;
  escrowMinor: bigint;
};

type Open = { user: Address; capMinor: bigint; state: 'open' | 'charged' | 'closed' };

export async function auditLedger(ledger: Ledger): Promise<AuditReport> {
  const events = await ledger.history();
  const problems: string[] = [];
  const balance = new Map<string, bigint>();
  const escrow = new Map<string, bigint>();
  const contracts = new Map<Hex, Open>();
  const add = (m: Map<string, bigint>, a: Address, d: bigint) => m.set(a.toLowerCase(), (m.get(a.toLowerCase()) ?? 0n) + d);
  const revenue = ledger.revenueAccount;
  let issued = 0n;
  let redeemed = 0n;
  const matchOpen = (e: LedgerEvent & { contractId: Hex; user: Address; capMinor: bigint }, want: Open['state']): Open | undefined => {
    const c = contracts.get(e.contractId);
    if (!c) problems.push(`${e.kind} ${e.contractId} in block ${e.blockNumber} has no matching open`);
    else if (c.state !== want) problems.push(`${e.kind} ${e.contractId} in block ${e.blockNumber} but the contract is ${c.state}`);
    else if (c.user.toLowerCase() !== e.user.toLowerCase() || c.capMinor !== e.capMinor) problems.push(`${e.kind} ${e.contractId}: user/cap differ from its open`);
    else return c;
    return undefined;
  };
  for (const e of events) {
    switch (e.kind) {
      case 'issued': issued += e.amountMinor; break;
      case 'redeemed': redeemed += e.amountMinor; break;
      case 'transfer':
        if (e.from !== '0x0000000000000000000000000000000000000000') add(balance, e.from, -e.amountMinor);
        if (e.to !== '0x0000000000000000000000000000000000000000') add(balance, e.to, e.amountMinor);
        break;
      case 'opened':
        if (contracts.has(e.contractId)) problems.push(`contract ${e.contractId} opened twice`);
        contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, state: 'open' });
        add(balance, e.user, -e.capMinor);
        add(escrow, e.user, e.capMinor);
        break;
      case 'settled': {
        const c = matchOpen(e, 'open');
        if (c) c.state = 'closed';
        if (e.amountMinor > e.capMinor) problems.push(`settled ${e.contractId}: amount ${e.amountMinor} above cap ${e.capMinor}`);
        add(escrow, e.user, -e.capMinor);
        add(balance, e.user, e.capMinor - e.amountMinor);
        add(balance, revenue, e.amountMinor);
        break;
      }
      case 'charged-at-cap': {
        const c = matchOpen(e, 'open');
        if (c) c.state = 'charged';
        add(escrow, e.user, -e.capMinor);
        add(balance, revenue, e.capMinor);
        break;
      }
      case 'corrected': {
        const c = matchOpen(e, 'charged');
        if (c) c.state = 'closed';
        if (e.amountMinor > e.capMinor) problems.push(`corrected ${e.contractId}: amount ${e.amountMinor} above cap ${e.capMinor}`);
        add(balance, revenue, e.amountMinor - e.capMinor);
        add(balance, e.user, e.capMinor - e.amountMinor);
        break;
      }
      default: break;
    }
  }
  const accounts = new Set([...balance.keys(), ...escrow.keys()]);
  let balances = 0n;
  let escrows = 0n;
  for (const account of accounts) {
    const b = balance.get(account) ?? 0n;
    const s = escrow.get(account) ?? 0n;
    if (b < 0n || s < 0n) problems.push(`account ${account} goes negative in the events (balance ${b}, escrow ${s})`);
    balances += b;
    escrows += s;
    const [chainBalance, chainEscrow] = await Promise.all([ledger.balanceOf(account as Address), ledger.escrowOf(account as Address)]);
    if (chainBalance !== b) problems.push(`account ${account}: chain balance ${chainBalance}, events say ${b}`);
    if (chainEscrow !== s) problems.push(`account ${account}: chain escrow ${chainEscrow}, events say ${s}`);
  }
  const totals = await ledger.totals();
  if (totals.issuedMinor !== issued || totals.redeemedMinor !== redeemed) problems.push(`chain totals issued ${totals.issuedMinor} / redeemed ${totals.redeemedMinor}, events say ${issued} / ${redeemed}`);
  if (totals.escrowMinor !== escrows) problems.push(`chain total escrow ${totals.escrowMinor}, events say ${escrows}`);
  if (balances + escrows !== issued - redeemed) problems.push(`conservation broken: balances ${balances} + escrow ${escrows} ≠ issued ${issued} − redeemed ${redeemed}`);
  return { ok: problems.length === 0, problems, events: events.length, accounts: accounts.size, contracts: contracts.size, issuedMinor: issued, redeemedMinor: redeemed, balancesMinor: balances, escrowMinor: escrows };
}

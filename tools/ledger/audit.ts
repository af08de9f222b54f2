// Audit: re-read every ledger event, rebuild every account's balance and escrow from them, and
// check conservation — sum of balances + escrow = issued − redeemed — plus that each settlement
// matches the contract it closes (same user and cap, amount ≤ cap) and the chain's own figures.
// Given the auditor's own copies of the signed records (their SHA-256), it also recomputes every
// batch's records digest: a record that differs, is missing, or sits in another order fails (R10).
// A history that does not read back (a Batch log whose transaction does not carry its batch) fails
// with that one problem: nothing can be rebuilt from it.
import type { Address, Hex } from 'viem';
import { recordsDigestOf } from './batch-encoding.ts';
import { LedgerError } from './errors.ts';
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

export type EntryOp = 'open' | 'settle' | 'charge-cap';

export type AuditOptions = {
  /** SHA-256 of the signed record an entry rests on (the contract for open and charge-cap, the receipt for settle), undefined when the auditor has none. */
  recordHashOf?: (e: { op: EntryOp; contractId: Hex }) => Hex | undefined;
  /** The ledger's history when the caller has read it already (the relay's audit reads it once for both). */
  history?: readonly LedgerEvent[];
};

type Contract = { user: Address; capMinor: bigint; capped: boolean; state: 'open' | 'charged' | 'closed' };
type EntryEvent = Extract<LedgerEvent, { entry: number }>;
type BatchEvent = Extract<LedgerEvent, { kind: 'batch' }>;

const zeroAddress = '0x0000000000000000000000000000000000000000';

function opOf(e: EntryEvent): EntryOp {
  switch (e.kind) {
    case 'opened': return 'open';
    case 'charged-at-cap': return 'charge-cap';
    case 'skipped': return e.op;
    default: return 'settle';
  }
}

/** The batch's own checks: its entry events are all there, in entry order; with the records, its digest. */
function checkBatch(batch: BatchEvent, entries: EntryEvent[], options: AuditOptions, problems: string[]): void {
  const where = `batch in block ${batch.blockNumber} (tx ${batch.txHash})`;
  if (entries.length !== batch.entries) problems.push(`${where} has ${batch.entries} entries, the history shows ${entries.length}`);
  entries.forEach((e, i) => { if (e.entry !== i) problems.push(`${where}: entry event ${i} says entry ${e.entry}`); });
  if (!options.recordHashOf) return;
  const recordHashes: Hex[] = [];
  for (const e of entries) {
    const op = opOf(e);
    const recordHash = options.recordHashOf({ op, contractId: e.contractId });
    if (recordHash === undefined) problems.push(`${where}: no signed record for ${op} ${e.contractId} (entry ${e.entry})`);
    else recordHashes.push(recordHash);
  }
  if (recordHashes.length !== entries.length) return;
  const computed = recordsDigestOf(recordHashes);
  if (computed !== batch.recordsDigest.toLowerCase()) problems.push(`${where}: records digest ${batch.recordsDigest} on chain, the records give ${computed}`);
}

/** The report on a history that does not read back: its one problem, nothing rebuilt. */
export function unreadableHistoryReport(problem: string): AuditReport {
  return { ok: false, problems: [problem], events: 0, accounts: 0, contracts: 0, issuedMinor: 0n, redeemedMinor: 0n, balancesMinor: 0n, escrowMinor: 0n };
}

export async function auditLedger(ledger: Ledger, options: AuditOptions = {}): Promise<AuditReport> {
  let events: readonly LedgerEvent[];
  try {
    events = options.history ?? await ledger.history();
  } catch (error) {
    if (!(error instanceof LedgerError && error.code === 'bad-history')) throw error;
    return unreadableHistoryReport(error.message);
  }
  const problems: string[] = [];
  const balance = new Map<string, bigint>();
  const escrow = new Map<string, bigint>();
  const contracts = new Map<Hex, Contract>();
  const add = (m: Map<string, bigint>, a: Address, d: bigint) => m.set(a.toLowerCase(), (m.get(a.toLowerCase()) ?? 0n) + d);
  const revenue = ledger.revenueAccount;
  let issued = 0n;
  let redeemed = 0n;
  let batch: { event: BatchEvent; entries: EntryEvent[] } | undefined;
  const closeBatch = () => {
    if (batch) checkBatch(batch.event, batch.entries, options, problems);
    batch = undefined;
  };
  const matchOpen = (e: EntryEvent & { user: Address; capMinor: bigint }, want: Contract['state']): Contract | undefined => {
    const c = contracts.get(e.contractId);
    if (!c) problems.push(`${e.kind} ${e.contractId} in block ${e.blockNumber} has no matching open`);
    else if (c.state !== want) problems.push(`${e.kind} ${e.contractId} in block ${e.blockNumber} but the contract is ${c.state}`);
    else if (c.user.toLowerCase() !== e.user.toLowerCase() || c.capMinor !== e.capMinor) problems.push(`${e.kind} ${e.contractId}: user/cap differ from its open`);
    else return c;
    return undefined;
  };
  for (const e of events) {
    if ('entry' in e) {
      if (batch && batch.event.txHash === e.txHash && batch.event.logIndex === e.logIndex) batch.entries.push(e);
      else problems.push(`${e.kind} ${e.contractId} in block ${e.blockNumber} is not part of a batch`);
    } else {
      closeBatch();
    }
    switch (e.kind) {
      case 'issued': issued += e.amountMinor; break;
      case 'redeemed': redeemed += e.amountMinor; break;
      case 'transfer':
        if (e.from !== zeroAddress) add(balance, e.from, -e.amountMinor);
        if (e.to !== zeroAddress) add(balance, e.to, e.amountMinor);
        break;
      case 'batch': batch = { event: e, entries: [] }; break;
      case 'opened':
        if (contracts.has(e.contractId)) problems.push(`contract ${e.contractId} opened twice`);
        contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, capped: e.capped, state: 'open' });
        add(balance, e.user, -e.capMinor);
        add(escrow, e.user, e.capMinor);
        break;
      case 'settled': {
        if (e.amountMinor > e.capMinor) problems.push(`settled ${e.contractId}: amount ${e.amountMinor} above cap ${e.capMinor}`);
        if (e.from === 'none') {
          // One step: contract and receipt together, nothing was escrowed.
          if (contracts.has(e.contractId)) problems.push(`settled ${e.contractId} from none in block ${e.blockNumber}, but it was opened or settled before`);
          contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, capped: false, state: 'closed' });
          add(balance, e.user, -e.amountMinor);
        } else {
          const c = matchOpen(e, 'open');
          if (c && (c.capped ? 'open-capped' : 'open-full') !== e.from) problems.push(`settled ${e.contractId} from ${e.from}, but it was opened ${c.capped ? 'capped' : 'full'}`);
          if (c) c.state = 'closed';
          add(escrow, e.user, -e.capMinor);
          add(balance, e.user, e.capMinor - e.amountMinor);
        }
        add(balance, revenue, e.amountMinor);
        break;
      }
      case 'charged-at-cap': {
        const c = matchOpen(e, 'open');
        if (c && !c.capped) problems.push(`charged-at-cap ${e.contractId}, but it was opened full`);
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
  closeBatch();
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

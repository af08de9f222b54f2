// A plain in-memory model of TapchargeLedger's rules, used to predict what the chain must do in
// the property and crash tests. It mirrors the contract's order of checks; a batch is its entries
// applied one after the other.
import type { Address, Hex } from 'viem';
import type { BatchEntry, ContractState, EntryOutcome } from '../../tools/ledger/ledger.ts';

export type OpenEntry = Extract<BatchEntry, { kind: 'open' }>;
export type SettleEntry = Extract<BatchEntry, { kind: 'settle' }>;
export type ChargeCapEntry = Extract<BatchEntry, { kind: 'charge-cap' }>;

export type ModelOutcome = 'applied' | 'duplicate' | `rejected: ${string}`;

/** A chain entry outcome in the model's words: `applied from <state>`, `duplicate` or `rejected: <reason>`. */
export function outcomeText(o: EntryOutcome): string {
  return o.status === 'applied' ? `applied from ${o.from}` : o.status === 'rejected' ? `rejected: ${o.reason}` : 'duplicate';
}

export class LedgerModel {
  readonly balance = new Map<string, bigint>();
  readonly escrow = new Map<string, bigint>();
  readonly contracts = new Map<Hex, { user: Address; capMinor: bigint; state: ContractState }>();
  readonly refs = new Set<Hex>();
  issuedMinor = 0n;
  redeemedMinor = 0n;
  readonly revenue: Address;

  constructor(revenue: Address) {
    this.revenue = revenue;
  }

  balanceOf(a: Address): bigint { return this.balance.get(a.toLowerCase()) ?? 0n; }
  escrowOf(a: Address): bigint { return this.escrow.get(a.toLowerCase()) ?? 0n; }
  #add(m: Map<string, bigint>, a: Address, d: bigint): void { m.set(a.toLowerCase(), (m.get(a.toLowerCase()) ?? 0n) + d); }
  stateOf(id: Hex): ContractState { return this.contracts.get(id)?.state ?? 'none'; }
  get escrowMinor(): bigint { let s = 0n; for (const v of this.escrow.values()) s += v; return s; }

  issue(to: Address, amount: bigint, ref: Hex): ModelOutcome {
    if (amount === 0n) return 'rejected: amount must be greater than 0';
    if (this.refs.has(ref)) return 'duplicate';
    this.refs.add(ref);
    this.#add(this.balance, to, amount);
    this.issuedMinor += amount;
    return 'applied';
  }

  redeem(from: Address, amount: bigint, ref: Hex): ModelOutcome {
    if (amount === 0n) return 'rejected: amount must be greater than 0';
    if (this.balanceOf(from) < amount) return 'rejected: insufficient balance';
    if (this.refs.has(ref)) return 'duplicate';
    this.refs.add(ref);
    this.#add(this.balance, from, -amount);
    this.redeemedMinor += amount;
    return 'applied';
  }

  transfer(from: Address, to: Address, amount: bigint, ref: Hex): ModelOutcome {
    if (amount === 0n) return 'rejected: amount must be greater than 0';
    if (this.balanceOf(from) < amount) return 'rejected: insufficient balance';
    if (this.refs.has(ref)) return 'duplicate';
    this.refs.add(ref);
    this.#add(this.balance, from, -amount);
    this.#add(this.balance, to, amount);
    return 'applied';
  }

  /** One batch: entries apply in order against the running balances (what netting must preserve); outcomes as outcomeText. */
  applyBatch(entries: BatchEntry[]): string[] {
    return entries.map((e) => {
      const from = this.stateOf(e.contractId);
      const outcome = e.kind === 'open' ? this.open(e) : e.kind === 'settle' ? this.settle(e) : this.chargeCap(e);
      return outcome === 'applied' ? `applied from ${from}` : outcome;
    });
  }

  open(e: OpenEntry): ModelOutcome {
    if (this.stateOf(e.contractId) !== 'none') return 'duplicate';
    if (this.balanceOf(e.user) < e.capMinor) return 'rejected: insufficient balance';
    this.#add(this.balance, e.user, -e.capMinor);
    this.#add(this.escrow, e.user, e.capMinor);
    this.contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, state: e.capped ? 'open-capped' : 'open-full' });
    return 'applied';
  }

  /** From none: one step; from open: release the cap; from charged-at-cap: the correction. */
  settle(e: SettleEntry): ModelOutcome {
    const state = this.stateOf(e.contractId);
    if (state === 'settled' || state === 'corrected') return 'duplicate';
    if (e.amountMinor > e.capMinor) return 'rejected: amount above cap';
    if (state === 'none') {
      if (this.balanceOf(e.user) < e.amountMinor) return 'rejected: insufficient balance';
      this.#add(this.balance, e.user, -e.amountMinor);
      this.#add(this.balance, this.revenue, e.amountMinor);
      this.contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, state: 'settled' });
      return 'applied';
    }
    if (state === 'charged-at-cap') {
      const refund = e.capMinor - e.amountMinor;
      if (this.balanceOf(this.revenue) < refund) return 'rejected: revenue account short';
      this.#add(this.balance, this.revenue, -refund);
      this.#add(this.balance, e.user, refund);
      this.contracts.get(e.contractId)!.state = 'corrected';
      return 'applied';
    }
    if (this.escrowOf(e.user) < e.capMinor) return 'rejected: escrow short';
    this.#add(this.escrow, e.user, -e.capMinor);
    this.#add(this.balance, e.user, e.capMinor - e.amountMinor);
    this.#add(this.balance, this.revenue, e.amountMinor);
    this.contracts.get(e.contractId)!.state = 'settled';
    return 'applied';
  }

  chargeCap(e: ChargeCapEntry): ModelOutcome {
    const state = this.stateOf(e.contractId);
    if (state === 'charged-at-cap' || state === 'corrected') return 'duplicate';
    if (state !== 'open-capped') return 'rejected: wrong state';
    if (this.escrowOf(e.user) < e.capMinor) return 'rejected: escrow short';
    this.#add(this.escrow, e.user, -e.capMinor);
    this.#add(this.balance, this.revenue, e.capMinor);
    this.contracts.get(e.contractId)!.state = 'charged-at-cap';
    return 'applied';
  }
}

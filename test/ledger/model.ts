// A plain in-memory model of TapchargeLedger's rules, used to predict what the chain must do in
// the property and crash tests. It mirrors the contract's order of checks.
import type { Address, Hex } from 'viem';
import type { ChargeCapEntry, ContractState, OpenEntry, SettleEntry } from '../../tools/ledger/ledger.ts';

export type ModelOutcome = 'applied' | 'duplicate' | `rejected: ${string}`;

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

  open(e: OpenEntry): ModelOutcome {
    if (e.capMinor === 0n || BigInt(e.contractId) % (1n << 64n) === 0n || /^0x0{40}$/.test(e.user)) return 'rejected: bad entry';
    if (this.stateOf(e.contractId) !== 'none') return 'duplicate';
    if (this.balanceOf(e.user) < e.capMinor) return 'rejected: insufficient balance';
    this.#add(this.balance, e.user, -e.capMinor);
    this.#add(this.escrow, e.user, e.capMinor);
    this.contracts.set(e.contractId, { user: e.user, capMinor: e.capMinor, state: e.capped ? 'open-capped' : 'open-full' });
    return 'applied';
  }

  settle(e: SettleEntry): ModelOutcome {
    const state = this.stateOf(e.contractId);
    if (state === 'settled' || state === 'corrected') return 'duplicate';
    if (state !== 'open-capped' && state !== 'open-full') return 'rejected: wrong state';
    if (e.amountMinor > e.capMinor) return 'rejected: amount above cap';
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

  correct(e: SettleEntry): ModelOutcome {
    const state = this.stateOf(e.contractId);
    if (state === 'corrected') return 'duplicate';
    if (state !== 'charged-at-cap') return 'rejected: wrong state';
    if (e.amountMinor > e.capMinor) return 'rejected: amount above cap';
    const refund = e.capMinor - e.amountMinor;
    if (this.balanceOf(this.revenue) < refund) return 'rejected: revenue account short';
    this.#add(this.balance, this.revenue, -refund);
    this.#add(this.balance, e.user, refund);
    this.contracts.get(e.contractId)!.state = 'corrected';
    return 'applied';
  }
}

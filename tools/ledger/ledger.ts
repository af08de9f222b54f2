// The one ledger interface the relay and the CLI use, whatever chain is behind it
// (embedded EDR with a replay journal, or any JSON-RPC endpoint). Amounts are integer minor
// units (bigint); contract ids are bytes16 hex (pile id ‖ journal sequence, see ids.ts).
import type { Address, Hex } from 'viem';

/** On-chain state of one contract id (the 4-bit record in TapchargeLedger.sol). */
export type ContractState = 'none' | 'open-capped' | 'open-full' | 'charged-at-cap' | 'settled' | 'corrected';

export type OpenEntry = { contractId: Hex; user: Address; capMinor: bigint; capped: boolean; contractHash: Hex };
export type SettleEntry = { contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint; receiptHash: Hex };
export type ChargeCapEntry = { contractId: Hex; user: Address; capMinor: bigint };

/** What one entry of a write did. `duplicate` = already done earlier: a harmless retry. */
export type EntryOutcome =
  | { contractId: Hex; status: 'applied' }
  | { contractId: Hex; status: 'duplicate' }
  | { contractId: Hex; status: 'rejected'; reason: string };

/** A write is reported only after its receipt: mined, successful, with its gas. */
export type WriteResult = { txHash: Hex; blockNumber: bigint; gasUsed: bigint };
export type RefWriteResult = WriteResult & { status: 'applied' | 'duplicate' };
export type BatchResult = WriteResult & { outcomes: EntryOutcome[] };

export type LedgerEvent = { blockNumber: bigint; txHash: Hex; logIndex: number } & (
  | { kind: 'issued'; account: Address; amountMinor: bigint; ref: Hex }
  | { kind: 'redeemed'; account: Address; amountMinor: bigint; ref: Hex }
  | { kind: 'transfer'; from: Address; to: Address; amountMinor: bigint }
  | { kind: 'opened'; contractId: Hex; user: Address; capMinor: bigint; capped: boolean; contractHash: Hex }
  | { kind: 'settled'; contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint; receiptHash: Hex }
  | { kind: 'charged-at-cap'; contractId: Hex; user: Address; capMinor: bigint }
  | { kind: 'corrected'; contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint; receiptHash: Hex }
  | { kind: 'skipped'; contractId: Hex; op: string; reason: string }
  | { kind: 'ref-duplicate'; ref: Hex }
  | { kind: 'operator-set'; account: Address; enabled: boolean }
  | { kind: 'paused-set'; paused: boolean }
);

/** `account`: only the events naming it (any address argument of the event). */
export type HistoryFilter = { account?: Address };

export type LedgerTotals = { issuedMinor: bigint; redeemedMinor: bigint; escrowMinor: bigint; supplyMinor: bigint };

export interface Ledger {
  /** The TapchargeLedger contract. */
  readonly address: Address;
  /** The account signing every write (operator role; also admin when it deployed the contract). */
  readonly operator: Address;
  /** Where settled amounts are paid. */
  readonly revenueAccount: Address;

  /** Top-up. `ref` (bytes32, non-zero) makes a retry a no-op. */
  issue(to: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult>;
  /** Cash-out from the account's spendable balance. */
  redeem(from: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult>;
  /** Circulation between users, on a request the relay verified. */
  transfer(from: Address, to: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult>;

  open(entry: OpenEntry): Promise<BatchResult>;
  settle(entry: SettleEntry): Promise<BatchResult>;
  chargeCap(entry: ChargeCapEntry): Promise<BatchResult>;
  correct(entry: SettleEntry): Promise<BatchResult>;
  openBatch(entries: OpenEntry[]): Promise<BatchResult>;
  settleBatch(entries: SettleEntry[]): Promise<BatchResult>;

  setPaused(paused: boolean): Promise<WriteResult>;
  setOperator(account: Address, enabled: boolean): Promise<WriteResult>;

  balanceOf(account: Address): Promise<bigint>;
  escrowOf(account: Address): Promise<bigint>;
  totals(): Promise<LedgerTotals>;
  record(contractId: Hex): Promise<ContractState>;
  /** Every event of the ledger contract (or those naming `filter.account`), oldest first, from an index. */
  history(filter?: HistoryFilter): Promise<LedgerEvent[]>;
  /** State root of the latest block (undefined when the chain does not expose one). */
  stateRoot(): Promise<Hex | undefined>;
  close(): Promise<void>;
}

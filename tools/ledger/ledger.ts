// The one ledger interface the relay and the CLI use, whatever chain is behind it
// (embedded EDR with a replay journal, or any JSON-RPC endpoint). Amounts are integer minor
// units (bigint); contract ids are bytes16 hex (pile id ‖ journal sequence, see ids.ts).
import type { Address, Hex } from 'viem';

/** On-chain state of one contract id (the 4-bit record in TapchargeLedger.sol). */
export type ContractState = 'none' | 'open-capped' | 'open-full' | 'charged-at-cap' | 'settled' | 'corrected';

/**
 * One entry of `applyBatch`. `recordHash` is the SHA-256 of the signed record the entry rests on
 * (the COSE contract for open and charge-cap, the COSE receipt for settle); the chain keeps only
 * the batch's records digest, SHA-256(recordHash_1 ‖ … ‖ recordHash_n) in entry order.
 * settle: from none (contract and receipt both known: the amount moves, nothing is escrowed), from
 * open (release the cap, pay the amount) or from charged-at-cap (refund cap − amount: a correction).
 */
export type BatchEntry =
  | { kind: 'open'; contractId: Hex; user: Address; capMinor: bigint; capped: boolean; recordHash: Hex }
  | { kind: 'settle'; contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint; recordHash: Hex }
  | { kind: 'charge-cap'; contractId: Hex; user: Address; capMinor: bigint; recordHash: Hex };

/** What one entry of a write did. `duplicate` = already done earlier: a harmless retry. `from`: the state it found. */
export type EntryOutcome =
  | { contractId: Hex; status: 'applied'; from: ContractState }
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
  /** One applyBatch: its records digest and entry count; its entries' events follow it, `entry` 0..entries−1. */
  | { kind: 'batch'; recordsDigest: Hex; entries: number }
  | { kind: 'opened'; entry: number; contractId: Hex; user: Address; capMinor: bigint; capped: boolean }
  /** `from` none: one step (contract and receipt settled together); open-capped / open-full: the escrowed cap released. */
  | { kind: 'settled'; entry: number; from: 'none' | 'open-capped' | 'open-full'; contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint }
  | { kind: 'charged-at-cap'; entry: number; contractId: Hex; user: Address; capMinor: bigint }
  | { kind: 'corrected'; entry: number; contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint }
  | { kind: 'skipped'; entry: number; contractId: Hex; user: Address; op: 'open' | 'settle' | 'charge-cap'; reason: string }
  | { kind: 'ref-duplicate'; ref: Hex }
  | { kind: 'operator-set'; account: Address; enabled: boolean }
  | { kind: 'paused-set'; paused: boolean }
);

/** `account`: only the events naming it (any address argument of the event; of a batch, its 'batch' event and the entries of that user). */
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

  /**
   * Every contract write: entries apply in order, each account's movements netted into one write.
   * A malformed batch is refused whole (LedgerError 'reverted'); an entry that cannot apply is
   * skipped with its reason and the rest apply. At most 255 users and 255 piles per batch.
   */
  applyBatch(entries: BatchEntry[]): Promise<BatchResult>;

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

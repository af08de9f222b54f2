// Builds state snapshots of the embedded chain without knowing any contract's storage layout.
// The accounts and storage slots a transaction touched come from EDR's `prestateTracer` in diff
// mode (debug_traceTransaction): every account and slot in its pre or post state. At capture
// the touched ("dirty") ones are re-read at the snapshot's block (balance, nonce, code, slot
// values); the rest carry over from the previous capture. Costs are in README "Adapters".
import type { Hex } from 'viem';
import type { Eip1193 } from './edr-provider.ts';
import type { JournalPosition } from './journal.ts';
import type { ChainSnapshot, SnapshotAccount } from './snapshot-format.ts';

type Identity = { chainId: number; genesisTimeS: number };
type Block = { number: Hex; timestamp: Hex; stateRoot: Hex; gasLimit: Hex; baseFeePerGas?: Hex };
type PrestateSide = Record<string, { storage?: Record<string, string> }>;

const slotKey = (slot: string): Hex => `0x${slot.slice(2).toLowerCase().padStart(64, '0')}`;
const isEmpty = (a: SnapshotAccount): boolean => a.balance === 0n && a.nonce === 0n && a.code === '0x' && a.storage.size === 0;

export class SnapshotCapture {
  readonly #provider: Eip1193;
  readonly #identity: Identity;
  readonly #accounts = new Map<Hex, SnapshotAccount>();
  /** Touched since the last capture: address → touched slots. */
  #dirty = new Map<Hex, Set<Hex>>();
  #untraced: Hex[] = [];
  #untracedGas = 0n;

  /** `known`: the state at the chain's start (a snapshot's accounts); `touched`: accounts to read at the first capture (a fresh genesis). */
  constructor(provider: Eip1193, identity: Identity, known: readonly SnapshotAccount[], touched: readonly Hex[]) {
    this.#provider = provider;
    this.#identity = identity;
    for (const a of known) this.#accounts.set(a.address, { ...a, storage: new Map(a.storage) });
    for (const address of touched) this.#dirty.set(address.toLowerCase() as Hex, new Set());
  }

  /** Transactions mined since the last capture (each traced at the next capture). */
  get pendingTransactions(): number {
    return this.#untraced.length;
  }

  /** Their gas: replaying them at start costs about as much as running them did. */
  get pendingGas(): bigint {
    return this.#untracedGas;
  }

  noteTransaction(hash: Hex, gasUsed: bigint): void {
    this.#untraced.push(hash);
    this.#untracedGas += gasUsed;
  }

  async #request<T>(method: string, params: unknown[]): Promise<T> {
    return (await this.#provider.request({ method, params })) as T;
  }

  async #trace(hash: Hex): Promise<void> {
    const diff = await this.#request<{ pre: PrestateSide; post: PrestateSide }>('debug_traceTransaction', [hash, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
    for (const side of [diff.pre, diff.post]) {
      for (const [address, account] of Object.entries(side)) {
        const key = address.toLowerCase() as Hex;
        const slots = this.#dirty.get(key) ?? new Set<Hex>();
        this.#dirty.set(key, slots);
        for (const slot of Object.keys(account.storage ?? {})) slots.add(slotKey(slot));
      }
    }
  }

  async #read(address: Hex, slots: Set<Hex>, block: Hex): Promise<SnapshotAccount> {
    const account = this.#accounts.get(address) ?? { address, balance: 0n, nonce: 0n, code: '0x' as Hex, storage: new Map<Hex, bigint>() };
    account.balance = BigInt(await this.#request<Hex>('eth_getBalance', [address, block]));
    account.nonce = BigInt(await this.#request<Hex>('eth_getTransactionCount', [address, block]));
    account.code = ((await this.#request<Hex>('eth_getCode', [address, block])) || '0x').toLowerCase() as Hex;
    for (const slot of slots) {
      const value = BigInt(await this.#request<Hex>('eth_getStorageAt', [address, slot, block]));
      if (value === 0n) account.storage.delete(slot);
      else account.storage.set(slot, value);
    }
    return account;
  }

  /** The state at the latest block, standing for the journal up to `journal`. */
  async capture(journal: JournalPosition): Promise<ChainSnapshot> {
    for (const hash of this.#untraced) await this.#trace(hash);
    const block = await this.#request<Block>('eth_getBlockByNumber', ['latest', false]);
    const next = await this.#request<Block>('eth_getBlockByNumber', ['pending', false]);
    for (const [address, slots] of this.#dirty) {
      const account = await this.#read(address, slots, block.number);
      if (isEmpty(account)) this.#accounts.delete(address); // EIP-161: an empty account is not in the state
      else this.#accounts.set(address, account);
    }
    this.#untraced = [];
    this.#untracedGas = 0n;
    this.#dirty = new Map();
    return {
      ...this.#identity,
      blockNumber: BigInt(block.number),
      blockTimestampS: BigInt(block.timestamp),
      nextBaseFeePerGas: BigInt(next.baseFeePerGas ?? '0x0'),
      blockGasLimit: BigInt(next.gasLimit),
      stateRoot: block.stateRoot,
      journal,
      accounts: [...this.#accounts.values()].map((a) => ({ ...a, storage: new Map(a.storage) })),
    };
  }
}

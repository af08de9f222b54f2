// The Ledger implementation shared by both adapters: encodes calls to TapchargeLedger, sends them
// through a TxSender (which waits for each receipt) and reads state and events back.
import { encodeDeployData, encodeFunctionData, type Address, type Hex, type PrivateKeyAccount, type PublicClient } from 'viem';
import { loadLedgerArtifact } from './artifact.ts';
import { encodeBatch } from './batch-encoding.ts';
import { decodeLedgerLogs, outcomesOf } from './events.ts';
import type { LedgerLogs } from './history-accounts.ts';
import type { BatchEntry, BatchResult, ContractState, HistoryFilter, Ledger, LedgerEvent, LedgerTotals, RefWriteResult, WriteResult } from './ledger.ts';
import { TxSender, type Deliver, type SenderOptions } from './tx-sender.ts';
import { LedgerError } from './errors.ts';

const states: readonly ContractState[] = ['none', 'open-capped', 'open-full', 'charged-at-cap', 'settled', 'corrected'];

/** Logs of `contract`, oldest first, with their Batch logs' transactions, from an index (the embedded history index or the node's). */
export type LogSource = (contract: Address, filter: HistoryFilter) => Promise<LedgerLogs>;

export type ClientParts = {
  client: PublicClient;
  account: PrivateKeyAccount;
  deliver: Deliver;
  sender: SenderOptions;
  logs: LogSource;
  onClose?: () => Promise<void>;
};

/** Deploys TapchargeLedger with `account` as admin and operator; revenue goes to `revenue` (default: the operator). */
export async function deployLedgerContract(parts: ClientParts, revenue?: Address): Promise<Address> {
  const { abi, bytecode } = loadLedgerArtifact();
  const sender = new TxSender(parts.client, parts.account, abi, parts.deliver, parts.sender);
  const data = encodeDeployData({ abi, bytecode, args: [parts.account.address, revenue ?? parts.account.address] });
  const receipt = await sender.send(undefined, data);
  if (!receipt.contractAddress) throw new LedgerError('not-deployed', `deployment ${receipt.transactionHash} created no contract`);
  return receipt.contractAddress;
}

export class LedgerClient implements Ledger {
  readonly address: Address;
  readonly operator: Address;
  readonly revenueAccount: Address;
  readonly #client: PublicClient;
  readonly #sender: TxSender;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #logs: LogSource;
  readonly #abi = loadLedgerArtifact().abi;

  private constructor(parts: ClientParts, address: Address, revenueAccount: Address) {
    this.address = address;
    this.operator = parts.account.address;
    this.revenueAccount = revenueAccount;
    this.#client = parts.client;
    this.#onClose = parts.onClose;
    this.#logs = parts.logs;
    this.#sender = new TxSender(parts.client, parts.account, this.#abi, parts.deliver, parts.sender);
  }

  /** Attaches to a deployed TapchargeLedger; fails with one line if there is none at `address`. */
  static async attach(parts: ClientParts, address: Address): Promise<LedgerClient> {
    const code = await parts.client.getCode({ address });
    if (!code || code === '0x') throw new LedgerError('not-deployed', `no ledger contract at ${address}`);
    const { abi } = loadLedgerArtifact();
    const revenue = (await parts.client.readContract({ abi, address, functionName: 'revenueAccount' })) as Address;
    return new LedgerClient(parts, address, revenue);
  }

  async #write(functionName: string, args: readonly unknown[]): Promise<{ result: WriteResult; events: LedgerEvent[] }> {
    const data = encodeFunctionData({ abi: this.#abi, functionName, args });
    const receipt = await this.#sender.send(this.address, data);
    const logs = receipt.logs.filter((l) => l.address.toLowerCase() === this.address.toLowerCase());
    // This write's Batch log takes its batch from the input sent, not from a fetch of the transaction.
    const sent = { to: this.address, input: data };
    return {
      result: { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed },
      events: decodeLedgerLogs(this.#abi, logs, (txHash) => (txHash.toLowerCase() === receipt.transactionHash.toLowerCase() ? sent : undefined)),
    };
  }

  async #refWrite(functionName: string, args: readonly unknown[]): Promise<RefWriteResult> {
    const { result, events } = await this.#write(functionName, args);
    return { ...result, status: events.some((e) => e.kind === 'ref-duplicate') ? 'duplicate' : 'applied' };
  }


  issue(to: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult> {
    return this.#refWrite('issue', [to, amountMinor, ref]);
  }

  redeem(from: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult> {
    return this.#refWrite('redeem', [from, amountMinor, ref]);
  }

  transfer(from: Address, to: Address, amountMinor: bigint, ref: Hex): Promise<RefWriteResult> {
    return this.#refWrite('operatorTransfer', [from, to, amountMinor, ref]);
  }

  async applyBatch(entries: BatchEntry[]): Promise<BatchResult> {
    const { result, events } = await this.#write('applyBatch', [encodeBatch(entries)]);
    return { ...result, outcomes: outcomesOf(events, entries.map((e) => e.contractId)) };
  }

  async setPaused(paused: boolean): Promise<WriteResult> {
    return (await this.#write('setPaused', [paused])).result;
  }

  async setOperator(account: Address, enabled: boolean): Promise<WriteResult> {
    return (await this.#write('setOperator', [account, enabled])).result;
  }

  #read(functionName: string, args: readonly unknown[] = []): Promise<unknown> {
    return this.#client.readContract({ abi: this.#abi, address: this.address, functionName, args });
  }

  async balanceOf(account: Address): Promise<bigint> {
    return (await this.#read('balanceOf', [account])) as bigint;
  }

  async escrowOf(account: Address): Promise<bigint> {
    return (await this.#read('escrowOf', [account])) as bigint;
  }

  async totals(): Promise<LedgerTotals> {
    const [issuedMinor, redeemedMinor, escrowMinor, supplyMinor] = (await Promise.all([
      this.#read('issuedMinor'), this.#read('redeemedMinor'), this.#read('totalEscrowMinor'), this.#read('totalSupply'),
    ])) as bigint[];
    return { issuedMinor: issuedMinor!, redeemedMinor: redeemedMinor!, escrowMinor: escrowMinor!, supplyMinor: supplyMinor! };
  }

  async isPaused(): Promise<boolean> {
    return (await this.#read('paused')) as boolean;
  }

  async record(contractId: Hex): Promise<ContractState> {
    const state = Number(await this.#read('stateOf', [contractId]));
    return states[state] ?? 'none';
  }

  async history(filter: HistoryFilter = {}): Promise<LedgerEvent[]> {
    const { logs, transactions } = await this.#logs(this.address, filter);
    const events = decodeLedgerLogs(this.#abi, logs, (txHash) => transactions.get(txHash.toLowerCase()));
    const account = filter.account?.toLowerCase();
    return account ? events.filter((e) => !('entry' in e) || e.user.toLowerCase() === account) : events;
  }

  async stateRoot(): Promise<Hex | undefined> {
    const block = await this.#client.getBlock({ blockTag: 'latest' });
    return block.stateRoot ?? undefined;
  }

  async close(): Promise<void> {
    await this.#onClose?.();
  }
}

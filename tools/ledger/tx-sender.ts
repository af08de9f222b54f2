// Signs and delivers the operator's transactions one at a time: estimate (a revert becomes a
// LedgerError before anything is sent), sign with the account's next nonce as the chain counts it
// (read for every transaction: relay instances taking turns with one operator key each send with
// the nonce the other left), deliver the raw bytes, wait for the receipt. A dropped or failed
// delivery re-sends the SAME signed bytes, so a retry can never apply twice (one nonce, one
// transaction).
import { BaseError, decodeErrorResult, keccak256, type Abi, type Address, type Hex, type PrivateKeyAccount, type PublicClient, type TransactionReceipt } from 'viem';
import { LedgerError } from './errors.ts';

/** Delivers one signed raw transaction to the chain (the embedded adapter journals it first). */
export type Deliver = (raw: Hex) => Promise<void>;

export type SenderOptions = { pollMs: number; receiptTimeoutMs: number; attempts: number };

function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  let found: Hex | undefined;
  error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(data)) found = data as Hex;
    else if (data && typeof data === 'object' && typeof (data as { data?: unknown }).data === 'string') found = (data as { data: Hex }).data;
    return false;
  });
  return found;
}

/**
 * A failed gas estimate as a LedgerError: a revert of TapchargeLedger (custom errors decoded with
 * its ABI) is final, except the caller's role or a pause (may pass once an admin acts); no revert
 * data means the node did not answer the question.
 */
export function explainRevert(abi: Abi, error: unknown): LedgerError {
  const data = revertData(error);
  if (data) {
    try {
      const { errorName, args = [] } = decodeErrorResult({ abi, data });
      const a = args as readonly unknown[];
      switch (errorName) {
        case 'BadBatch': return new LedgerError('reverted', `batch refused: malformed at byte ${a[0]}`);
        case 'Unauthorized': return new LedgerError('not-permitted', `unauthorized caller ${a[0]}`);
        case 'WritesPaused': return new LedgerError('not-permitted', 'ledger is paused: writes rejected');
        case 'InsufficientBalance': return new LedgerError('reverted', `insufficient balance: ${a[0]} has ${a[1]}, needs ${a[2]}`);
        case 'InsufficientAllowance': return new LedgerError('reverted', `insufficient allowance: ${a[2]} < ${a[3]}`);
        case 'ZeroAddress': return new LedgerError('reverted', 'zero address not allowed');
        case 'ZeroAmount': return new LedgerError('reverted', 'amount must be greater than 0');
        case 'ZeroRef': return new LedgerError('reverted', 'ref must not be zero');
        default: return new LedgerError('reverted', `reverted: ${errorName}`);
      }
    } catch {
      return new LedgerError('reverted', `reverted with data ${data.slice(0, 74)}`);
    }
  }
  return new LedgerError('not-mined', error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error));
}

export class TxSender {
  readonly #client: PublicClient;
  readonly #account: PrivateKeyAccount;
  readonly #deliver: Deliver;
  readonly #abi: Abi;
  readonly #options: SenderOptions;
  #chainId: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(client: PublicClient, account: PrivateKeyAccount, abi: Abi, deliver: Deliver, options: SenderOptions) {
    this.#client = client;
    this.#account = account;
    this.#abi = abi;
    this.#deliver = deliver;
    this.#options = options;
  }

  /** Sends `data` to `to` (or deploys when `to` is undefined); resolves with a successful receipt. */
  send(to: Address | undefined, data: Hex): Promise<TransactionReceipt> {
    const run = this.#queue.then(() => this.#send(to, data));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(to: Address | undefined, data: Hex): Promise<TransactionReceipt> {
    const client = this.#client;
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account: this.#account, ...(to ? { to } : {}), data });
    } catch (error) {
      throw explainRevert(this.#abi, error);
    }
    const [nonce, block] = await Promise.all([
      client.getTransactionCount({ address: this.#account.address, blockTag: 'pending' }),
      client.getBlock({ blockTag: 'latest' }),
    ]);
    const chainId = (this.#chainId ??= await client.getChainId());
    const common = { chainId, nonce, gas: gas + gas / 4n + 10_000n, data, ...(to ? { to } : {}) };
    const raw = block.baseFeePerGas != null
      ? await this.#account.signTransaction({ ...common, type: 'eip1559', maxPriorityFeePerGas: 1_000_000n, maxFeePerGas: block.baseFeePerGas * 2n + 1_000_000n })
      : await this.#account.signTransaction({ ...common, type: 'legacy', gasPrice: await client.getGasPrice() });
    const hash = keccak256(raw);
    const receipt = await this.#deliverAndWait(raw, hash);
    if (receipt.status !== 'success') throw new LedgerError('reverted', `transaction ${hash} reverted on chain`);
    return receipt;
  }

  async #deliverAndWait(raw: Hex, hash: Hex): Promise<TransactionReceipt> {
    const { attempts, pollMs, receiptTimeoutMs } = this.#options;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.#deliver(raw);
      } catch (error) {
        lastError = error; // e.g. "already known", or a network error: the receipt decides
      }
      const deadline = Date.now() + receiptTimeoutMs;
      for (;;) {
        const receipt = await this.#client.getTransactionReceipt({ hash }).catch(() => undefined);
        if (receipt) return receipt;
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
    const why = lastError instanceof Error ? `: ${lastError.message.split('\n')[0]}` : '';
    throw new LedgerError('not-mined', `transaction ${hash} not mined after ${attempts} attempts${why}`);
  }
}

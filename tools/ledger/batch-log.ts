// The batch behind a Batch log. The event carries keccak256 of the batch, not the batch: the batch
// is the input of the transaction that emitted the log, which must be a direct call of the ledger
// contract's applyBatch. The one rule every reader of a Batch log applies (history, a write's
// outcomes, the embedded history index, the RPC adapter's account filter).
import { decodeFunctionData, getAbiItem, keccak256, toEventSelector, toFunctionSelector, type Abi, type AbiEvent, type AbiFunction, type Address, type Hex } from 'viem';
import { LedgerError } from './errors.ts';

/** What a reader holds of a transaction: the account it calls (null: a deployment) and its input. */
export type LogTransaction = { to: Address | null; input: Hex };

/** The transaction of each tx hash (lower-case) a reader was given, for the Batch logs among its logs. */
export type LogTransactions = ReadonlyMap<string, LogTransaction>;

type BatchLog = { address: Address; blockNumber: bigint | null; logIndex: number | null; transactionHash: Hex | null };

function batchTopic(abi: Abi): Hex {
  return toEventSelector(getAbiItem({ abi, name: 'Batch' }) as AbiEvent);
}

function applyBatchSelector(abi: Abi): Hex {
  return toFunctionSelector(getAbiItem({ abi, name: 'applyBatch' }) as AbiFunction);
}

/** Whether `log` is a Batch log of this ABI (its first topic). */
export function isBatchLog(abi: Abi, log: { topics: readonly Hex[] }): boolean {
  return log.topics[0]?.toLowerCase() === batchTopic(abi).toLowerCase();
}

/**
 * The batch a Batch log with `batchHash` stands for, taken from `tx`, its transaction. Throws a
 * LedgerError 'bad-history' naming the log and its transaction when the transaction is missing,
 * is not a direct applyBatch call of the contract that emitted the log, or carries another batch.
 */
export function batchOfLog(abi: Abi, log: BatchLog, batchHash: Hex, tx: LogTransaction | undefined): Hex {
  const fail = (why: string) => new LedgerError('bad-history', `Batch log ${log.logIndex} in block ${log.blockNumber} (tx ${log.transactionHash}): ${why}`);
  if (!tx) throw fail('its transaction is not available');
  if (tx.to?.toLowerCase() !== log.address.toLowerCase()) throw fail(`the transaction calls ${tx.to ?? 'no account (a deployment)'}, not the ledger ${log.address}: not a direct applyBatch call`);
  const selector = tx.input.slice(0, 10).toLowerCase();
  if (selector !== applyBatchSelector(abi)) throw fail(`the transaction input (selector ${selector}) is not an applyBatch call`);
  let batch: Hex;
  try {
    batch = decodeFunctionData({ abi, data: tx.input }).args![0] as Hex;
  } catch {
    throw fail('the transaction input does not decode as applyBatch(bytes)');
  }
  const hash = keccak256(batch);
  if (hash.toLowerCase() !== batchHash.toLowerCase()) throw fail(`the transaction's batch hashes to ${hash}, the event commits to ${batchHash}`);
  return batch;
}

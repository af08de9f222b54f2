// Which accounts a ledger log involves, read from the contract's ABI rather than its event list:
// every `address`-typed argument of the event, and the users of a Batch log's batch (taken from
// its transaction, batch-log.ts). The embedded history index stores them per log;
// the RPC adapter turns them into node-side log filters (indexed arguments become topic filters,
// events whose address argument is not indexed are fetched by event and filtered here).
import { decodeEventLog, type Abi, type AbiEvent, type Address, type Hex, type Log, type PublicClient } from 'viem';
import { decodeBatch } from './batch-encoding.ts';
import { batchOfLog, isBatchLog, type LogTransaction, type LogTransactions } from './batch-log.ts';

export type HistoryLog = Log<bigint, number, boolean>;

/** Logs, oldest first, with the transactions of the Batch logs among them. */
export type LedgerLogs = { logs: HistoryLog[]; transactions: LogTransactions };

/** The lower-case accounts a log names; [] for a log the ABI does not describe. `tx`: a Batch log's transaction. */
export function logAccounts(abi: Abi, log: HistoryLog, tx: LogTransaction | undefined): Address[] {
  let decoded;
  try {
    decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
  } catch {
    return [];
  }
  const event = abi.find((e): e is AbiEvent => e.type === 'event' && e.name === decoded.eventName);
  const args = (decoded.args ?? {}) as Record<string, unknown>;
  const accounts = (event?.inputs ?? []).flatMap((input) => (input.type === 'address' && input.name ? [String(args[input.name]).toLowerCase() as Address] : []));
  if (decoded.eventName === 'Batch') {
    accounts.push(...decodeBatch(batchOfLog(abi, log, args.batchHash as Hex, tx)).users.map((u) => u.toLowerCase() as Address));
  }
  return [...new Set(accounts)];
}

/** Transactions fetched at once: enough to hide a remote node's latency, few enough not to flood it. */
const concurrentFetches = 32;

const byPosition = (a: HistoryLog, b: HistoryLog): number =>
  a.blockNumber! === b.blockNumber! ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1;

/** Every log of `contract` naming `account` (all logs without one), from the node's log index; each Batch log's transaction fetched once. */
export async function nodeHistoryLogs(client: PublicClient, abi: Abi, contract: Address, account?: Address): Promise<LedgerLogs> {
  const fetched = new Map<string, Promise<LogTransaction | undefined>>();
  const transactionOf = (log: HistoryLog): Promise<LogTransaction | undefined> => {
    if (!log.transactionHash || !isBatchLog(abi, log)) return Promise.resolve(undefined);
    const hash = log.transactionHash.toLowerCase();
    if (!fetched.has(hash)) {
      fetched.set(hash, client.request({ method: 'eth_getTransactionByHash', params: [log.transactionHash] })
        .then((tx) => (tx ? { to: tx.to, input: tx.input } : undefined)));
    }
    return fetched.get(hash)!;
  };
  const transactionsOf = async (logs: HistoryLog[]): Promise<(LogTransaction | undefined)[]> => {
    const txs: (LogTransaction | undefined)[] = [];
    for (let at = 0; at < logs.length; at += concurrentFetches) txs.push(...await Promise.all(logs.slice(at, at + concurrentFetches).map(transactionOf)));
    return txs;
  };
  const withTransactions = async (logs: HistoryLog[]): Promise<LedgerLogs> => {
    const txs = await transactionsOf(logs);
    const transactions = new Map<string, LogTransaction>();
    logs.forEach((log, i) => { if (txs[i]) transactions.set(log.transactionHash!.toLowerCase(), txs[i]!); });
    return { logs, transactions };
  };
  if (!account) return withTransactions(await client.getLogs({ address: contract, fromBlock: 0n, toBlock: 'latest' }));
  const wanted = account.toLowerCase();
  const found = new Map<string, HistoryLog>();
  const keep = async (logs: HistoryLog[]) => {
    const txs = await transactionsOf(logs);
    logs.forEach((log, i) => { if (logAccounts(abi, log, txs[i]).includes(wanted as Address)) found.set(`${log.blockNumber}:${log.logIndex}`, log); });
  };
  for (const event of abi.filter((e): e is AbiEvent => e.type === 'event')) {
    const addresses = event.inputs.filter((i) => i.type === 'address');
    if (addresses.length === 0 && event.name !== 'Batch') continue;
    if (addresses.length > 0 && addresses.every((i) => i.indexed && i.name)) {
      for (const input of addresses) {
        // `args` is typed per literal event; this event comes from the ABI at run time.
        await keep(await client.getLogs({ address: contract, event, args: { [input.name!]: account }, fromBlock: 0n, toBlock: 'latest' } as never));
      }
    } else {
      await keep(await client.getLogs({ address: contract, event, fromBlock: 0n, toBlock: 'latest' }));
    }
  }
  return withTransactions([...found.values()].sort(byPosition));
}

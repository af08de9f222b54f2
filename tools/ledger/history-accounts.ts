// Which accounts a ledger log involves, read from the contract's ABI rather than its event list:
// every `address`-typed argument of the event, and the users of a Batch event's batch. The
// embedded history index stores them per log;
// the RPC adapter turns them into node-side log filters (indexed arguments become topic filters,
// events whose address argument is not indexed are fetched by event and filtered here).
import { decodeEventLog, type Abi, type AbiEvent, type Address, type Hex, type Log, type PublicClient } from 'viem';
import { decodeBatch } from './batch-encoding.ts';

export type HistoryLog = Log<bigint, number, boolean>;

/** The lower-case accounts a log names; [] for a log the ABI does not describe. */
export function logAccounts(abi: Abi, log: Pick<Log, 'topics' | 'data'>): Address[] {
  let decoded;
  try {
    decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
  } catch {
    return [];
  }
  const event = abi.find((e): e is AbiEvent => e.type === 'event' && e.name === decoded.eventName);
  const args = (decoded.args ?? {}) as Record<string, unknown>;
  const accounts = (event?.inputs ?? []).flatMap((input) => (input.type === 'address' && input.name ? [String(args[input.name]).toLowerCase() as Address] : []));
  if (decoded.eventName === 'Batch') accounts.push(...decodeBatch(args.batch as Hex).users.map((u) => u.toLowerCase() as Address));
  return [...new Set(accounts)];
}

const byPosition = (a: HistoryLog, b: HistoryLog): number =>
  a.blockNumber! === b.blockNumber! ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1;

/** Every log of `contract` naming `account` (all logs without one), from the node's log index. */
export async function nodeHistoryLogs(client: PublicClient, abi: Abi, contract: Address, account?: Address): Promise<HistoryLog[]> {
  if (!account) return client.getLogs({ address: contract, fromBlock: 0n, toBlock: 'latest' });
  const wanted = account.toLowerCase();
  const found = new Map<string, HistoryLog>();
  const keep = (logs: HistoryLog[]) => {
    for (const log of logs) if (logAccounts(abi, log).includes(wanted as Address)) found.set(`${log.blockNumber}:${log.logIndex}`, log);
  };
  for (const event of abi.filter((e): e is AbiEvent => e.type === 'event')) {
    const addresses = event.inputs.filter((i) => i.type === 'address');
    if (addresses.length === 0 && event.name !== 'Batch') continue;
    if (addresses.length > 0 && addresses.every((i) => i.indexed && i.name)) {
      for (const input of addresses) {
        // `args` is typed per literal event; this event comes from the ABI at run time.
        keep(await client.getLogs({ address: contract, event, args: { [input.name!]: account }, fromBlock: 0n, toBlock: 'latest' } as never));
      }
    } else {
      keep(await client.getLogs({ address: contract, event, fromBlock: 0n, toBlock: 'latest' }));
    }
  }
  return [...found.values()].sort(byPosition);
}

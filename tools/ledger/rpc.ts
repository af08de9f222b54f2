// RPC ledger: TapchargeLedger on any EVM JSON-RPC endpoint (Besu QBFT, FISCO BCOS, Geth; anvil
// in tests), with the operator's private key signing locally. Delivery re-sends the same signed
// bytes when a receipt does not show up, so a dropped transaction is retried without doubling.
// History comes from the node's own log index (eth_getLogs with address and topic filters).
import { createPublicClient, http, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadLedgerArtifact } from './artifact.ts';
import { LedgerClient, deployLedgerContract, type ClientParts } from './client.ts';
import { nodeHistoryLogs } from './history-accounts.ts';
import { LedgerError } from './errors.ts';

export type RpcOptions = { url: string; privateKey: Hex; receiptTimeoutMs?: number };

/** Client, signer and delivery for an endpoint (exported so tests can wrap the delivery). */
export function rpcParts(options: RpcOptions): ClientParts {
  if (!/^0x[0-9a-fA-F]{64}$/.test(options.privateKey)) throw new LedgerError('bad-config', 'bad private key: expected 0x followed by 64 hex digits');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new LedgerError('bad-config', `bad RPC URL "${options.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LedgerError('bad-config', `bad RPC URL "${options.url}": expected http(s)://`);
  const client = createPublicClient({ transport: http(options.url, { retryCount: 2 }), cacheTime: 0, pollingInterval: 50 }) as PublicClient;
  return {
    client,
    account: privateKeyToAccount(options.privateKey),
    deliver: async (raw) => { await client.request({ method: 'eth_sendRawTransaction', params: [raw] }); },
    sender: { pollMs: 50, receiptTimeoutMs: options.receiptTimeoutMs ?? 60_000, attempts: 3 },
    logs: (contract, filter) => nodeHistoryLogs(client, loadLedgerArtifact().abi, contract, filter.account),
  };
}

export async function deployRpcLedger(options: RpcOptions & { revenue?: Address }): Promise<LedgerClient> {
  const parts = rpcParts(options);
  const address = await deployLedgerContract(parts, options.revenue);
  return LedgerClient.attach(parts, address);
}

export async function connectRpcLedger(options: RpcOptions & { address: Address }): Promise<LedgerClient> {
  return LedgerClient.attach(rpcParts(options), options.address);
}

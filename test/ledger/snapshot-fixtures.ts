// Shared by the snapshot and history tests: what "the same chain" means (state root, latest block,
// balances, escrows, totals, full and per-account history) and a full-replay reference — a copy
// of a data folder with only its key, chain.json and journal, so the whole journal is replayed
// and the history index rebuilt from block 1.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex, PublicClient } from 'viem';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import type { Ledger, LedgerEvent } from '../../tools/ledger/ledger.ts';
import { crashUsers } from './crash-ops.ts';

export type ChainView = {
  root: Hex | undefined;
  blockNumber: bigint;
  blockTimestampS: bigint;
  balances: bigint[];
  escrows: bigint[];
  totals: unknown;
  history: LedgerEvent[];
  userHistories: LedgerEvent[][];
};

export async function viewOf(l: Ledger & { chain: { parts: { client: PublicClient } } }): Promise<ChainView> {
  const accounts = [...crashUsers, l.revenueAccount];
  return {
    root: await l.stateRoot(),
    blockNumber: await l.chain.parts.client.getBlockNumber(),
    blockTimestampS: (await l.chain.parts.client.getBlock()).timestamp,
    balances: await Promise.all(accounts.map((u) => l.balanceOf(u))),
    escrows: await Promise.all(accounts.map((u) => l.escrowOf(u))),
    totals: await l.totals(),
    history: await l.history(),
    userHistories: await Promise.all(crashUsers.map((account) => l.history({ account }))),
  };
}

/** The state and history of `dataDir`'s journal replayed in full, in a copy. */
export async function fullReplayView(dataDir: string): Promise<ChainView & { replayed: number }> {
  const copy = mkdtempSync(join(tmpdir(), 'tapcharge-full-replay-'));
  mkdirSync(join(copy, 'ledger'));
  for (const file of ['operator.key', 'chain.json', 'journal.bin']) copyFileSync(join(dataDir, 'ledger', file), join(copy, 'ledger', file));
  const l = await openEmbeddedLedger(copy);
  try {
    if (l.chain.snapshotPath !== undefined) throw new Error('the full-replay copy started from a snapshot');
    return { ...(await viewOf(l)), replayed: l.chain.replayedTransactions };
  } finally {
    await l.close();
    rmSync(copy, { recursive: true, force: true });
  }
}

/** True when `e` names `account` in any field (the CLI's old client-side filter). */
export function names(e: LedgerEvent, account: string): boolean {
  return Object.values(e).some((v) => typeof v === 'string' && v.toLowerCase() === account.toLowerCase());
}

/**
 * What history({ account }) must return out of the full history: the events naming the account
 * and, for a batch with an entry naming it, the batch event (its records digest and entry count).
 */
export function historyNaming(all: LedgerEvent[], account: string): LedgerEvent[] {
  const logs = new Set(all.filter((e) => names(e, account)).map((e) => `${e.txHash}:${e.logIndex}`));
  return all.filter((e) => names(e, account) || (e.kind === 'batch' && logs.has(`${e.txHash}:${e.logIndex}`)));
}

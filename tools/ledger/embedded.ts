// Embedded ledger: an in-process EDR chain in DATA/ledger/, rebuilt on every start from the newest
// good state snapshot plus the journal frames after it (README "Adapters"). Files:
//   operator.key    the operator's secp256k1 key (0x hex, mode 600), created on first start
//   chain.json      chain id and genesis time (the genesis is otherwise fixed by the code)
//   journal.bin     every raw transaction, fsync'd BEFORE it is sent (journal.ts)
//   snapshot-*.snap the state every `snapshotEveryTransactions` and at close (snapshot-*.ts)
//   history.sqlite  every log of the ledger contract, by account (history-index.ts)
//   lock            pid of the process that has the folder open
// A write: journal (fsync) → mine → index its block's logs → maybe snapshot.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, openSync, writeSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, createPublicClient, custom, getContractAddress, hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { loadLedgerArtifact } from './artifact.ts';
import { LedgerClient, deployLedgerContract, type ClientParts } from './client.ts';
import { isBatchLog } from './batch-log.ts';
import { logAccounts } from './history-accounts.ts';
import type { Eip1193 } from './edr-provider.ts';
import { HistoryIndex } from './history-index.ts';
import { TxJournal } from './journal.ts';
import { LedgerError } from './errors.ts';
import { chooseStart } from './snapshot-start.ts';
import { writeSnapshot, type SnapshotWriteStep } from './snapshot-store.ts';

type ChainFile = { format: 'tapcharge-ledger-embedded/1'; chainId: number; genesisTimeS: number };

export type EmbeddedChain = {
  parts: ClientParts;
  /** Where the ledger contract is (or will be): the operator's first deployment (nonce 0). */
  ledgerAddress: Address;
  /** Journal frames replayed at start (those after the snapshot started from). */
  replayedTransactions: number;
  /** The snapshot file the chain started from (undefined: the whole journal was replayed). */
  snapshotPath: string | undefined;
  /** One line per snapshot refused at start. */
  refusedSnapshots: string[];
  journal: TxJournal;
};

const chainIdDefault = 0x7463; // "tc"

function writeFileDurably(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

function takeLock(dir: string): () => void {
  const path = join(dir, 'lock');
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8'));
    let alive = pid === process.pid;
    try {
      alive ||= Number.isInteger(pid) && pid > 0 && (process.kill(pid, 0), true);
    } catch {
      alive = false;
    }
    if (alive) throw new LedgerError('in-use', `ledger data folder ${dir} is in use by process ${pid}`);
    unlinkSync(path);
  }
  writeFileSync(path, String(process.pid), { flag: 'wx' });
  return () => { try { unlinkSync(path); } catch { /* already gone */ } };
}

function loadOrCreate(dir: string): { account: PrivateKeyAccount; chain: ChainFile } {
  const keyPath = join(dir, 'operator.key');
  if (!existsSync(keyPath)) writeFileDurably(keyPath, generatePrivateKey() + '\n', 0o600);
  const key = readFileSync(keyPath, 'utf8').trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new LedgerError('bad-config', `${keyPath}: expected 0x followed by 64 hex digits`);
  const chainPath = join(dir, 'chain.json');
  if (!existsSync(chainPath)) {
    const fresh: ChainFile = { format: 'tapcharge-ledger-embedded/1', chainId: chainIdDefault, genesisTimeS: Math.floor(Date.now() / 1000) };
    writeFileDurably(chainPath, JSON.stringify(fresh, null, 1) + '\n');
  }
  const chain = JSON.parse(readFileSync(chainPath, 'utf8')) as ChainFile;
  if (chain.format !== 'tapcharge-ledger-embedded/1') throw new LedgerError('bad-config', `${chainPath}: unknown format ${String(chain.format)}`);
  return { account: privateKeyToAccount(key as Hex), chain };
}

async function gasUsedBy(provider: Eip1193, hash: Hex): Promise<bigint> {
  const receipt = (await provider.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as { gasUsed: Hex } | null;
  return BigInt(receipt?.gasUsed ?? 0);
}

const notDeployed = (dataDir: string) => new LedgerError('not-deployed', `no ledger deployed in ${join(dataDir, 'ledger')} (run: tapcharge ledger deploy --data ${dataDir})`);

/** Snapshot after this many transactions or this much gas, whichever comes first (README "Adapters": why). */
export const snapshotEveryTransactions = 500;
export const snapshotEveryGas = 30_000_000n;

/** The steps of one write; crash tests kill the writer at each (`onWriteStep`). */
export type WriteStep = 'journaled' | 'mined' | 'indexed' | SnapshotWriteStep;

export type EmbeddedOptions = {
  /** Snapshot after this many transactions (default `snapshotEveryTransactions`). */
  snapshotEveryTransactions?: number;
  /** Called at each step of a write and of a snapshot write. */
  onWriteStep?: (step: WriteStep) => void;
};

/** Starts the embedded chain from DATA/ledger/ (newest good snapshot + the journal after it); `create` makes a new folder. */
export async function startEmbeddedChain(dataDir: string, options: { create: boolean } & EmbeddedOptions): Promise<EmbeddedChain> {
  const dir = join(dataDir, 'ledger');
  if (!options.create && !existsSync(join(dir, 'chain.json'))) throw notDeployed(dataDir);
  mkdirSync(dir, { recursive: true });
  const release = takeLock(dir);
  const every = options.snapshotEveryTransactions ?? snapshotEveryTransactions;
  const step = options.onWriteStep ?? (() => {});
  let index: HistoryIndex | undefined;
  let journal: TxJournal | undefined;
  try {
    const { account, chain } = loadOrCreate(dir);
    const ledgerAddress = getContractAddress({ from: account.address, nonce: 0n });
    const abi = loadLedgerArtifact().abi;
    index = HistoryIndex.open(join(dir, 'history.sqlite'), ledgerAddress);
    const journalPath = join(dir, 'journal.bin');
    const start = await chooseStart(dir, chain, account.address, journalPath, index.indexedThroughBlock);
    const { provider, capture } = start;
    const opened = TxJournal.open(journalPath, start.journalFrom);
    journal = opened.journal;
    let lastTimestampS = start.blockTimestampS;
    for (const record of opened.records) {
      await provider.request({ method: 'evm_setNextBlockTimestamp', params: [Number(record.timestampS)] });
      // A journaled transaction the chain refuses (e.g. a re-sent duplicate) was refused live too.
      const hash = await provider.request({ method: 'eth_sendRawTransaction', params: [bytesToHex(record.raw)] }).catch(() => undefined);
      if (hash) capture.noteTransaction(hash as Hex, await gasUsedBy(provider, hash as Hex));
      lastTimestampS = record.timestampS;
    }
    const client = createPublicClient({ transport: custom(provider), cacheTime: 0, pollingInterval: 1 }) as PublicClient;
    const history = index;
    const catchUpIndex = async (): Promise<void> => {
      const latest = await client.getBlockNumber();
      const from = history.indexedThroughBlock + 1n;
      if (from > latest + 1n) throw new LedgerError('bad-config', `${join(dir, 'history.sqlite')} indexes block ${from - 1n}, the chain ends at block ${latest}: it belongs to another journal`);
      if (from > latest) return;
      const logs = await client.getLogs({ address: ledgerAddress, fromBlock: from, toBlock: latest });
      const entries = await Promise.all(logs.map(async (log) => {
        if (!isBatchLog(abi, log)) return { log, accounts: logAccounts(abi, log, undefined) };
        const tx = await client.getTransaction({ hash: log.transactionHash });
        const transaction = { to: tx.to, input: tx.input };
        return { log, accounts: logAccounts(abi, log, transaction), transaction };
      }));
      history.add(entries, latest);
    };
    await catchUpIndex();
    const snapshot = async (): Promise<void> => {
      try {
        writeSnapshot(dir, await capture.capture(opened.journal.position), step);
      } catch (error) {
        process.stderr.write(`ledger: snapshot not written (${error instanceof Error ? error.message : String(error)}); the journal still holds everything\n`);
      }
    };
    let lastJournaled: Hex | undefined; // a retry re-delivers the same bytes: journal them once
    const deliver = async (raw: Hex): Promise<void> => {
      if (raw !== lastJournaled) {
        lastJournaled = raw;
        const nowS = BigInt(Math.floor(Date.now() / 1000));
        lastTimestampS = nowS > lastTimestampS ? nowS : lastTimestampS;
        opened.journal.append({ timestampS: lastTimestampS, raw: hexToBytes(raw) });
        step('journaled');
        await provider.request({ method: 'evm_setNextBlockTimestamp', params: [Number(lastTimestampS)] });
      }
      const hash = (await provider.request({ method: 'eth_sendRawTransaction', params: [raw] })) as Hex;
      step('mined');
      capture.noteTransaction(hash, await gasUsedBy(provider, hash));
      await catchUpIndex();
      step('indexed');
      if (capture.pendingTransactions >= every || capture.pendingGas >= snapshotEveryGas) await snapshot();
    };
    const parts: ClientParts = {
      client,
      account,
      deliver,
      sender: { pollMs: 1, receiptTimeoutMs: 2_000, attempts: 1 },
      logs: async (_contract, filter) => history.logs(filter.account),
      onClose: async () => {
        try {
          if (capture.pendingTransactions > 0) await snapshot();
        } finally {
          opened.journal.close();
          history.close();
          release();
        }
      },
    };
    return {
      parts,
      ledgerAddress,
      replayedTransactions: opened.records.length,
      snapshotPath: start.snapshotPath,
      refusedSnapshots: start.refused,
      journal: opened.journal,
    };
  } catch (error) {
    journal?.close();
    index?.close();
    release();
    throw error;
  }
}

async function isDeployed(chain: EmbeddedChain): Promise<boolean> {
  const code = await chain.parts.client.getCode({ address: chain.ledgerAddress });
  return code !== undefined && code !== '0x';
}

/** Opens the embedded ledger in DATA; `deploy` creates the contract on first use. */
export async function openEmbeddedLedger(dataDir: string, options: { deploy?: boolean } & EmbeddedOptions = {}): Promise<LedgerClient & { chain: EmbeddedChain; deployedNow: boolean }> {
  const chain = await startEmbeddedChain(dataDir, { ...options, create: options.deploy === true });
  try {
    const deployedNow = !(await isDeployed(chain));
    if (deployedNow) {
      if (!options.deploy) throw notDeployed(dataDir);
      const address = await deployLedgerContract(chain.parts);
      if (address.toLowerCase() !== chain.ledgerAddress.toLowerCase()) throw new LedgerError('bad-config', `ledger deployed at ${address}, expected ${chain.ledgerAddress}: the journal has other operator transactions first`);
    }
    const ledger = await LedgerClient.attach(chain.parts, chain.ledgerAddress);
    return Object.assign(ledger, { chain, deployedNow });
  } catch (error) {
    await chain.parts.onClose?.();
    throw error;
  }
}

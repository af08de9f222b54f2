// Embedded ledger: an in-process EDR chain in DATA/ledger/, rebuilt on every start by replaying
// the journal of raw transactions (EDR cannot dump state). Files:
//   operator.key  the operator's secp256k1 key (0x hex, mode 600), created on first start
//   chain.json    chain id and genesis time (the genesis is otherwise fixed by the code)
//   journal.bin   every raw transaction, fsync'd BEFORE it is sent (journal.ts)
//   lock          pid of the process that has the folder open
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, openSync, writeSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, createPublicClient, custom, getContractAddress, hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { LedgerClient, deployLedgerContract, type ClientParts } from './client.ts';
import { createEdrProvider, type Eip1193 } from './edr-provider.ts';
import { TxJournal } from './journal.ts';
import { LedgerError } from './errors.ts';

type ChainFile = { format: 'tapcharge-ledger-embedded/1'; chainId: number; genesisTimeS: number };

export type EmbeddedChain = {
  parts: ClientParts;
  /** Where the ledger contract is (or will be): the operator's first deployment (nonce 0). */
  ledgerAddress: Address;
  replayedTransactions: number;
  replayMs: number;
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

const notDeployed = (dataDir: string) => new LedgerError('not-deployed', `no ledger deployed in ${join(dataDir, 'ledger')} (run: tapcharge ledger deploy --data ${dataDir})`);

/** Starts the embedded chain from DATA/ledger/, replaying the journal; `create` makes a new folder. */
export async function startEmbeddedChain(dataDir: string, options: { create: boolean }): Promise<EmbeddedChain> {
  const dir = join(dataDir, 'ledger');
  if (!options.create && !existsSync(join(dir, 'chain.json'))) throw notDeployed(dataDir);
  mkdirSync(dir, { recursive: true });
  const release = takeLock(dir);
  try {
    const { account, chain } = loadOrCreate(dir);
    const provider: Eip1193 = await createEdrProvider({ chainId: chain.chainId, genesisTimeS: BigInt(chain.genesisTimeS), funded: [account.address] });
    const { journal, records } = TxJournal.open(join(dir, 'journal.bin'));
    const started = performance.now();
    let lastTimestampS = BigInt(chain.genesisTimeS);
    for (const record of records) {
      await provider.request({ method: 'evm_setNextBlockTimestamp', params: [Number(record.timestampS)] });
      // A journaled transaction the chain refuses (e.g. a re-sent duplicate) was refused live too.
      await provider.request({ method: 'eth_sendRawTransaction', params: [bytesToHex(record.raw)] }).catch(() => undefined);
      lastTimestampS = record.timestampS;
    }
    const replayMs = performance.now() - started;
    const client = createPublicClient({ transport: custom(provider), cacheTime: 0, pollingInterval: 1 }) as PublicClient;
    let lastJournaled: Hex | undefined; // a retry re-delivers the same bytes: journal them once
    const deliver = async (raw: Hex): Promise<void> => {
      if (raw !== lastJournaled) {
        lastJournaled = raw;
        const nowS = BigInt(Math.floor(Date.now() / 1000));
        lastTimestampS = nowS > lastTimestampS ? nowS : lastTimestampS;
        journal.append({ timestampS: lastTimestampS, raw: hexToBytes(raw) });
        await provider.request({ method: 'evm_setNextBlockTimestamp', params: [Number(lastTimestampS)] });
      }
      await provider.request({ method: 'eth_sendRawTransaction', params: [raw] });
    };
    const parts: ClientParts = {
      client,
      account,
      deliver,
      sender: { pollMs: 1, receiptTimeoutMs: 2_000, attempts: 1 },
      onClose: async () => {
        journal.close();
        release();
      },
    };
    return { parts, ledgerAddress: getContractAddress({ from: account.address, nonce: 0n }), replayedTransactions: records.length, replayMs, journal };
  } catch (error) {
    release();
    throw error;
  }
}

async function isDeployed(chain: EmbeddedChain): Promise<boolean> {
  const code = await chain.parts.client.getCode({ address: chain.ledgerAddress });
  return code !== undefined && code !== '0x';
}

/** Opens the embedded ledger in DATA; `deploy` creates the contract on first use. */
export async function openEmbeddedLedger(dataDir: string, options: { deploy?: boolean } = {}): Promise<LedgerClient & { chain: EmbeddedChain; deployedNow: boolean }> {
  const chain = await startEmbeddedChain(dataDir, { create: options.deploy === true });
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

// Embedded ledger start-up with 10k / 100k / 1M settled sessions (issue 15 item 4): the time of
// openEmbeddedLedger on a data folder, from its newest snapshot, against a full journal replay at
// 10k. 10k and 100k are real runs through the EVM (fleet: 10 piles, 20 users, applyBatch of 100
// one-step settlements: contract and receipt in one entry, as the relay sends them when both are in). 1M is a bench-only build-up: the 100k run's state with the contract
// storage extended by as many slots as 900k more sessions leave (the slots-per-session slope
// measured between the 10k and 100k runs), written straight into a snapshot, and its history
// index copied 10× — see the printed method.
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, numberToHex, type Address, type Hex } from 'viem';
import { openEmbeddedLedger } from '../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../tools/ledger/ids.ts';
import type { BatchEntry } from '../tools/ledger/ledger.ts';
import { decodeSnapshot, type ChainSnapshot } from '../tools/ledger/snapshot-format.ts';
import { snapshotGenesisChain } from '../tools/ledger/snapshot-load.ts';
import { listSnapshots, writeSnapshot } from '../tools/ledger/snapshot-store.ts';
import { recordFigures } from './figures.ts';

const root = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-start-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const piles = 10;
const users: Address[] = Array.from({ length: 20 }, (_, n) => userAddressOf(Uint8Array.from([0x5a, 0, 0, 0, 0, 0, 0, n])));
const rows: string[][] = [];
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** Settles `sessions` sessions in batches of 100 (one step each), spread over the fleet. */
async function buildRun(dir: string, sessions: number): Promise<{ buildMs: number; closeMs: number; transactions: number; atClose: number }> {
  const started = performance.now();
  let sent = 0;
  let snapshotAt = 0; // transactions covered by the last periodic snapshot
  const l = await openEmbeddedLedger(dir, { deploy: true, onWriteStep: (step) => { if (step === 'older-removed') snapshotAt = sent + 1; } });
  sent = 1; // the deployment
  const count = async (write: Promise<unknown>) => { await write; sent++; };
  for (const [i, u] of users.entries()) await count(l.issue(u, 10n ** 12n, refOf(`start-bench-top-${i}`)));
  for (let b = 0; b < sessions / 100; b++) {
    const settles: BatchEntry[] = Array.from({ length: 100 }, (_, k) => {
      const n = b * 100 + k;
      const seq = BigInt(2 * Math.floor(n / piles) + 1);
      return { kind: 'settle', contractId: contractIdOf(Uint8Array.from([0x5a, 1, 0, 0, 0, 0, 0, n % piles]), seq), user: users[n % users.length]!, capMinor: 5_000n, amountMinor: BigInt(1_000 + k), recordHash: refOf(`start-bench-r-${b}-${k}`) };
    });
    const result = await l.applyBatch(settles);
    if (!result.outcomes.every((o) => o.status === 'applied')) throw new Error(`batch ${b}: not every session settled`);
    sent++;
  }
  const transactions = Number(await l.chain.parts.client.getBlockNumber());
  if (transactions !== sent) throw new Error(`${sent} transactions sent, ${transactions} blocks`);
  const pendingAtClose = transactions - snapshotAt;
  const closeStarted = performance.now();
  await l.close();
  return { buildMs: closeStarted - started, closeMs: performance.now() - closeStarted, transactions, atClose: pendingAtClose };
}

/** Median wall time of openEmbeddedLedger (3 runs, each on `folder(i)`); checks it started from the expected place. */
async function startTime(folder: (run: number) => string, fromSnapshot: boolean): Promise<{ ms: number; replayed: number }> {
  const times: number[] = [];
  let replayed = 0;
  for (let i = 0; i < 3; i++) {
    const dir = folder(i);
    const t = performance.now();
    const l = await openEmbeddedLedger(dir);
    times.push(performance.now() - t);
    replayed = l.chain.replayedTransactions;
    const ok = (l.chain.snapshotPath !== undefined) === fromSnapshot && l.chain.refusedSnapshots.length === 0;
    await l.close();
    if (!ok) throw new Error(`${dir}: expected a start ${fromSnapshot ? 'from a snapshot' : 'by full replay'}`);
  }
  return { ms: times.sort((a, b) => a - b)[1]!, replayed };
}

/** A copy with only the key, chain.json and journal: no snapshot, no history index. */
function fullReplayCopy(dir: string, run: number): string {
  const copy = `${dir}-full-replay-${run}`;
  mkdirSync(join(copy, 'ledger'), { recursive: true });
  for (const f of ['operator.key', 'chain.json', 'journal.bin']) copyFileSync(join(dir, 'ledger', f), join(copy, 'ledger', f));
  return copy;
}

const newestSnapshot = (dir: string) => listSnapshots(join(dir, 'ledger'))[0]!;
const contractSlots = (s: ChainSnapshot) => Math.max(...s.accounts.map((a) => a.storage.size));

// 10k and 100k: real runs.
const runs = new Map<number, { dir: string; snapshot: ChainSnapshot }>();
for (const sessions of [10_000, 100_000]) {
  const dir = join(root, `s${sessions}`);
  const built = await buildRun(dir, sessions);
  const { path } = newestSnapshot(dir);
  const snapshot = decodeSnapshot(readFileSync(path));
  runs.set(sessions, { dir, snapshot });
  const start = await startTime(() => dir, true);
  rows.push([sessions.toLocaleString('en-US'), `real run through the EVM (${built.transactions} txs, ${seconds(built.buildMs)} s to build); start from the snapshot written at close`, `${mib(statSync(path).size)} MiB, ${contractSlots(snapshot)} slots`, String(start.replayed), seconds(start.ms)]);
  recordFigures({ [`ledger.start.${sessions / 1000}k`]: { value: start.ms / 1000, method: `openEmbeddedLedger on a real run's data folder (${built.transactions} txs through the EVM), from the snapshot written at close, median of 3 (bench/ledger-start.bench.ts)` } });
  rows.push([sessions.toLocaleString('en-US'), `snapshot at close: tracing + re-reading + writing for the ${built.atClose} txs since the last periodic snapshot (${seconds(built.closeMs)} s)`, '', '', `${(built.closeMs / built.atClose).toFixed(1)} ms/tx`]);
  if (sessions === 10_000) {
    const full = await startTime((run) => fullReplayCopy(dir, run), false);
    rows.push([sessions.toLocaleString('en-US'), 'full journal replay (a copy with no snapshot and no history index: the index is rebuilt from block 1)', '—', String(full.replayed), `${seconds(full.ms)} (${(full.ms / full.replayed).toFixed(1)} ms/tx)`]);
  }
}

// 1M: bench-only build-up from the 100k run.
const small = runs.get(10_000)!.snapshot;
const big = runs.get(100_000)!;
const slotsPerSession = (contractSlots(big.snapshot) - contractSlots(small)) / 90_000;
const extraSlots = Math.round(slotsPerSession * 900_000);
const dir1m = join(root, 's1000000');
mkdirSync(join(dir1m, 'ledger'), { recursive: true });
for (const f of ['operator.key', 'chain.json', 'journal.bin', 'history.sqlite']) copyFileSync(join(big.dir, 'ledger', f), join(dir1m, 'ledger', f));
const contract = big.snapshot.accounts.reduce((a, b) => (a.storage.size >= b.storage.size ? a : b));
for (let i = 0; i < extraSlots; i++) contract.storage.set(keccak256(numberToHex(i, { size: 32 })), BigInt(keccak256(numberToHex(i + 1, { size: 32 }))) >> 128n);
const blocksPerRun = big.snapshot.blockNumber - small.blockNumber;
const synthetic: ChainSnapshot = { ...big.snapshot, blockNumber: big.snapshot.blockNumber + 10n * blocksPerRun };
const rootChain = await snapshotGenesisChain(synthetic);
synthetic.stateRoot = ((await rootChain.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as { stateRoot: Hex }).stateRoot;
const path1m = writeSnapshot(join(dir1m, 'ledger'), synthetic);
const db = new Database(join(dir1m, 'ledger', 'history.sqlite'));
const maxBlock = big.snapshot.blockNumber;
db.transaction(() => {
  for (let k = 1n; k < 10n; k++) {
    db.prepare('INSERT INTO logs SELECT block_number + ?, log_index, tx_hash, topics, data FROM logs WHERE block_number <= ?').run(k * maxBlock, maxBlock);
    db.prepare('INSERT INTO log_accounts SELECT account, block_number + ?, log_index FROM log_accounts WHERE block_number <= ?').run(k * maxBlock, maxBlock);
  }
  db.prepare(`UPDATE meta SET value = ? WHERE key = 'indexed_through_block'`).run(synthetic.blockNumber.toString());
})();
const logRows = (db.prepare('SELECT count(*) AS n FROM logs').get() as { n: number }).n;
db.close();
const start1m = await startTime(() => dir1m, true);
recordFigures({ 'ledger.start.1m': { value: start1m.ms / 1000, method: `openEmbeddedLedger, median of 3, on a BENCH-ONLY BUILD-UP: the 100k run's snapshot with the contract storage grown by the slots 900k more sessions leave (${slotsPerSession.toFixed(3)} slots/session measured 10k→100k) and its history index copied 10× (bench/ledger-start.bench.ts)` } });
rows.push(['1,000,000', `BENCH-ONLY BUILD-UP, not a run: the 100k run's snapshot with ${extraSlots} random slots added to the contract (${slotsPerSession.toFixed(3)} slots/session measured 10k→100k, × 900k), state root computed by EDR, written as a snapshot; history index = the 100k index copied to ${logRows} logs`, `${mib(statSync(path1m).size)} MiB, ${contract.storage.size} slots`, String(start1m.replayed), seconds(start1m.ms)]);

console.log(`Machine load average ${loadavg().map((n) => n.toFixed(1)).join(' / ')} (shared 2-core machine: figures vary run to run).`);
console.log('Start = wall time of openEmbeddedLedger(DATA) in this process (lock, key, history index, snapshot read + SHA-256 + decode, EDR genesis load, state-root check, journal tail replay, index catch-up), median of 3. Target ≤ 3 s at 1M.');
console.log('');
console.log('| sessions settled | method | snapshot | txs replayed | start (s) |');
console.log('|---:|---|---|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

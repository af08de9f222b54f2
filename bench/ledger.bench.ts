// Ledger benchmark: gas per settled session with applyBatch (one-step settlement: contract and
// receipt in one entry; and opened then settled in two batches), beside the gas of one plain ERC-20
// transfer on the same contract; embedded throughput; journal replay time. Prints markdown
// tables. Everything runs on the embedded EDR chain (Prague gas rules) in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData, hexToBytes, type Address } from 'viem';
import { loadLedgerArtifact } from '../tools/ledger/artifact.ts';
import { openEmbeddedLedger } from '../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../tools/ledger/ids.ts';
import { TxJournal } from '../tools/ledger/journal.ts';
import { listSnapshots } from '../tools/ledger/snapshot-store.ts';
import type { BatchEntry } from '../tools/ledger/ledger.ts';
import { TxSender } from '../tools/ledger/tx-sender.ts';
import { recordFigures } from './figures.ts';

type Session = { contractId: `0x${string}`; user: Address; capMinor: bigint; amountMinor: bigint; capped: boolean; hash: `0x${string}` };

const root = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const rows: { label: string; sessions: number; txs: number; gas: bigint; target?: number }[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const pileOf = (n: number) => Uint8Array.from([0xbe, 0, 0, 0, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const userOf = (n: number): Address => userAddressOf(Uint8Array.from([0xbe, 1, 0, 0, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]));
const open = (s: Session): BatchEntry => ({ kind: 'open', contractId: s.contractId, user: s.user, capMinor: s.capMinor, capped: s.capped, recordHash: s.hash });
/** The receipt's entry: one step when nothing is open, else the release of the escrowed cap. */
const settle = (s: Session): BatchEntry => ({ kind: 'settle', contractId: s.contractId, user: s.user, capMinor: s.capMinor, amountMinor: s.amountMinor, recordHash: refOf(`receipt-${s.contractId}`) });

const l = await openEmbeddedLedger(join(root, 'gas'), { deploy: true });
const seqs = new Map<number, bigint>();
/** Next contract sequence of a pile: odd numbers, the receipts take the even ones. */
const nextSeq = (pile: number) => { const s = (seqs.get(pile) ?? -1n) + 2n; seqs.set(pile, s); return s; };
const sessionOf = (pile: number, user: number, i: number): Session => {
  const capMinor = BigInt(2_000 + i);
  return { contractId: contractIdOf(pileOf(pile), nextSeq(pile)), user: userOf(user), capMinor, amountMinor: capMinor - BigInt(100 + i), capped: i % 2 === 0, hash: refOf(`bench-${pile}-${i}-${seqs.get(pile)}`) };
};

async function apply(label: string, entries: BatchEntry[]): Promise<bigint> {
  const r = await l.applyBatch(entries);
  if (!r.outcomes.every((x) => x.status === 'applied')) throw new Error(`${label}: not every entry applied`);
  return r.gasUsed;
}

// Steady state: every user has a balance, every pile's current 64-sequence word is in use, and
// some contract is always open somewhere (the escrow total is not zero).
const userCount = 500;
const pileCount = 450;
for (let u = 0; u < userCount; u++) await l.issue(userOf(u), 10_000_000n, refOf(`bench-top-${u}`));
for (let p = 0; p < pileCount; p += 100) {
  await apply('warm-up', Array.from({ length: Math.min(100, pileCount - p) }, (_, k) => settle(sessionOf(p + k, (p + k) % userCount, k))));
}
await apply('warm-up', [open(sessionOf(999, 0, 0))]);

/** One-step settlement of `sessions` in batches of `perBatch`. */
async function oneStep(label: string, sessions: Session[], perBatch: number, target?: number): Promise<number> {
  let gas = 0n;
  let txs = 0;
  for (let i = 0; i < sessions.length; i += perBatch, txs++) gas += await apply(label, sessions.slice(i, i + perBatch).map(settle));
  rows.push({ label, sessions: sessions.length, txs, gas, ...(target ? { target } : {}) });
  return Number(gas) / sessions.length;
}

await oneStep('single session (one entry per applyBatch)', Array.from({ length: 10 }, (_, i) => sessionOf(i, i, i)), 1);
// fleet: 10 piles (consecutive sequences each), 20 users
const fleetGas = await oneStep('batch, fleet: 10 piles, 20 users', Array.from({ length: 100 }, (_, i) => sessionOf(i % 10, 100 + (i % 20), i)), 100, 2_500);
await oneStep('batch, fleet: 10 piles, 20 users', Array.from({ length: 200 }, (_, i) => sessionOf(10 + (i % 10), 120 + (i % 20), i)), 200);
// every session its own user, 10 piles
const distinctGas = await oneStep('batch, 10 piles, every user distinct', Array.from({ length: 100 }, (_, i) => sessionOf(20 + (i % 10), 300 + i, i)), 100, 6_000);
// every session its own pile and its own user (worst case for storage)
await oneStep('batch, distinct piles and users', Array.from({ length: 100 }, (_, i) => sessionOf(100 + i, 200 + i, i)), 100);
await oneStep('batch, distinct piles and users', Array.from({ length: 200 }, (_, i) => sessionOf(200 + i, 250 + i, i)), 200);
// two steps: the contracts opened in one batch, their receipts settled in the next
const twoStep = Array.from({ length: 100 }, (_, i) => sessionOf(30 + (i % 10), 140 + (i % 20), i));
const openGas = await apply('opened', twoStep.map(open));
const settleGas = await apply('settled', twoStep.map(settle));
rows.push({ label: `opened (${fmt(Number(openGas) / 100)}/session) and settled (${fmt(Number(settleGas) / 100)}/session) in two batches, fleet: 10 piles, 20 users`, sessions: 100, txs: 2, gas: openGas + settleGas });

// Embedded throughput: wall time of one-session applyBatch transactions, and the median of three
// applyBatch(100) (one of them may carry a periodic snapshot).
const tput = Array.from({ length: 400 }, (_, i) => sessionOf(300 + (i % 100), i % userCount, i));
let t = performance.now();
for (const s of tput.slice(0, 100)) await apply('throughput', [settle(s)]);
const singleRate = 100 / ((performance.now() - t) / 1000);
const batchMs: number[] = [];
for (let b = 1; b <= 3; b++) {
  t = performance.now();
  await apply('throughput', tput.slice(b * 100, (b + 1) * 100).map(settle));
  batchMs.push(performance.now() - t);
}
const batchRate = 100 / (batchMs.sort((a, b) => a - b)[1]! / 1000);

// A plain ERC-20 transfer on the same contract: the operator (also the revenue account here, with
// a balance) to a user who has one; the last write, so its own sender's nonce cannot clash.
const parts = l.chain.parts;
const erc20 = new TxSender(parts.client, parts.account, loadLedgerArtifact().abi, parts.deliver, parts.sender);
const transferGas = (await erc20.send(l.address, encodeFunctionData({ abi: loadLedgerArtifact().abi, functionName: 'transfer', args: [userOf(1), 1n] }))).gasUsed;
await l.close();

// Replay: a journal of 10,000 signed transactions (the deployment, then issue calls pre-signed
// offline with consecutive nonces), replayed into a fresh EDR chain on start.
const replayDir = join(root, 'replay');
const first = await openEmbeddedLedger(replayDir, { deploy: true });
const { abi } = loadLedgerArtifact();
const account = first.chain.parts.account;
const chainId = await first.chain.parts.client.getChainId();
const nonce = await first.chain.parts.client.getTransactionCount({ address: account.address });
const address = first.address;
await first.close();
for (const s of listSnapshots(join(replayDir, 'ledger'))) rmSync(s.path); // replay the whole journal, not from the close snapshot
const { journal } = TxJournal.open(join(replayDir, 'ledger', 'journal.bin'));
const replayCount = 10_000;
const startS = BigInt(Math.floor(Date.now() / 1000));
t = performance.now();
for (let i = 0; i < replayCount - 1; i++) {
  const data = encodeFunctionData({ abi, functionName: 'issue', args: [userOf(i % 500), 1n, refOf(`replay-${i}`)] });
  const raw = await account.signTransaction({ type: 'eip1559', chainId, nonce: nonce + i, gas: 120_000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000n, to: address, data });
  journal.append({ timestampS: startS, raw: hexToBytes(raw) });
}
const signMs = performance.now() - t;
journal.close();
t = performance.now();
const replayed = await openEmbeddedLedger(replayDir);
const startMs = performance.now() - t;
const issued = (await replayed.totals()).issuedMinor;
await replayed.close();
if (replayed.chain.replayedTransactions !== replayCount || issued !== BigInt(replayCount - 1)) throw new Error(`replay: ${replayed.chain.replayedTransactions} txs, issued ${issued}`);

console.log(`ERC-20 transfer on the same contract (nonzero → nonzero balance): ${fmt(Number(transferGas))} gas.`);
console.log('');
console.log('| workload (embedded EDR, Prague gas) | sessions | txs | gas per settled session | target (issue 15) | × ERC-20 transfer |');
console.log('|---|---:|---:|---:|---|---:|');
for (const r of rows) {
  const per = Number(r.gas) / r.sessions;
  const target = r.target ? `≤ ${fmt(r.target)}: ${per <= r.target ? 'met' : `**missed** (${(per / r.target).toFixed(2)}×)`}` : '—';
  console.log(`| ${r.label} | ${r.sessions} | ${r.txs} | ${fmt(per)} | ${target} | ${(per / Number(transferGas)).toFixed(2)} |`);
}
const gasMethod = 'one applyBatch of 100 one-step settlements on the embedded EDR ledger (Prague gas), receipt gasUsed ÷ 100; steady state: users funded, piles\' state words in use (bench/ledger.bench.ts)';
recordFigures({
  'ledger.gas.fleet': { value: fleetGas, method: `${gasMethod}; 10 piles, 20 users` },
  'ledger.gas.distinct': { value: distinctGas, method: `${gasMethod}; 10 piles, 100 users each in one session` },
  'ledger.gas.erc20Transfer': { value: Number(transferGas), method: 'ERC-20 transfer() between two funded accounts on the same contract, same chain, receipt gasUsed' },
});
console.log('');
console.log('| embedded measure | value |');
console.log('|---|---:|');
console.log(`| one-session applyBatch transactions per second (journal fsync'd) | ${fmt(singleRate)} |`);
console.log(`| settlements per second in applyBatch(100) (median of 3) | ${fmt(batchRate)} |`);
console.log(`| journal replay of ${replayCount.toLocaleString('en-US')} transactions (start-up, EDR execution included) | ${(startMs / 1000).toFixed(1)} s (${(startMs / replayCount).toFixed(2)} ms/tx) |`);
console.log(`| (building that journal: signing ${replayCount - 1} transactions + fsync per append) | ${(signMs / 1000).toFixed(1)} s |`);

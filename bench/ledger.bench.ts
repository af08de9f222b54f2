// Ledger benchmark: gas per settled contract (open + settle) single and batched, embedded
// throughput, and journal replay time. Prints a markdown table. Everything runs on the embedded
// EDR chain (Prague gas rules) in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData, hexToBytes, keccak256, type Address } from 'viem';
import { loadLedgerArtifact } from '../tools/ledger/artifact.ts';
import { openEmbeddedLedger } from '../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../tools/ledger/ids.ts';
import { TxJournal } from '../tools/ledger/journal.ts';
import { listSnapshots } from '../tools/ledger/snapshot-store.ts';
import type { OpenEntry, SettleEntry } from '../tools/ledger/ledger.ts';

const root = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const rows: string[][] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const pileOf = (n: number) => Uint8Array.from([0xbe, 0, 0, 0, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const userOf = (n: number): Address => userAddressOf(Uint8Array.from([0xbe, 1, 0, 0, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]));
const settleOf = (o: OpenEntry, i: number): SettleEntry => ({ contractId: o.contractId, user: o.user, capMinor: o.capMinor, amountMinor: o.capMinor - BigInt(100 + i), receiptHash: keccak256(hexToBytes(o.contractHash)) });

const l = await openEmbeddedLedger(join(root, 'gas'), { deploy: true });
const seqs = new Map<number, bigint>();
/** Next contract sequence of a pile: odd numbers, the receipts take the even ones. */
const nextSeq = (pile: number) => { const s = (seqs.get(pile) ?? -1n) + 2n; seqs.set(pile, s); return s; };
const openOf = (pile: number, user: number, i: number): OpenEntry => ({
  contractId: contractIdOf(pileOf(pile), nextSeq(pile)), user: userOf(user), capMinor: BigInt(2_000 + i), capped: i % 2 === 0, contractHash: refOf(`bench-${pile}-${i}-${seqs.get(pile)}`),
});

// Steady state: every user has a balance, every pile's current 64-sequence word is in use, and
// some contract is always open somewhere (the escrow total is not zero).
const userCount = 500;
const pileCount = 450;
const warmIssue = Array.from({ length: userCount }, (_, u) => u);
for (const u of warmIssue) await l.issue(userOf(u), 10_000_000n, refOf(`bench-top-${u}`));
for (let p = 0; p < pileCount; p += 100) {
  const warm = Array.from({ length: Math.min(100, pileCount - p) }, (_, k) => openOf(p + k, (p + k) % userCount, k));
  await l.openBatch(warm);
  await l.settleBatch(warm.map(settleOf));
}
await l.open(openOf(999, 0, 0));

async function measure(label: string, opens: OpenEntry[], batched: boolean): Promise<void> {
  let openGas = 0n;
  let settleGas = 0n;
  if (batched) {
    const o = await l.openBatch(opens);
    const s = await l.settleBatch(opens.map(settleOf));
    if (![...o.outcomes, ...s.outcomes].every((x) => x.status === 'applied')) throw new Error(`${label}: not every entry applied`);
    openGas = o.gasUsed;
    settleGas = s.gasUsed;
  } else {
    for (const [i, e] of opens.entries()) {
      openGas += (await l.open(e)).gasUsed;
      settleGas += (await l.settle(settleOf(e, i))).gasUsed;
    }
  }
  const n = opens.length;
  const per = Number(openGas + settleGas) / n;
  rows.push([label, String(n), fmt(Number(openGas) / n), fmt(Number(settleGas) / n), fmt(per), per <= 8_000 ? 'yes' : `no (${(per / 8_000).toFixed(1)}×)`]);
}

await measure('single open + settle (2 txs each)', Array.from({ length: 10 }, (_, i) => openOf(i, i, i)), false);
for (const n of [10, 100, 200]) {
  // fleet: 10 piles (consecutive sequences each), 20 users
  await measure(`batch, fleet: 10 piles, 20 users`, Array.from({ length: n }, (_, i) => openOf(i % 10, 100 + (i % 20), i)), true);
}
// warm: one pile, one user — every storage slot warm after the first entry (the floor of this contract)
await measure('batch, one pile and one user (warm floor)', Array.from({ length: 100 }, (_, i) => openOf(998, 7, i)), true);
for (const n of [100, 200]) {
  // distinct: every contract its own pile and its own user (worst case for storage)
  const base = n === 100 ? 0 : 100;
  await measure(`batch, distinct piles and users`, Array.from({ length: n }, (_, i) => openOf(base + i, 200 + base + i, i)), true);
}

// Embedded throughput: wall time of settle transactions and of settleBatch(100).
const tput = Array.from({ length: 200 }, (_, i) => openOf(300 + (i % 100), i % userCount, i));
await l.openBatch(tput.slice(0, 100));
let t = performance.now();
for (const [i, e] of tput.slice(0, 100).entries()) await l.settle(settleOf(e, i));
const singleRate = 100 / ((performance.now() - t) / 1000);
await l.openBatch(tput.slice(100));
t = performance.now();
await l.settleBatch(tput.slice(100).map(settleOf));
const batchRate = 100 / ((performance.now() - t) / 1000);
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

console.log('| workload (embedded EDR, Prague gas) | contracts | open gas/contract | settle gas/contract | gas per settled contract | ≤ 8,000? |');
console.log('|---|---:|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log('');
console.log('| embedded measure | value |');
console.log('|---|---:|');
console.log(`| settle transactions per second (one contract each, journal fsync'd) | ${fmt(singleRate)} |`);
console.log(`| settlements per second in settleBatch(100) | ${fmt(batchRate)} |`);
console.log(`| journal replay of ${replayCount.toLocaleString('en-US')} transactions (start-up, EDR execution included) | ${(startMs / 1000).toFixed(1)} s (${(startMs / replayCount).toFixed(2)} ms/tx) |`);
console.log(`| (building that journal: signing ${replayCount - 1} transactions + fsync per append) | ${(signMs / 1000).toFixed(1)} s |`);

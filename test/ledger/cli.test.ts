// `tapcharge ledger …` through the real command (node tools/cli/bin.js) on a temp data folder,
// and with --rpc against anvil, including an audit that must fail on a tampered chain.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeAbiParameters, keccak256, type Address, type Hex } from 'viem';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, userAddressOf } from '../../tools/ledger/ids.ts';
import { chargeCapEntry, openEntry, settleEntry } from './entries.ts';
import { startAnvil } from '../support/anvil.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-cli-'));
const data = join(dir, 'data');
const alice = 'kid:0102030405060708';
const aliceAddress = userAddressOf(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
const bob = '0x000000000000000000000000000000000000bEEF';

function ledger(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, 'ledger', ...args], { encoding: 'utf8', cwd: dir });
}

function ledgerAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'ledger', ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function ok(...args: string[]): string {
  const r = ledger(...args);
  assert.is(r.status, 0, `tapcharge ledger ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('deploy, issue (idempotent by --ref), transfer, redeem, balance, history and a passing audit', () => {
  assert.match(ok('deploy', '--data', data), /^ledger deployed at 0x[0-9a-fA-F]{40} operator 0x/);
  assert.match(ok('deploy', '--data', data), /^ledger already deployed at/);
  assert.match(ok('issue', alice, '10000', '--ref', 'topup-1', '--data', data), new RegExp(`issue 10000 ${aliceAddress}: applied`));
  assert.match(ok('issue', alice, '10000', '--ref', 'topup-1', '--data', data), /: duplicate \(ref 0x/);
  assert.match(ok('transfer', alice, bob, '2500', '--data', data), /: applied/);
  assert.match(ok('redeem', bob, '500', '--data', data), /redeem 500 0x000000000000000000000000000000000000bEEF: applied/);
  assert.is(ok('balance', alice, '--data', data), `${aliceAddress} balance 7500 escrow 0\n`);
  assert.is(ok('balance', bob, '--data', data), `${bob} balance 2000 escrow 0\n`);
  const history = ok('history', bob, '--data', data).trim().split('\n');
  assert.is(history.length, 3); // transfer in, redeemed, burn transfer
  assert.match(history[0]!, /transfer 2500 0x[0-9a-fA-F]{40} -> 0x000000000000000000000000000000000000bEEF/);
  const audit = ok('audit', '--data', data);
  assert.match(audit, /issued 10000 - redeemed 500 = 9500; balances 9500 \+ escrow 0 = 9500/);
  assert.match(audit, /audit PASS\n$/);
});

test('history: a batch line with its entry count and records digest, then one line per entry; the audit passes', async () => {
  const pile = Uint8Array.from([0xc1, 1, 1, 1, 1, 1, 1, 1]);
  const [c1, c2, c3] = [1n, 2n, 3n].map((seq) => contractIdOf(pile, seq)) as [Hex, Hex, Hex];
  const l = await openEmbeddedLedger(data);
  try {
    await l.applyBatch([
      openEntry(c1, aliceAddress, 3_000n, false),
      settleEntry({ contractId: c2, user: aliceAddress, capMinor: 1_000n }, 400n),
      settleEntry({ contractId: c1, user: aliceAddress, capMinor: 3_000n }, 2_500n),
      chargeCapEntry({ contractId: c1, user: aliceAddress, capMinor: 3_000n }),
      openEntry(c3, aliceAddress, 500n, true),
      chargeCapEntry({ contractId: c3, user: aliceAddress, capMinor: 500n }),
      settleEntry({ contractId: c3, user: aliceAddress, capMinor: 500n }, 200n),
    ]);
  } finally {
    await l.close();
  }
  const lines = ok('history', alice, '--data', data).trim().split('\n').slice(-8);
  const block = /^block (\d+) /.exec(lines[0]!)![1];
  assert.equal(lines.map((line) => line.replace(/^block \d+ /, '')), [
    `batch 7 entries records ${lines[0]!.match(/0x[0-9a-f]{64}$/)![0]}`,
    `  #0 opened ${c1} user ${aliceAddress} cap 3000 full`,
    `  #1 settled ${c2} from none user ${aliceAddress} cap 1000 amount 400`,
    `  #2 settled ${c1} from open-full user ${aliceAddress} cap 3000 amount 2500`,
    `  #3 skipped charge-cap ${c1}: wrong state`,
    `  #4 opened ${c3} user ${aliceAddress} cap 500 capped`,
    `  #5 charged-at-cap ${c3} user ${aliceAddress} cap 500`,
    `  #6 corrected ${c3} user ${aliceAddress} cap 500 amount 200`,
  ]);
  assert.ok(lines.every((line) => line.startsWith(`block ${block} `)), 'one block for the batch');
  assert.match(ok('balance', alice, '--data', data), /balance 4400 escrow 0\n$/);
  assert.match(ok('audit', '--data', data), /audit PASS\n$/);
});

test('bad inputs: one-line errors, non-zero exit, nothing written', async () => {
  const journal = join(data, 'ledger', 'journal.bin');
  const size = statSync(journal).size;
  // Rejected before the chain is opened: run three at a time.
  const parseErrors: [string[], RegExp][] = [
    [['issue', '0x12', '5'], /^tapcharge: bad address "0x12": expected 0x followed by 40 hex digits\n$/],
    [['issue', alice, '-5'], /^tapcharge: bad amount "-5": expected a whole number of minor units\n$/],
    [['issue', alice, '1.5'], /^tapcharge: bad amount "1.5": expected a whole number of minor units\n$/],
    [['issue', alice, '0'], /^tapcharge: bad amount "0": must be greater than 0\n$/],
    [['issue', 'kid:12', '5'], /^tapcharge: bad key id "kid:12": expected kid: followed by 16 hex digits\n$/],
    [['record', 'zz'], /^tapcharge: bad contract id "zz": expected 32 hex digits/],
    [['transfer', alice, bob], /^tapcharge: expected: tapcharge ledger transfer FROM TO AMOUNT\n$/],
    [['mint', alice], /^tapcharge: unknown ledger command "mint"/],
  ];
  // Rejected by the chain: one at a time (the data folder admits one process).
  const chainErrors: [string[], RegExp][] = [
    [['redeem', bob, '999999'], /^tapcharge: insufficient balance: 0x000000000000000000000000000000000000bEEF has 2000, needs 999999\n$/],
    [['record', '0x50010203040506070000000000000002'], /^tapcharge: unknown contract id 0x50010203040506070000000000000002: never opened on this ledger\n$/],
  ];
  const check = ([args, expected]: [string[], RegExp], r: { status: number | null; stderr: string }) => {
    assert.ok(r.status !== 0 && r.status !== null, `${args.join(' ')} exited ${r.status}`);
    assert.match(r.stderr, expected, `${args.join(' ')}: ${r.stderr}`);
  };
  for (let i = 0; i < parseErrors.length; i += 3) {
    const batch = parseErrors.slice(i, i + 3);
    const results = await Promise.all(batch.map(([args]) => ledgerAsync(...args, '--data', data)));
    results.forEach((r, k) => check(batch[k]!, r));
  }
  for (const c of chainErrors) check(c, ledger(...c[0], '--data', data));
  assert.is(statSync(journal).size, size, 'no transaction was journaled');
  const empty = ledger('balance', bob, '--data', join(dir, 'nothing-here'));
  assert.is(empty.status, 1);
  assert.match(empty.stderr, /^tapcharge: no ledger deployed in .*nothing-here\/ledger \(run: tapcharge ledger deploy --data .*\)\n$/);
});

test('--rpc against anvil: deploy, issue, audit PASS; a tampered balance makes audit FAIL with exit 1', async () => {
  const anvil = await startAnvil();
  try {
    const rpc = ['--rpc', anvil.url, '--key', anvil.keys[0]!];
    const address = /deployed at (0x[0-9a-fA-F]{40})/.exec(ok('deploy', ...rpc))![1]! as Address;
    assert.match(ok('issue', alice, '4000', ...rpc, '--address', address), /: applied/);
    assert.match(ok('audit', ...rpc, '--address', address), /audit PASS/);
    // accounts is the 5th storage variable (slot 4): slot = keccak256(user ‖ 4), balance in the low 128 bits.
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [aliceAddress, 4n]));
    await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setStorageAt', params: [address, slot, `0x${(4001).toString(16).padStart(64, '0')}`] }) });
    assert.match(ok('balance', alice, ...rpc, '--address', address), /balance 4001 escrow 0/);
    const audit = ledger('audit', ...rpc, '--address', address);
    assert.is(audit.status, 1);
    assert.match(audit.stdout, new RegExp(`problem: account ${aliceAddress.toLowerCase()}: chain balance 4001, events say 4000`));
    assert.match(audit.stdout, /audit FAIL \(1 problems\)\n$/);
    const noAddress = ledger('balance', alice, ...rpc);
    assert.match(noAddress.stderr, /^tapcharge: --rpc needs --address ADDR/);
  } finally {
    await anvil.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

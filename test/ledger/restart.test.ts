// Restart: 200 writes on the embedded chain, close, start again from the journal alone —
// identical balances, escrows, records, events and state root; then it keeps working.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { Ledger } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, settleEntry } from './entries.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-restart-'));
const users: Address[] = Array.from({ length: 6 }, (_, n) => userAddressOf(new Uint8Array(8).fill(n + 1)));
const pile = Uint8Array.from([0xc0, 0, 0, 0, 0, 0, 0, 1]);

type Snapshot = { root: Hex | undefined; balances: bigint[]; escrows: bigint[]; records: string[]; events: number; totals: unknown };
const ids = Array.from({ length: 60 }, (_, i) => contractIdOf(pile, BigInt(2 * i + 1)));

async function snapshot(l: Ledger): Promise<Snapshot> {
  const all = [...users, l.revenueAccount];
  return {
    root: await l.stateRoot(),
    balances: await Promise.all(all.map((u) => l.balanceOf(u))),
    escrows: await Promise.all(all.map((u) => l.escrowOf(u))),
    records: await Promise.all(ids.map((id) => l.record(id))),
    events: (await l.history()).length,
    totals: await l.totals(),
  };
}

let before: Snapshot;

async function run200(l: Ledger): Promise<void> {
  let ops = 1; // the deployment
  for (const [i, u] of users.entries()) { await l.issue(u, 50_000n, refOf(`top-${i}`)); ops++; }
  const opens = ids.map((contractId, i) => openEntry(contractId, users[i % users.length]!, BigInt(1_000 + i), i % 3 !== 0));
  for (let i = 0; ops < 200; i++, ops++) {
    const o = opens[i % opens.length]!;
    const step = Math.floor(i / opens.length);
    if (step === 0) await l.applyBatch([o]);
    else if (step === 1 && i % 4 === 3) await l.issue(o.user, 10n, refOf(`extra-${i}`)); // leaves this one open
    else if (step === 1 && o.capped && i % 2 === 0) await l.applyBatch([chargeCapEntry(o)]);
    else if (step === 1) await l.applyBatch([settleEntry(o, o.capMinor / 2n)]);
    else await l.transfer(users[i % 6]!, users[(i + 1) % 6]!, BigInt(i), refOf(`tr-${i}`));
  }
}

test('200 operations, then a restart from the journal gives the same state and state root', async () => {
  const l = await openEmbeddedLedger(dir, { deploy: true });
  try {
    await run200(l);
    before = await snapshot(l);
  } finally {
    await l.close();
  }
  assert.ok(before.root && /^0x[0-9a-f]{64}$/.test(before.root));
  assert.ok(before.escrows.some((e) => e > 0n) && before.records.includes('charged-at-cap') && before.records.includes('settled'));

  const again = await openEmbeddedLedger(dir);
  try {
    assert.is(again.chain.replayedTransactions, 0); // started from the snapshot written at close
    assert.equal(await snapshot(again), before);
  } finally {
    await again.close();
  }
});

test('a torn frame at the journal tail is dropped on start; the state is unchanged and writes continue', async () => {
  appendFileSync(join(dir, 'ledger', 'journal.bin'), Uint8Array.from([0, 0, 1, 0, 0xde, 0xad]));
  const l = await openEmbeddedLedger(dir);
  try {
    assert.is(l.chain.journal.tornBytes, 6);
    assert.equal(await snapshot(l), before);
    assert.is((await l.issue(users[0]!, 1n, refOf('after-restart'))).status, 'applied');
    assert.is(await l.balanceOf(users[0]!), before.balances[0]! + 1n);
  } finally {
    await l.close();
  }
  const third = await openEmbeddedLedger(dir);
  assert.is(third.chain.replayedTransactions, 0); // started from the snapshot written at close
  assert.is(await third.balanceOf(users[0]!), before.balances[0]! + 1n);
  await third.close();
});

test('a data folder open in one process is refused to a second opener', async () => {
  const l = await openEmbeddedLedger(dir);
  try {
    await openEmbeddedLedger(dir).then(
      () => assert.unreachable('second open succeeded'),
      (e: Error) => assert.match(e.message, /is in use by process \d+/),
    );
  } finally {
    await l.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

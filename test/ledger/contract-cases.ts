// The contract unit tests, written once and run against each adapter (embedded EDR, anvil RPC).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { Ledger, OpenEntry, SettleEntry } from '../../tools/ledger/ledger.ts';

export type Harness = { ledger: Ledger; outsider: Ledger; done(): Promise<void> };

const pileA = Uint8Array.from([0x50, 1, 2, 3, 4, 5, 6, 7]);
const pileB = Uint8Array.from([0x50, 9, 9, 9, 9, 9, 9, 9]);
const alice = userAddressOf(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]));
const bob = userAddressOf(Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2]));
const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

function openOf(pile: Uint8Array, seq: bigint, user: Address, capMinor: bigint, capped = true): OpenEntry {
  return { contractId: contractIdOf(pile, seq), user, capMinor, capped, contractHash: hash(Number(seq) + 1000) };
}

function settleOf(o: OpenEntry, amountMinor: bigint): SettleEntry {
  return { contractId: o.contractId, user: o.user, capMinor: o.capMinor, amountMinor, receiptHash: hash(Number(BigInt(o.contractId) & 0xffffn) + 2000) };
}

async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

export function contractCases(name: string, make: () => Promise<Harness>, teardown?: () => Promise<void>): void {
  const t = suite<{ h: Harness }>(name, {} as { h: Harness });
  t.before.each(async (ctx) => { ctx.h = await make(); });
  t.after.each(async ({ h }) => {
    const audit = await auditLedger(h.ledger); // every test ends with a clean audit of the events
    assert.equal(audit.problems, []);
    await h.done();
  });
  if (teardown) t.after(teardown);

  t('issue, redeem and transfer move balances; a retried ref is a no-op', async ({ h }) => {
    const l = h.ledger;
    assert.is((await l.issue(alice, 10_000n, refOf('topup-1'))).status, 'applied');
    assert.is((await l.issue(alice, 10_000n, refOf('topup-1'))).status, 'duplicate');
    assert.is((await l.transfer(alice, bob, 2_500n, refOf('tx-1'))).status, 'applied');
    assert.is((await l.transfer(alice, bob, 2_500n, refOf('tx-1'))).status, 'duplicate');
    assert.is((await l.redeem(bob, 500n, refOf('cash-1'))).status, 'applied');
    assert.is(await l.balanceOf(alice), 7_500n);
    assert.is(await l.balanceOf(bob), 2_000n);
    assert.equal(await l.totals(), { issuedMinor: 10_000n, redeemedMinor: 500n, escrowMinor: 0n, supplyMinor: 9_500n });
    await rejects(() => l.redeem(bob, 2_001n, refOf('cash-2')), /insufficient balance: .* has 2000, needs 2001/);
    await rejects(() => l.transfer(bob, alice, 0n, refOf('tx-2')), /amount must be greater than 0/);
  });

  t('open escrows the cap once; a second open of the same id says duplicate and changes nothing', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const o = openOf(pileA, 1n, alice, 2_000n);
    assert.equal((await l.open(o)).outcomes, [{ contractId: o.contractId, status: 'applied' }]);
    assert.equal((await l.open(o)).outcomes, [{ contractId: o.contractId, status: 'duplicate' }]);
    assert.is(await l.balanceOf(alice), 3_000n);
    assert.is(await l.escrowOf(alice), 2_000n);
    assert.is(await l.record(o.contractId), 'open-capped');
    await rejects(() => l.open(openOf(pileA, 2n, alice, 3_001n)), /open 0x50010203040506070000000000000002 rejected: insufficient balance/);
    assert.is(await l.record(contractIdOf(pileA, 2n)), 'none');
  });

  t('settle pays the metered amount to revenue and refunds the rest; a retry is a duplicate', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const o = openOf(pileA, 7n, alice, 2_000n, false);
    await l.open(o);
    assert.equal((await l.settle(settleOf(o, 1_234n))).outcomes, [{ contractId: o.contractId, status: 'applied' }]);
    assert.equal((await l.settle(settleOf(o, 1_234n))).outcomes, [{ contractId: o.contractId, status: 'duplicate' }]);
    assert.is(await l.balanceOf(alice), 5_000n - 1_234n);
    assert.is(await l.escrowOf(alice), 0n);
    assert.is(await l.balanceOf(l.revenueAccount), 1_234n);
    assert.is(await l.record(o.contractId), 'settled');
  });

  t('settle above the cap, of an unknown id, or beyond the escrow is rejected and changes nothing', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const o = openOf(pileA, 3n, alice, 2_000n);
    await l.open(o);
    await rejects(() => l.settle(settleOf(o, 2_001n)), /rejected: amount above cap/);
    await rejects(() => l.settle(settleOf(openOf(pileA, 4n, alice, 2_000n), 1n)), /rejected: wrong state/);
    await rejects(() => l.settle({ ...settleOf(o, 100n), capMinor: 2_500n }), /rejected: escrow short/);
    assert.is(await l.escrowOf(alice), 2_000n);
    assert.is(await l.balanceOf(alice), 3_000n);
    assert.is(await l.record(o.contractId), 'open-capped');
  });

  t('charge at cap then correct refunds cap − metered; each is idempotent and state-checked', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const capped = openOf(pileB, 10n, alice, 3_000n, true);
    const full = openOf(pileB, 12n, alice, 1_000n, false);
    await l.openBatch([capped, full]);
    await rejects(() => l.chargeCap({ contractId: full.contractId, user: alice, capMinor: 1_000n }), /charge-cap .* rejected: wrong state/);
    await rejects(() => l.correct(settleOf(capped, 100n)), /correct .* rejected: wrong state/);
    assert.equal((await l.chargeCap({ contractId: capped.contractId, user: alice, capMinor: 3_000n })).outcomes[0]!.status, 'applied');
    assert.equal((await l.chargeCap({ contractId: capped.contractId, user: alice, capMinor: 3_000n })).outcomes[0]!.status, 'duplicate');
    assert.is(await l.balanceOf(l.revenueAccount), 3_000n);
    assert.is(await l.balanceOf(alice), 1_000n);
    await rejects(() => l.correct(settleOf(capped, 3_001n)), /rejected: amount above cap/);
    assert.equal((await l.correct(settleOf(capped, 2_100n))).outcomes[0]!.status, 'applied');
    assert.equal((await l.correct(settleOf(capped, 2_100n))).outcomes[0]!.status, 'duplicate');
    assert.is(await l.balanceOf(alice), 1_900n);
    assert.is(await l.balanceOf(l.revenueAccount), 2_100n);
    assert.is(await l.record(capped.contractId), 'corrected');
    assert.is(await l.record(full.contractId), 'open-full');
  });

  t('batches report each entry: applied, duplicate, or rejected with its reason', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 10_000n, refOf('ta'));
    await l.issue(bob, 1_000n, refOf('tb'));
    const opens = [openOf(pileA, 1n, alice, 1_000n), openOf(pileA, 3n, bob, 800n), openOf(pileB, 64n, alice, 500n), openOf(pileA, 5n, bob, 800n)];
    const first = await l.openBatch([...opens, opens[0]!]);
    assert.equal(first.outcomes.map((o) => o.status), ['applied', 'applied', 'applied', 'rejected', 'duplicate']);
    assert.equal(first.outcomes[3], { contractId: opens[3]!.contractId, status: 'rejected', reason: 'insufficient balance' });
    const retry = await l.openBatch(opens.slice(0, 3));
    assert.equal(retry.outcomes.map((o) => o.status), ['duplicate', 'duplicate', 'duplicate']);
    const settles = [settleOf(opens[0]!, 900n), settleOf(opens[1]!, 801n), settleOf(opens[2]!, 500n), settleOf(opens[3]!, 1n)];
    const s = await l.settleBatch(settles);
    assert.equal(s.outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status)), ['applied', 'amount above cap', 'applied', 'wrong state']);
    assert.equal((await l.settleBatch(settles.slice(0, 1))).outcomes[0]!.status, 'duplicate');
    assert.is(await l.balanceOf(alice), 10_000n - 900n - 500n);
    assert.is(await l.escrowOf(bob), 800n);
    assert.is(await l.balanceOf(l.revenueAccount), 1_400n);
    assert.equal(await l.totals(), { issuedMinor: 11_000n, redeemedMinor: 0n, escrowMinor: 800n, supplyMinor: 11_000n });
  });

  t('unauthorised callers are rejected and change nothing', async ({ h }) => {
    await h.ledger.issue(alice, 1_000n, refOf('t'));
    const o = openOf(pileA, 1n, alice, 100n);
    await rejects(() => h.outsider.issue(bob, 1_000n, refOf('steal')), /unauthorized caller/);
    await rejects(() => h.outsider.open(o), /unauthorized caller/);
    await rejects(() => h.outsider.transfer(alice, bob, 1n, refOf('x')), /unauthorized caller/);
    await rejects(() => h.outsider.setPaused(true), /unauthorized caller/);
    await rejects(() => h.outsider.setOperator(h.outsider.operator, true), /unauthorized caller/);
    assert.is(await h.ledger.balanceOf(bob), 0n);
    assert.is(await h.ledger.record(o.contractId), 'none');
  });

  t('a paused ledger rejects every write, still answers reads, and resumes', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 1_000n, refOf('t'));
    await l.setPaused(true);
    await rejects(() => l.issue(alice, 1n, refOf('t2')), /ledger is paused/);
    await rejects(() => l.open(openOf(pileA, 1n, alice, 100n)), /ledger is paused/);
    await rejects(() => l.openBatch([openOf(pileA, 1n, alice, 100n)]), /ledger is paused/);
    await rejects(() => l.transfer(alice, bob, 1n, refOf('t3')), /ledger is paused/);
    assert.is(await l.balanceOf(alice), 1_000n);
    await l.setPaused(false);
    assert.is((await l.open(openOf(pileA, 1n, alice, 100n))).outcomes[0]!.status, 'applied');
  });

  t('bad entries are rejected: zero cap, zero user, sequence 0', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 1_000n, refOf('t'));
    await rejects(() => l.open(openOf(pileA, 1n, alice, 0n)), /rejected: bad entry/);
    await rejects(() => l.open({ ...openOf(pileA, 2n, alice, 10n), user: '0x0000000000000000000000000000000000000000' }), /rejected: bad entry/);
    await rejects(() => l.open({ ...openOf(pileA, 2n, alice, 10n), contractId: '0x50010203040506070000000000000000' }), /rejected: bad entry/);
    assert.is(await l.escrowOf(alice), 0n);
  });

  t.run();
}

// The contract unit tests, written once and run against each adapter (embedded EDR, anvil RPC).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry, ContractState, EntryOutcome, Ledger } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, recordHashOf, settleEntry } from './entries.ts';
import type { OpenEntry } from './model.ts';

export type Harness = { ledger: Ledger; outsider: Ledger; done(): Promise<void> };

const pileA = Uint8Array.from([0x50, 1, 2, 3, 4, 5, 6, 7]);
const pileB = Uint8Array.from([0x50, 9, 9, 9, 9, 9, 9, 9]);
const alice = userAddressOf(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]));
const bob = userAddressOf(Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2]));

const openOf = (pile: Uint8Array, seq: bigint, user: Address, capMinor: bigint, capped = true): OpenEntry => openEntry(contractIdOf(pile, seq), user, capMinor, capped);

/** The one outcome of a one-entry batch. */
async function one(l: Ledger, entry: BatchEntry): Promise<EntryOutcome> {
  const { outcomes } = await l.applyBatch([entry]);
  assert.is(outcomes.length, 1);
  return outcomes[0]!;
}

const rejected = (contractId: Hex, reason: string): EntryOutcome => ({ contractId, status: 'rejected', reason });
const applied = (contractId: Hex, from: ContractState): EntryOutcome => ({ contractId, status: 'applied', from });

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
    // every test ends with a clean audit of the events, every batch's records digest included
    const audit = await auditLedger(h.ledger, { recordHashOf });
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
    assert.equal(await one(l, o), applied(o.contractId, 'none'));
    assert.equal(await one(l, o), { contractId: o.contractId, status: 'duplicate' });
    assert.is(await l.balanceOf(alice), 3_000n);
    assert.is(await l.escrowOf(alice), 2_000n);
    assert.is(await l.record(o.contractId), 'open-capped');
    const tooBig = openOf(pileA, 2n, alice, 3_001n);
    assert.equal(await one(l, tooBig), rejected(tooBig.contractId, 'insufficient balance'));
    assert.is(await l.record(tooBig.contractId), 'none');
    assert.is(await l.balanceOf(alice), 3_000n);
  });

  t('settle of an open contract pays the metered amount to revenue and refunds the rest; a retry is a duplicate', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const o = openOf(pileA, 7n, alice, 2_000n, false);
    await l.applyBatch([o]);
    assert.equal(await one(l, settleEntry(o, 1_234n)), applied(o.contractId, 'open-full'));
    assert.equal(await one(l, settleEntry(o, 1_234n)), { contractId: o.contractId, status: 'duplicate' });
    assert.is(await l.balanceOf(alice), 5_000n - 1_234n);
    assert.is(await l.escrowOf(alice), 0n);
    assert.is(await l.balanceOf(l.revenueAccount), 1_234n);
    assert.is(await l.record(o.contractId), 'settled');
  });

  t('settle of an unknown id is the one-step settlement: the amount moves, nothing is escrowed; a later open is a duplicate', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const c = openOf(pileA, 9n, alice, 3_000n);
    assert.equal(await one(l, settleEntry(c, 2_500n)), applied(c.contractId, 'none'));
    assert.is(await l.balanceOf(alice), 2_500n);
    assert.is(await l.escrowOf(alice), 0n);
    assert.is(await l.balanceOf(l.revenueAccount), 2_500n);
    assert.is(await l.record(c.contractId), 'settled');
    assert.equal(await one(l, c), { contractId: c.contractId, status: 'duplicate' });
    assert.equal(await one(l, chargeCapEntry(c)), rejected(c.contractId, 'wrong state'));
    assert.equal(await one(l, settleEntry(c, 1n)), { contractId: c.contractId, status: 'duplicate' });
    assert.is(await l.balanceOf(alice), 2_500n);
    assert.equal(await l.totals(), { issuedMinor: 5_000n, redeemedMinor: 0n, escrowMinor: 0n, supplyMinor: 5_000n });
  });

  t('settle above the cap, beyond the balance (from none) or beyond the escrow (from open) is rejected and changes nothing', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const o = openOf(pileA, 3n, alice, 2_000n);
    await l.applyBatch([o]);
    assert.equal(await one(l, settleEntry(o, 2_001n)), rejected(o.contractId, 'amount above cap'));
    const unknown = openOf(pileA, 4n, alice, 9_000n);
    assert.equal(await one(l, settleEntry(unknown, 3_001n)), rejected(unknown.contractId, 'insufficient balance'));
    assert.equal(await one(l, settleEntry(unknown, 9_001n)), rejected(unknown.contractId, 'amount above cap'));
    assert.equal(await one(l, settleEntry({ ...o, capMinor: 2_500n }, 100n)), rejected(o.contractId, 'escrow short'));
    assert.is(await l.escrowOf(alice), 2_000n);
    assert.is(await l.balanceOf(alice), 3_000n);
    assert.is(await l.record(o.contractId), 'open-capped');
    assert.is(await l.record(unknown.contractId), 'none');
  });

  t('charge at cap then settle (the correction) refunds cap − metered; each is idempotent and state-checked', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const capped = openOf(pileB, 10n, alice, 3_000n, true);
    const full = openOf(pileB, 12n, alice, 1_000n, false);
    await l.applyBatch([capped, full]);
    assert.equal(await one(l, chargeCapEntry(full)), rejected(full.contractId, 'wrong state'));
    assert.equal(await one(l, chargeCapEntry(openOf(pileB, 14n, alice, 10n))), rejected(contractIdOf(pileB, 14n), 'wrong state'));
    assert.equal(await one(l, chargeCapEntry(capped)), applied(capped.contractId, 'open-capped'));
    assert.equal(await one(l, chargeCapEntry(capped)), { contractId: capped.contractId, status: 'duplicate' });
    assert.is(await l.balanceOf(l.revenueAccount), 3_000n);
    assert.is(await l.balanceOf(alice), 1_000n);
    assert.is(await l.escrowOf(alice), 1_000n);
    assert.equal(await one(l, settleEntry(capped, 3_001n)), rejected(capped.contractId, 'amount above cap'));
    assert.equal(await one(l, settleEntry(capped, 2_100n)), applied(capped.contractId, 'charged-at-cap'));
    assert.equal(await one(l, settleEntry(capped, 2_100n)), { contractId: capped.contractId, status: 'duplicate' });
    assert.equal(await one(l, chargeCapEntry(capped)), { contractId: capped.contractId, status: 'duplicate' });
    assert.is(await l.balanceOf(alice), 1_900n);
    assert.is(await l.balanceOf(l.revenueAccount), 2_100n);
    assert.is(await l.record(capped.contractId), 'corrected');
    assert.is(await l.record(full.contractId), 'open-full');
  });

  t('a correction the revenue account cannot refund is rejected: revenue account short', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 5_000n, refOf('t'));
    const capped = openOf(pileA, 20n, alice, 3_000n, true);
    await l.applyBatch([capped, chargeCapEntry(capped)]);
    await l.redeem(l.revenueAccount, 2_500n, refOf('cash-out-revenue'));
    assert.equal(await one(l, settleEntry(capped, 100n)), rejected(capped.contractId, 'revenue account short'));
    assert.is(await l.record(capped.contractId), 'charged-at-cap');
    assert.equal(await one(l, settleEntry(capped, 2_600n)), applied(capped.contractId, 'charged-at-cap'));
    assert.is(await l.balanceOf(l.revenueAccount), 100n);
    assert.is(await l.balanceOf(alice), 2_400n);
  });

  t('batches report each entry: applied with the state it found, duplicate, or rejected with its reason', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 10_000n, refOf('ta'));
    await l.issue(bob, 1_000n, refOf('tb'));
    const opens = [openOf(pileA, 1n, alice, 1_000n), openOf(pileA, 3n, bob, 800n), openOf(pileB, 64n, alice, 500n), openOf(pileA, 5n, bob, 800n)];
    const first = await l.applyBatch([...opens, opens[0]!]);
    assert.equal(first.outcomes, [applied(opens[0]!.contractId, 'none'), applied(opens[1]!.contractId, 'none'), applied(opens[2]!.contractId, 'none'), rejected(opens[3]!.contractId, 'insufficient balance'), { contractId: opens[0]!.contractId, status: 'duplicate' }]);
    const retry = await l.applyBatch(opens.slice(0, 3));
    assert.equal(retry.outcomes.map((o) => o.status), ['duplicate', 'duplicate', 'duplicate']);
    const settles = [settleEntry(opens[0]!, 900n), settleEntry(opens[1]!, 801n), settleEntry(opens[2]!, 500n), chargeCapEntry(opens[3]!)];
    const s = await l.applyBatch(settles);
    assert.equal(s.outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status)), ['applied', 'amount above cap', 'applied', 'wrong state']);
    assert.equal((await l.applyBatch(settles.slice(0, 1))).outcomes[0]!.status, 'duplicate');
    assert.is(await l.balanceOf(alice), 10_000n - 900n - 500n);
    assert.is(await l.escrowOf(bob), 800n);
    assert.is(await l.balanceOf(l.revenueAccount), 1_400n);
    assert.equal(await l.totals(), { issuedMinor: 11_000n, redeemedMinor: 0n, escrowMinor: 800n, supplyMinor: 11_000n });
  });

  t('one batch may open, settle and charge the same contracts: each entry sees the ones before it', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 2_000n, refOf('t'));
    const a = openOf(pileA, 30n, alice, 1_500n);
    const b = openOf(pileA, 31n, alice, 1_500n);
    const r = await l.applyBatch([a, b, settleEntry(a, 400n), b, chargeCapEntry(a), settleEntry(a, 400n)]);
    assert.equal(r.outcomes, [
      applied(a.contractId, 'none'),
      rejected(b.contractId, 'insufficient balance'), // 500 left after a's cap is escrowed
      applied(a.contractId, 'open-capped'), // releases 1,100: b now fits
      applied(b.contractId, 'none'),
      rejected(a.contractId, 'wrong state'), // already settled
      { contractId: a.contractId, status: 'duplicate' },
    ]);
    assert.is(await l.balanceOf(alice), 100n);
    assert.is(await l.escrowOf(alice), 1_500n);
    assert.is(await l.balanceOf(l.revenueAccount), 400n);
  });

  t('unauthorised callers are rejected and change nothing', async ({ h }) => {
    await h.ledger.issue(alice, 1_000n, refOf('t'));
    const o = openOf(pileA, 1n, alice, 100n);
    await rejects(() => h.outsider.issue(bob, 1_000n, refOf('steal')), /unauthorized caller/);
    await rejects(() => h.outsider.applyBatch([o]), /unauthorized caller/);
    await rejects(() => h.outsider.applyBatch([settleEntry(o, 100n)]), /unauthorized caller/);
    await rejects(() => h.outsider.transfer(alice, bob, 1n, refOf('x')), /unauthorized caller/);
    await rejects(() => h.outsider.setPaused(true), /unauthorized caller/);
    await rejects(() => h.outsider.setOperator(h.outsider.operator, true), /unauthorized caller/);
    assert.is(await h.ledger.balanceOf(bob), 0n);
    assert.is(await h.ledger.balanceOf(alice), 1_000n);
    assert.is(await h.ledger.record(o.contractId), 'none');
  });

  t('operators: enabling, disabling and re-enabling take effect whichever operator was enabled last; an outsider is refused before a pause is told', async ({ h }) => {
    const [l, other] = [h.ledger, h.outsider];
    await l.setOperator(other.operator, true);
    assert.is((await l.issue(alice, 1_000n, refOf('first-after-other'))).status, 'applied', 'the first operator still writes once another was enabled after it');
    await l.setOperator(other.operator, false);
    await rejects(() => other.issue(alice, 1n, refOf('by-other')), /unauthorized caller/);
    await rejects(() => other.applyBatch([openOf(pileA, 1n, alice, 100n)]), /unauthorized caller/);
    await l.setOperator(l.operator, true); // enabled last again
    await l.setOperator(l.operator, false);
    await rejects(() => l.issue(alice, 1n, refOf('first-disabled')), /unauthorized caller/);
    await rejects(() => l.applyBatch([openOf(pileA, 1n, alice, 100n)]), /unauthorized caller/);
    await l.setOperator(l.operator, true);
    await l.setPaused(true);
    await rejects(() => other.issue(alice, 1n, refOf('by-other-paused')), /unauthorized caller/);
    await rejects(() => l.issue(alice, 1n, refOf('first-paused')), /ledger is paused/);
    await l.setPaused(false);
    assert.is((await one(l, openOf(pileA, 1n, alice, 100n))).status, 'applied');
    assert.is(await l.balanceOf(alice), 1_000n - 100n);
  });

  t('a paused ledger rejects every write, still answers reads, and resumes', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 1_000n, refOf('t'));
    await l.setPaused(true);
    await rejects(() => l.issue(alice, 1n, refOf('t2')), /ledger is paused/);
    await rejects(() => l.applyBatch([openOf(pileA, 1n, alice, 100n)]), /ledger is paused/);
    await rejects(() => l.applyBatch([openOf(pileA, 1n, alice, 100n), openOf(pileA, 2n, alice, 100n)]), /ledger is paused/);
    await rejects(() => l.transfer(alice, bob, 1n, refOf('t3')), /ledger is paused/);
    assert.is(await l.balanceOf(alice), 1_000n);
    await l.setPaused(false);
    assert.is((await one(l, openOf(pileA, 1n, alice, 100n))).status, 'applied');
  });

  t('malformed entries are refused whole before sending: zero cap, sequence 0, a sequence, cap or amount past uint32, user 0x0, pile 0, no entries', async ({ h }) => {
    const l = h.ledger;
    await l.issue(alice, 1_000n, refOf('t'));
    const good = openOf(pileA, 1n, alice, 10n);
    const throwsRange = async (entries: BatchEntry[], pattern: RegExp) => {
      await l.applyBatch(entries).then(
        () => assert.unreachable(`expected a RangeError matching ${pattern}`),
        (e: Error) => { assert.instance(e, RangeError); assert.match(e.message, pattern); },
      );
    };
    await throwsRange([good, openOf(pileA, 2n, alice, 0n)], /^ledger batch: "entries\[1\]\.capMinor" expected 1\.\.2\^32-1, got 0$/);
    await throwsRange([good, { ...openOf(pileA, 3n, alice, 10n), contractId: '0x50010203040506070000000000000000' }], /^ledger batch: "entries\[1\]\.seq" expected 1\.\.2\^32-1, got 0$/);
    await throwsRange([good, settleEntry(openOf(pileA, 4n, alice, 0n), 0n)], /"entries\[1\]\.capMinor" expected 1\.\.2\^32-1, got 0/);
    await throwsRange([good, openOf(pileA, 1n << 32n, alice, 10n)], /^ledger batch: "entries\[1\]\.seq" expected 1\.\.2\^32-1, got 4294967296$/);
    await throwsRange([good, openOf(pileA, 7n, alice, 1n << 32n)], /^ledger batch: "entries\[1\]\.capMinor" expected 1\.\.2\^32-1, got 4294967296$/);
    await throwsRange([good, settleEntry(openOf(pileA, 8n, alice, (1n << 32n) - 1n), 1n << 32n)], /^ledger batch: "entries\[1\]\.amountMinor" expected 0\.\.2\^32-1, got 4294967296$/);
    await throwsRange([good, openOf(pileA, 5n, '0x0000000000000000000000000000000000000000', 10n)], /^ledger batch: user 0x0 is not an account$/);
    await throwsRange([good, openOf(new Uint8Array(8), 6n, alice, 10n)], /^ledger batch: pile id 0 is not a pile$/);
    await throwsRange([], /^ledger batch: expected at least 1 entry, got 0$/);
    assert.is(await l.escrowOf(alice), 0n);
    assert.is(await l.balanceOf(alice), 1_000n);
    assert.is(await l.record(good.contractId), 'none');
    assert.is((await l.history()).filter((e) => e.kind === 'batch').length, 0);
  });

  t.run();
}

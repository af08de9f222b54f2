// Property: the per-pile state words settle each contract exactly once. Each contract gets a
// lifecycle — open then settle, open capped then charge at cap then settle (the correction), or
// the one-step settle — on sparse sequences (gaps, several 64-sequence words per pile, several
// piles); the entries of all contracts are shuffled, some repeated, and cut into random batches
// (fixed seeds, bounded). Whatever the order, every contract ends settled or corrected, exactly
// one settle per contract applies, later repeats answer 'duplicate', and the money moved once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry, EntryOutcome } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, recordHashOf, settleEntry } from './entries.ts';
import { LedgerModel, outcomeText } from './model.ts';
import { prng } from '../support/prng.ts';

const users: Address[] = Array.from({ length: 5 }, (_, n) => userAddressOf(new Uint8Array(8).fill(0x70 + n)));
const piles = [0xb1, 0xb2, 0xb3, 0xb4].map((b) => new Uint8Array(8).fill(b));
const fundMinor = 1_000_000n; // no user ever runs short: every skip below is about state, not money

type Contract = { contractId: Hex; user: Address; capMinor: bigint; amountMinor: bigint; steps: BatchEntry[] };

for (const seed of [3, 99, 4040]) {
  test(`seed ${seed}: shuffled, repeated lifecycles in random batches settle every contract exactly once`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-settled-once-'));
    const l = await openEmbeddedLedger(dir, { deploy: true });
    try {
      const r = prng(seed);
      const model = new LedgerModel(l.revenueAccount);
      for (const [i, u] of users.entries()) {
        model.issue(u, fundMinor, refOf(`once-${i}`));
        await l.issue(u, fundMinor, refOf(`once-${i}`));
      }
      // Sparse sequences: 1..600 per pile (words 0..9), each used once.
      const used = new Set<Hex>();
      const contracts: Contract[] = [];
      while (contracts.length < 60) {
        const contractId = contractIdOf(r.pick(piles), BigInt(r.int(1, 600)));
        if (used.has(contractId)) continue;
        used.add(contractId);
        const c = { contractId, user: r.pick(users), capMinor: BigInt(r.int(100, 5_000)) };
        const amountMinor = BigInt(r.int(0, Number(c.capMinor)));
        const kind = r.int(0, 2);
        const steps = kind === 0 ? [openEntry(contractId, c.user, c.capMinor, r.chance(0.5)), settleEntry(c, amountMinor)]
          : kind === 1 ? [openEntry(contractId, c.user, c.capMinor, true), chargeCapEntry(c), settleEntry(c, amountMinor)]
          : [settleEntry(c, amountMinor)];
        contracts.push({ ...c, amountMinor, steps });
      }
      // Every step once, in random order, then ~30% of them again at random places.
      const stream = contracts.flatMap((c) => c.steps);
      for (let i = stream.length - 1; i > 0; i--) {
        const j = r.int(0, i);
        [stream[i], stream[j]] = [stream[j]!, stream[i]!];
      }
      for (let k = Math.floor(stream.length * 0.3); k > 0; k--) stream.splice(r.int(0, stream.length), 0, r.pick(stream));

      const outcomes: { entry: BatchEntry; outcome: EntryOutcome }[] = [];
      for (let at = 0; at < stream.length;) {
        const entries = stream.slice(at, (at += r.int(1, 30)));
        const expected = model.applyBatch(entries);
        const result = await l.applyBatch(entries);
        assert.equal(result.outcomes.map(outcomeText), expected, `batch at ${at}: chain vs model`);
        result.outcomes.forEach((outcome, i) => outcomes.push({ entry: entries[i]!, outcome }));
      }

      let revenueMinor = 0n;
      const spent = new Map<Address, bigint>();
      for (const c of contracts) {
        const state = await l.record(c.contractId);
        assert.ok(state === 'settled' || state === 'corrected', `${c.contractId} ends ${state}`);
        assert.is(state, model.stateOf(c.contractId));
        const settles = outcomes.filter((o) => o.entry.contractId === c.contractId && o.entry.kind === 'settle');
        // Funds, escrow and revenue always suffice here, so the first settle of each contract applies.
        assert.is(settles[0]?.outcome.status, 'applied', `${c.contractId}: its first settle applied`);
        assert.ok(settles.slice(1).every((o) => o.outcome.status === 'duplicate'), `${c.contractId}: every later settle is a duplicate`);
        const opens = outcomes.filter((o) => o.entry.contractId === c.contractId && o.entry.kind === 'open');
        assert.ok(opens.filter((o) => o.outcome.status === 'applied').length <= 1, `${c.contractId}: opened at most once`);
        assert.ok(opens.every((o) => o.outcome.status !== 'rejected'), `${c.contractId}: an open is applied or a duplicate`);
        // Money: the metered amount went to revenue once, whatever path (a correction refunds cap − amount of the cap charged).
        revenueMinor += c.amountMinor;
        spent.set(c.user, (spent.get(c.user) ?? 0n) + c.amountMinor);
      }
      for (const u of users) {
        assert.is(await l.balanceOf(u), fundMinor - (spent.get(u) ?? 0n), `balance of ${u}`);
        assert.is(await l.escrowOf(u), 0n, `escrow of ${u}`);
        assert.is(await l.balanceOf(u), model.balanceOf(u));
      }
      assert.is(await l.balanceOf(l.revenueAccount), revenueMinor);
      assert.equal(await l.totals(), { issuedMinor: fundMinor * BigInt(users.length), redeemedMinor: 0n, escrowMinor: 0n, supplyMinor: fundMinor * BigInt(users.length) });
      assert.ok(outcomes.some((o) => o.outcome.status === 'applied' && o.outcome.from === 'charged-at-cap'), 'some contract was corrected');
      assert.ok(outcomes.some((o) => o.entry.kind === 'settle' && o.outcome.status === 'applied' && o.outcome.from === 'none'), 'some contract was settled in one step');
      assert.equal((await auditLedger(l, { recordHashOf })).problems, []);
    } finally {
      await l.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();

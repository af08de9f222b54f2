// Property: netting does not change what a batch does. Random batches (fixed seeds, bounded) of
// opens, settles (one step, release, correction) and charges at cap, applied as whole batches on
// one ledger and one entry per batch on another, give the same outcomes, balances, escrows,
// states and totals as each other and as the model; and in each batch every account's storage
// word is written at most once (SSTOREs counted in the transaction's opcode trace).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeAbiParameters, keccak256, type Address, type Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, recordHashOf, settleEntry } from './entries.ts';
import { LedgerModel, outcomeText } from './model.ts';
import { prng } from '../support/prng.ts';

type Embedded = Awaited<ReturnType<typeof openEmbeddedLedger>>;

const users: Address[] = Array.from({ length: 6 }, (_, n) => userAddressOf(new Uint8Array(8).fill(0x60 + n)));
const piles = [0xa1, 0xa2, 0xa3].map((b) => new Uint8Array(8).fill(b));

/** Storage keys the transaction's SSTOREs wrote, with how often each was written. */
async function storesOf(l: Embedded, txHash: Hex): Promise<Map<string, number>> {
  const trace = (await l.chain.parts.client.request({ method: 'debug_traceTransaction', params: [txHash, {}] } as never)) as { structLogs: { op: string; stack: string[] }[] };
  const counts = new Map<string, number>();
  for (const step of trace.structLogs) {
    if (step.op !== 'SSTORE') continue;
    const key = BigInt(step.stack.at(-1)!).toString(16).padStart(64, '0');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The storage key of `account`'s word: keccak256(account ‖ slot of the accounts mapping). */
const accountKey = (account: Address, mappingSlot: bigint) => keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [account, mappingSlot])).slice(2);

for (const seed of [7, 1515]) {
  test(`seed ${seed}: random batches equal the same entries one per batch; each account word written once per batch`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-netting-'));
    const batched = await openEmbeddedLedger(join(root, 'batched'), { deploy: true });
    // The same operator key: the same contract address and revenue account on both chains.
    mkdirSync(join(root, 'single', 'ledger'), { recursive: true });
    copyFileSync(join(root, 'batched', 'ledger', 'operator.key'), join(root, 'single', 'ledger', 'operator.key'));
    const single = await openEmbeddedLedger(join(root, 'single'), { deploy: true });
    try {
      assert.is(single.revenueAccount, batched.revenueAccount);
      // The revenue account is a user too in some entries: its word then nets both roles.
      const accounts = [...users, batched.revenueAccount];
      const r = prng(seed);
      const model = new LedgerModel(batched.revenueAccount);
      for (const [i, u] of accounts.entries()) {
        const amount = BigInt(r.int(2_000, 20_000));
        model.issue(u, amount, refOf(`n-${i}`));
        await batched.issue(u, amount, refOf(`n-${i}`));
        await single.issue(u, amount, refOf(`n-${i}`));
      }
      // The relay names a contract with the user and cap it was first sent with: a known id keeps them.
      const known = new Map<Hex, { contractId: Hex; user: Address; capMinor: bigint }>();
      const randomEntry = (): BatchEntry => {
        const id = known.size && r.chance(0.6) ? r.pick([...known.keys()]) : contractIdOf(r.pick(piles), BigInt(r.int(1, 200)));
        const c = known.get(id) ?? { contractId: id, user: r.pick(accounts), capMinor: BigInt(r.int(1, 4_000)) };
        known.set(id, c);
        const roll = r.int(0, 9);
        if (roll < 4) return openEntry(c.contractId, c.user, c.capMinor, r.chance(0.6));
        if (roll < 8) return settleEntry(c, BigInt(r.int(0, Number(c.capMinor) + 200)));
        return chargeCapEntry(c);
      };
      let accountsSlot: bigint | undefined;
      const seen = new Set<string>();
      for (let b = 0; b < 6; b++) {
        const entries = Array.from({ length: r.int(5, 30) }, randomEntry);
        const expected = model.applyBatch(entries);
        const whole = await batched.applyBatch(entries);
        const oneByOne: string[] = [];
        for (const e of entries) oneByOne.push(outcomeText((await single.applyBatch([e])).outcomes[0]!));
        assert.equal(whole.outcomes.map(outcomeText), expected, `batch ${b}: batched outcomes`);
        assert.equal(oneByOne, expected, `batch ${b}: one-per-batch outcomes`);
        for (const o of expected) seen.add(o.split(/[ :]/)[0]!);

        const stores = await storesOf(batched, whole.txHash);
        const named = [...new Set([...entries.map((e) => e.user), batched.revenueAccount])];
        accountsSlot ??= [...Array(16).keys()].map(BigInt).find((slot) => named.some((u) => stores.has(accountKey(u, slot))));
        assert.ok(accountsSlot !== undefined, 'found the accounts mapping among the written slots');
        for (const u of named) assert.ok((stores.get(accountKey(u, accountsSlot)) ?? 0) <= 1, `batch ${b}: ${u}'s word written ${stores.get(accountKey(u, accountsSlot))} times`);
      }
      assert.equal([...seen].sort(), ['applied', 'duplicate', 'rejected'], 'the batches exercised applied, duplicate and rejected entries');
      for (const u of accounts) {
        for (const l of [batched, single]) {
          assert.is(await l.balanceOf(u), model.balanceOf(u), `balance of ${u}`);
          assert.is(await l.escrowOf(u), model.escrowOf(u), `escrow of ${u}`);
        }
      }
      for (const [id, c] of model.contracts) {
        assert.is(await batched.record(id), c.state);
        assert.is(await single.record(id), c.state);
      }
      assert.equal(await batched.totals(), await single.totals());
      for (const l of [batched, single]) assert.equal((await auditLedger(l, { recordHashOf })).problems, []);
    } finally {
      await batched.close();
      await single.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test.run();

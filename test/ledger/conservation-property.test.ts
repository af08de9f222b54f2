// Property: over random operation sequences (fixed seeds, bounded), every write does exactly what
// the model predicts, and after every write sum of balances + escrow = issued − redeemed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry, Ledger } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, recordHashOf, settleEntry } from './entries.ts';
import { LedgerModel, outcomeText, type ModelOutcome } from './model.ts';
import { prng } from '../support/prng.ts';

const users: Address[] = [1, 2, 3, 4].map((n) => userAddressOf(new Uint8Array(8).fill(n)));
const piles = [new Uint8Array(8).fill(0xa1), new Uint8Array(8).fill(0xb2)];

async function single(run: () => Promise<{ status: string }>): Promise<string> {
  try {
    return (await run()).status;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function same(chain: string, model: ModelOutcome | string): boolean {
  if (!model.startsWith('rejected: ')) return chain === model;
  return chain.includes(model.slice('rejected: '.length));
}

async function conserved(l: Ledger): Promise<boolean> {
  let sum = 0n;
  for (const a of [...users, l.revenueAccount]) sum += (await l.balanceOf(a)) + (await l.escrowOf(a));
  const t = await l.totals();
  return sum === t.issuedMinor - t.redeemedMinor && t.supplyMinor === sum;
}

for (const seed of [11, 2026, 424242]) {
  test(`seed ${seed}: 70 random operations follow the model and conserve credit`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-prop-'));
    const l = await openEmbeddedLedger(dir, { deploy: true });
    try {
      const r = prng(seed);
      const m = new LedgerModel(l.revenueAccount);
      const refs: Hex[] = [];
      const ref = (): Hex => (refs.length && r.chance(0.15) ? r.pick(refs) : (refs.push(refOf(`ref-${seed}-${refs.length}`)), refs.at(-1)!));
      const randomId = (): Hex => contractIdOf(r.pick(piles), BigInt(r.int(1, 90)));
      /** An entry on a new id or on one the model knows (a retry, a settle, a charge, a correction). */
      const randomEntry = (): BatchEntry => {
        const known = [...m.contracts.entries()];
        // The relay names a contract with the user and cap it was opened with: a known id keeps them.
        const id = known.length && r.chance(0.6) ? r.pick(known)[0] : randomId();
        const [contractId, c] = [id, m.contracts.get(id) ?? { user: r.pick(users), capMinor: BigInt(r.int(1, 3_000)) }];
        const roll = r.int(0, 9);
        if (roll < 4) return openEntry(contractId, c.user, c.capMinor, r.chance(0.6));
        if (roll < 8) return settleEntry({ contractId, ...c }, BigInt(r.int(0, Number(c.capMinor) + 300)));
        return chargeCapEntry({ contractId, ...c });
      };
      const seen = new Set<string>();
      for (let i = 0; i < 70; i++) {
        const kind = r.pick(['issue', 'issue', 'redeem', 'transfer', 'batch', 'batch', 'batch', 'batch'] as const);
        let chain: string[];
        let model: string[];
        if (kind === 'issue') {
          const [u, a, f] = [r.pick(users), BigInt(r.int(1, 5_000)), ref()];
          model = [m.issue(u, a, f)];
          chain = [await single(() => l.issue(u, a, f))];
        } else if (kind === 'redeem') {
          const [u, a, f] = [r.pick(users), BigInt(r.int(1, 3_000)), ref()];
          model = [m.redeem(u, a, f)];
          chain = [await single(() => l.redeem(u, a, f))];
        } else if (kind === 'transfer') {
          const [u, v, a, f] = [r.pick(users), r.pick(users), BigInt(r.int(1, 2_000)), ref()];
          model = [m.transfer(u, v, a, f)];
          chain = [await single(() => l.transfer(u, v, a, f))];
        } else {
          const entries = Array.from({ length: r.int(1, 6) }, randomEntry);
          model = m.applyBatch(entries);
          chain = (await l.applyBatch(entries)).outcomes.map(outcomeText);
        }
        assert.ok(chain.length === model.length && chain.every((c, k) => same(c, model[k]!)), `op ${i} ${kind}: chain ${JSON.stringify(chain)} model ${JSON.stringify(model)}`);
        assert.ok(await conserved(l), `conservation broken after op ${i} ${kind}`);
        for (const c of chain) seen.add(c.includes('rejected') || c.startsWith('error') ? 'rejected' : c.startsWith('applied') ? 'applied' : c);
      }
      assert.equal([...seen].sort(), ['applied', 'duplicate', 'rejected'], 'the sequence exercised applied, duplicate and rejected writes');
      for (const u of [...users, l.revenueAccount]) {
        assert.is(await l.balanceOf(u), m.balanceOf(u), `balance of ${u}`);
        assert.is(await l.escrowOf(u), m.escrowOf(u), `escrow of ${u}`);
      }
      for (const [id, c] of m.contracts) assert.is(await l.record(id), c.state);
      const t = await l.totals();
      assert.equal([t.issuedMinor, t.redeemedMinor, t.escrowMinor], [m.issuedMinor, m.redeemedMinor, m.escrowMinor]);
      assert.equal((await auditLedger(l, { recordHashOf })).problems, []);
    } finally {
      await l.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();

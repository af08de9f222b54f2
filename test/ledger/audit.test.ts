// The audit can fail: a real embedded ledger whose event history is altered on the way to the
// auditor (dropped, duplicated or edited events), or whose batches do not match the signed records
// the auditor holds (a record that differs, is missing, sits in another order, or carries another
// amount), is reported with precise problems.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Hex } from 'viem';
import { auditLedger, type EntryOp } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry, Ledger, LedgerEvent } from '../../tools/ledger/ledger.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-audit-'));
const user = userAddressOf(new Uint8Array(8).fill(3));
const other = userAddressOf(new Uint8Array(8).fill(4));
const pile = new Uint8Array(8).fill(0xad);
const [c1, c2, c3, c4] = [1n, 2n, 3n, 4n].map((seq) => contractIdOf(pile, seq)) as [Hex, Hex, Hex, Hex];

/** The auditor's copies of the signed records, by op and contract id (a stand-in for the COSE bytes). */
const records = new Map<string, string>();
const sha256 = (text: string): Hex => `0x${createHash('sha256').update(text).digest('hex')}`;
type Unsigned<E = BatchEntry> = E extends unknown ? Omit<E, 'recordHash'> : never;
function signed(entry: Unsigned): BatchEntry {
  const op: EntryOp = entry.kind;
  const record = JSON.stringify(entry, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  records.set(`${op}:${entry.contractId}`, record);
  return { ...entry, recordHash: sha256(record) } as BatchEntry;
}
const heldRecordHash = (records: Map<string, string>) => ({ op, contractId }: { op: EntryOp; contractId: Hex }) => {
  const record = records.get(`${op}:${contractId}`);
  return record === undefined ? undefined : sha256(record);
};

const ledger = await openEmbeddedLedger(dir, { deploy: true });
await ledger.issue(user, 9_000n, refOf('t'));
await ledger.issue(other, 1_000n, refOf('t2'));
await ledger.applyBatch([
  signed({ kind: 'open', contractId: c1, user, capMinor: 3_000n, capped: false }),
  signed({ kind: 'open', contractId: c2, user, capMinor: 2_000n, capped: true }),
  signed({ kind: 'settle', contractId: c4, user: other, capMinor: 800n, amountMinor: 700n }),
]);
await ledger.applyBatch([
  signed({ kind: 'settle', contractId: c1, user, capMinor: 3_000n, amountMinor: 1_000n }),
  signed({ kind: 'charge-cap', contractId: c2, user, capMinor: 2_000n }),
]);
await ledger.applyBatch([signed({ kind: 'open', contractId: c3, user, capMinor: 3_000n, capped: false })]);
const recordHashOf = heldRecordHash(records);

function withHistory(edit: (events: LedgerEvent[]) => LedgerEvent[]): Ledger {
  return new Proxy(ledger, {
    get(target, key) {
      if (key === 'history') return async () => edit(await target.history());
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('the untouched history passes, with and without the records', async () => {
  for (const report of [await auditLedger(ledger), await auditLedger(ledger, { recordHashOf })]) {
    assert.equal(report.problems, []);
    assert.is(report.ok, true);
    assert.equal([report.issuedMinor, report.balancesMinor, report.escrowMinor, report.contracts], [10_000n, 7_000n, 3_000n, 4]);
  }
});

test('a dropped settlement shows as chain/event disagreement and a batch short of an entry', async () => {
  const report = await auditLedger(withHistory((es) => es.filter((e) => !(e.kind === 'settled' && e.from !== 'none'))));
  assert.is(report.ok, false);
  assert.ok(report.problems.some((p) => /chain escrow 3000, events say 6000/.test(p)), report.problems.join('\n'));
  assert.ok(report.problems.some((p) => /chain total escrow 3000, events say 6000/.test(p)));
  assert.ok(report.problems.some((p) => /^batch in block \d+ \(tx 0x[0-9a-f]{64}\) has 2 entries, the history shows 1$/.test(p)), report.problems.join('\n'));
});

test('a replayed open is reported as opened twice', async () => {
  const report = await auditLedger(withHistory((es) => [...es, es.find((e) => e.kind === 'opened')!]));
  assert.ok(report.problems.some((p) => p === `contract ${c1} opened twice`), report.problems.join('\n'));
  assert.ok(report.problems.some((p) => p.startsWith(`opened ${c1} in block`) && p.endsWith('is not part of a batch')), report.problems.join('\n'));
});

test('a replayed batch (its batch event and entries again) fails', async () => {
  const report = await auditLedger(withHistory((es) => [...es, ...es.filter((e) => e.txHash === es.find((x) => x.kind === 'batch')!.txHash)]));
  assert.ok(report.problems.some((p) => p === `contract ${c1} opened twice`), report.problems.join('\n'));
  assert.ok(report.problems.some((p) => p.includes(`settled ${c4} from none`) && p.endsWith('but it was opened or settled before')), report.problems.join('\n'));
});

test('a settlement above its cap, for another user, or from another state than its open is reported', async () => {
  const fromOpen = (e: LedgerEvent): e is Extract<LedgerEvent, { kind: 'settled' }> => e.kind === 'settled' && e.from !== 'none';
  const above = await auditLedger(withHistory((es) => es.map((e) => (fromOpen(e) ? { ...e, amountMinor: 3_001n } : e))));
  assert.ok(above.problems.some((p) => p.includes(`settled ${c1}: amount 3001 above cap 3000`)), above.problems.join('\n'));
  const moved = await auditLedger(withHistory((es) => es.map((e) => (fromOpen(e) ? { ...e, user: other } : e))));
  assert.ok(moved.problems.some((p) => p === `settled ${c1}: user/cap differ from its open`), moved.problems.join('\n'));
  const state = await auditLedger(withHistory((es) => es.map((e) => (fromOpen(e) ? { ...e, from: 'open-capped' as const } : e))));
  assert.ok(state.problems.includes(`settled ${c1} from open-capped, but it was opened full`), state.problems.join('\n'));
});

test('a one-step settlement of a contract opened before is reported', async () => {
  const report = await auditLedger(withHistory((es) => es.map((e) => (e.kind === 'settled' && e.from === 'none' ? { ...e, contractId: c2, user } : e))));
  assert.ok(report.problems.some((p) => p.startsWith(`settled ${c2} from none in block`)), report.problems.join('\n'));
});

const digestProblem = /^batch in block \d+ \(tx 0x[0-9a-f]{64}\): records digest 0x[0-9a-f]{64} on chain, the records give 0x[0-9a-f]{64}$/;

test('tampered batch: a record whose hash differs from the one the batch committed to fails', async () => {
  const report = await auditLedger(ledger, { recordHashOf: ({ op, contractId }) => (op === 'charge-cap' ? sha256('another contract') : recordHashOf({ op, contractId })) });
  assert.is(report.ok, false);
  assert.equal(report.problems.length, 1, report.problems.join('\n'));
  assert.match(report.problems[0]!, digestProblem);
});

test('tampered batch: a record the auditor does not hold fails, naming the entry', async () => {
  const held = new Map(records);
  held.delete(`settle:${c4}`);
  const report = await auditLedger(ledger, { recordHashOf: heldRecordHash(held) });
  assert.equal(report.problems.map((p) => p.replace(/^batch in block \d+ \(tx 0x[0-9a-f]{64}\)/, 'batch')), [`batch: no signed record for settle ${c4} (entry 2)`]);
});

test('tampered batch: entries reordered (renumbered to look whole) fail the records digest', async () => {
  const swapped = withHistory((es) => {
    const i = es.findIndex((e) => e.kind === 'opened' && e.contractId === c1);
    const [a, b] = [es[i]!, es[i + 1]!] as [LedgerEvent & { entry: number }, LedgerEvent & { entry: number }];
    return [...es.slice(0, i), { ...b, entry: a.entry }, { ...a, entry: b.entry }, ...es.slice(i + 2)];
  });
  assert.equal((await auditLedger(swapped)).problems, [], 'the balances alone cannot tell the order');
  const report = await auditLedger(swapped, { recordHashOf });
  assert.equal(report.problems.length, 1, report.problems.join('\n'));
  assert.match(report.problems[0]!, digestProblem);
});

test('tampered batch: the receipt the auditor holds carries another amount than the one settled', async () => {
  const held = new Map(records);
  held.set(`settle:${c1}`, held.get(`settle:${c1}`)!.replace('"amountMinor":"1000"', '"amountMinor":"900"'));
  assert.not.equal(held.get(`settle:${c1}`), records.get(`settle:${c1}`));
  const report = await auditLedger(ledger, { recordHashOf: heldRecordHash(held) });
  assert.equal(report.problems.length, 1, report.problems.join('\n'));
  assert.match(report.problems[0]!, digestProblem);
});

test.after(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});
test.run();

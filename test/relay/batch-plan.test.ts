// What the outbox worker sends next (tools/relay/ledger-outbox/batch-plan.ts): a money row at the
// head alone; else one applyBatch of the contract rows that are valid whenever they land, an open
// and its settle (or correct) pending together as one settle entry; and how the batch's outcomes
// map back onto the rows (worker.ts rowOutcomes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { encodeBatch } from '../../tools/ledger/batch-encoding.ts';
import type { EntryOutcome } from '../../tools/ledger/ledger.ts';
import { type OutboxRow, OutboxRowError, planNextSend } from '../../tools/relay/ledger-outbox/batch-plan.ts';
import { rowOutcomes } from '../../tools/relay/ledger-outbox/worker.ts';

const A = '0x00000000000000000000000000000000000000aa' as Address;
const B = '0x00000000000000000000000000000000000000bb' as Address;
const REVENUE = '0x00000000000000000000000000000000000000ee' as Address;
const cid = (n: number) => `0x${n.toString(16).padStart(32, '0')}` as Hex;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

type Spec = [kind: OutboxRow['kind'], user: Address, contract?: number, to?: Address];
/** Rows with ids 1, 2, …: contract rows carry cap 1000, amount 400 and record hash = the row id. */
function rows(...specs: Spec[]): OutboxRow[] {
  return specs.map(([kind, user, contract, to], i) => ({
    id: i + 1, kind, contract_id: contract === undefined ? null : cid(contract), ref: contract === undefined ? hash(1000 + i) : null, user_address: user,
    to_address: to ?? null, cap_minor: contract === undefined ? null : 1000, amount_minor: kind === 'open' || kind === 'charge-cap' ? null : 400,
    capped: kind === 'open' ? 1 : null, hash: contract === undefined ? null : hash(i + 1),
  }));
}

/** The plan as text: `money #id`, or per entry `<kind> c<contract> [#ids]`. */
function planned(r: OutboxRow[], maxEntries?: number): string[] {
  const plan = planNextSend(r, REVENUE, maxEntries);
  if (plan.kind === 'money') return [`money #${plan.row.id}`];
  return plan.entries.map((e) => `${e.entry.kind} c${parseInt(e.entry.contractId, 16)} [${e.rows.map((x) => `#${x.id}`).join(' ')}]`);
}

const cases: { name: string; rows: OutboxRow[]; maxEntries?: number; want: string[] }[] = [
  { name: 'a money row at the head goes alone, even with contract rows behind it',
    rows: rows(['issue', A], ['open', B, 1]), want: ['money #1'] },
  { name: 'a transfer at the head goes alone', rows: rows(['transfer', A, undefined, B], ['settle', A, 9]), want: ['money #1'] },
  { name: 'opens of several users go in one batch, in outbox order',
    rows: rows(['open', A, 1], ['open', B, 2], ['open', A, 3]), want: ['open c1 [#1]', 'open c2 [#2]', 'open c3 [#3]'] },
  { name: 'an open and its settle pending together: one settle entry covering both rows, at the open\'s place',
    rows: rows(['open', A, 1], ['open', B, 2], ['settle', A, 1]), want: ['settle c1 [#1 #3]', 'open c2 [#2]'] },
  { name: 'an open and its correct pending together (no charge-cap pending): one settle entry',
    rows: rows(['open', A, 1], ['correct', A, 1]), want: ['settle c1 [#1 #2]'] },
  { name: 'open, charge-cap and correct pending together: three entries in order, the correct a settle entry',
    rows: rows(['open', A, 1], ['charge-cap', A, 1], ['correct', A, 1]), want: ['open c1 [#1]', 'charge-cap c1 [#2]', 'settle c1 [#3]'] },
  { name: 'an open waits for an older money row of its user (an advance); other users\' opens go past it',
    rows: rows(['open', B, 5], ['issue', A], ['open', A, 6], ['open', B, 7]), want: ['open c5 [#1]', 'open c7 [#4]'] },
  { name: 'a transfer holds both its accounts\' opens back',
    rows: rows(['open', A, 1], ['transfer', B, undefined, A], ['open', B, 3], ['open', A, 4]), want: ['open c1 [#1]'] },
  { name: 'a one-step settle waits like its open, and the settle goes with it later',
    rows: rows(['settle', B, 8], ['issue', A], ['open', A, 1], ['settle', A, 1]), want: ['settle c8 [#1]'] },
  { name: 'settles whose open landed go past older money rows of their user (they only release escrow)',
    rows: rows(['open', B, 4], ['redeem', A], ['settle', A, 2], ['open', A, 3]), want: ['open c4 [#1]', 'settle c2 [#3]'] },
  { name: 'a charge-cap goes past older money rows; it follows its open in the same batch',
    rows: rows(['open', B, 1], ['issue', A], ['charge-cap', A, 2], ['charge-cap', B, 1]), want: ['open c1 [#1]', 'charge-cap c2 [#3]', 'charge-cap c1 [#4]'] },
  { name: 'a charge-cap whose open waits, waits too',
    rows: rows(['open', B, 9], ['issue', A], ['open', A, 1], ['charge-cap', A, 1]), want: ['open c9 [#1]'] },
  { name: 'a correct waits for an older transfer out of the revenue account (a refund); a settle does not',
    rows: rows(['open', B, 9], ['transfer', REVENUE, undefined, B], ['correct', A, 1], ['settle', A, 2]), want: ['open c9 [#1]', 'settle c2 [#4]'] },
  { name: 'at most maxEntries entries; a one-step entry counts once',
    rows: rows(['open', A, 1], ['settle', A, 1], ['open', B, 2], ['open', A, 3]), maxEntries: 2, want: ['settle c1 [#1 #2]', 'open c2 [#3]'] },
  { name: 'one entry at a time (after a refused batch)',
    rows: rows(['open', A, 1], ['open', B, 2]), maxEntries: 1, want: ['open c1 [#1]'] },
];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    assert.equal(planned(c.rows, c.maxEntries), c.want);
  });
}

test('plan: the settle entry of an open and its settle carries the settle\'s amount and receipt hash, the open\'s user and cap', () => {
  const plan = planNextSend(rows(['open', A, 1], ['settle', A, 1]), REVENUE);
  assert.ok(plan.kind === 'batch');
  assert.equal(plan.entries[0]!.entry, { kind: 'settle', contractId: cid(1), user: A, capMinor: 1000n, amountMinor: 400n, recordHash: hash(2) });
});

test('plan: an open entry keeps capped and the contract hash', () => {
  const r = rows(['open', A, 1]);
  r[0]!.capped = 0;
  const plan = planNextSend(r, REVENUE);
  assert.ok(plan.kind === 'batch');
  assert.equal(plan.entries[0]!.entry, { kind: 'open', contractId: cid(1), user: A, capMinor: 1000n, capped: false, recordHash: hash(1) });
});

test('plan: bad input is refused with what is wrong', () => {
  assert.throws(() => planNextSend([], REVENUE), (e: unknown) => e instanceof RangeError && /nothing to plan/.test(e.message));
  assert.throws(() => planNextSend(rows(['open', A, 1]), REVENUE, 0), (e: unknown) => e instanceof RangeError && /maxEntries/.test(e.message));
  const noHash = rows(['charge-cap', A, 1]);
  noHash[0]!.hash = null;
  assert.throws(() => planNextSend(noHash, REVENUE), (e: unknown) => e instanceof OutboxRowError && /row 1 \(charge-cap 0x0+1\) has no record hash/.test(e.message));
});

test('plan: a row whose cap, amount or sequence does not fit the batch (uint32) goes alone; the client refuses that entry', () => {
  const big = rows(['open', A, 1], ['settle', B, 2], ['open', A, 3], ['settle', B, 3]);
  big[1]!.cap_minor = 2 ** 32;
  big[3]!.amount_minor = 2 ** 32;
  big[3]!.cap_minor = 2 ** 32;
  // rows 2 and 4 (and any later row of their contracts) wait; row 3 waits for its settle (row 4)
  assert.equal(planned(big), ['open c1 [#1]']);
  assert.equal(planned(big.slice(1)), ['settle c2 [#2]']);
  const plan = planNextSend(big.slice(1), REVENUE);
  assert.ok(plan.kind === 'batch');
  const onPile1 = plan.entries.map((e) => ({ ...e.entry, contractId: `0x01${e.entry.contractId.slice(4)}` as Hex })); // cid() names pile 0
  assert.throws(() => encodeBatch(onPile1), (e: unknown) => e instanceof RangeError && e.message === 'ledger batch: "entries[0].capMinor" expected 1..2^32-1, got 4294967296');
  const seq = rows(['open', A, 1], ['open', B, 2]);
  seq[0]!.contract_id = `0x${'01'.repeat(8)}0000000100000000`;
  assert.equal(planned(seq), [`open c${parseInt(seq[0]!.contract_id, 16)} [#1]`]);
  assert.equal(planned(seq.slice(1)), ['open c2 [#2]']);
  const fits = rows(['settle', A, 1]);
  fits[0]!.cap_minor = 2 ** 32 - 1;
  fits[0]!.amount_minor = 2 ** 32 - 1;
  assert.equal(planned([...fits, ...rows(['open', B, 2]).map((r) => ({ ...r, id: 2 }))]), ['settle c1 [#1]', 'open c2 [#2]']);
});

const TX = hash(0xabc);
const entriesOf = (r: OutboxRow[]) => {
  const plan = planNextSend(r, REVENUE);
  if (plan.kind !== 'batch') throw new Error('a batch expected');
  return plan.entries;
};
const applied = (contractId: Hex, from: EntryOutcome extends infer O ? O extends { from: infer F } ? F : never : never): EntryOutcome => ({ contractId, status: 'applied', from });
const shown = (o: ReturnType<typeof rowOutcomes>) => o.map((x) => `#${x.row.id} ${x.state}${x.duplicate ? ' duplicate' : ''} gas ${x.gasUsed}${x.error ? ` ${x.error}` : ''}`);

test('outcomes: a one-step settle from none marks both rows done; gas shared among the rows', () => {
  const entries = entriesOf(rows(['open', A, 1], ['settle', A, 1], ['open', B, 2]));
  assert.equal(shown(rowOutcomes(entries, [applied(cid(1), 'none'), applied(cid(2), 'none')], TX, 100n)), ['#1 done gas 33', '#2 done gas 33', '#3 done gas 34']);
});

test('outcomes: a one-step settle that found the contract open: the open row landed before (a duplicate), the settle is done', () => {
  const entries = entriesOf(rows(['open', A, 1], ['settle', A, 1]));
  assert.equal(shown(rowOutcomes(entries, [applied(cid(1), 'open-capped')], TX, 10n)), ['#1 done duplicate gas 5', '#2 done gas 5']);
});

test('outcomes: duplicate and rejected entries mark all their rows', () => {
  const entries = entriesOf(rows(['open', A, 1], ['settle', A, 1], ['charge-cap', B, 2]));
  assert.equal(shown(rowOutcomes(entries, [{ contractId: cid(1), status: 'duplicate' }, { contractId: cid(2), status: 'rejected', reason: 'wrong state' }], TX, 3n)), [
    '#1 done duplicate gas 1', '#2 done duplicate gas 1', `#3 rejected gas 1 charge-cap ${cid(2)} rejected: wrong state`,
  ]);
  assert.equal(shown(rowOutcomes(entries, [{ contractId: cid(1), status: 'rejected', reason: 'insufficient balance' }, applied(cid(2), 'open-capped')], TX, 0n)), [
    `#1 rejected gas 0 open ${cid(1)} rejected: insufficient balance`, `#2 rejected gas 0 settle ${cid(1)} rejected: insufficient balance`, '#3 done gas 0',
  ]);
});

test('outcomes: an answer with another number of outcomes than entries is refused', () => {
  const entries = entriesOf(rows(['open', A, 1], ['open', B, 2]));
  assert.throws(() => rowOutcomes(entries, [applied(cid(1), 'none')], TX, 1n), /1 outcomes for a batch of 2 entries/);
});

test.run();

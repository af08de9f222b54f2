// The applyBatch bytes, table-driven: hex vectors written out by hand from the layout
// (recordsDigest 32 ‖ userCount 1 ‖ pileCount 1 ‖ users 20 each ‖ piles 8 each ‖ entries 15 each:
// op 1 ‖ userIndex 1 ‖ pileIndex 1 ‖ seq 4 ‖ capMinor 4 ‖ amountMinor 4), RangeErrors for bad
// input, and the contract refusing a malformed batch whole, at the same byte offset the decoder names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFunctionData, getAddress, keccak256, type Address, type Hex } from 'viem';
import { loadLedgerArtifact } from '../../tools/ledger/artifact.ts';
import { decodeBatch, encodeBatch } from '../../tools/ledger/batch-encoding.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';
import { refOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry } from '../../tools/ledger/ledger.ts';
import { TxSender } from '../../tools/ledger/tx-sender.ts';

const userA = '0x00000000000000000000000000000000000000aa' as const;
const userB = '0x00000000000000000000000000000000000000Bb' as const; // any case in, lower case on the wire
const fill = (byte: string): Hex => `0x${byte.repeat(32)}`;

type Vector = { name: string; entries: BatchEntry[]; hex: string[] };

const vectors: Vector[] = [
  {
    name: 'one capped open',
    entries: [{ kind: 'open', contractId: '0x0102030405060708000000000000000f', user: userA, capMinor: 0x1234n, capped: true, recordHash: fill('11') }],
    hex: [
      '02d449a31fbb267c8f352e9968a79e3e5fc95c1bbeaa502fd6454ebde5a4bedc', // SHA-256(0x11 × 32), from sha256sum
      '01', '01',
      '00000000000000000000000000000000000000aa',
      '0102030405060708',
      '01' + '00' + '00' + '0000000f' + '00001234' + '00000000',
    ],
  },
  {
    name: 'settle, charge-cap and full open; tables sorted, entries kept in order, an open carries no amount',
    entries: [
      { kind: 'settle', contractId: '0x09000000000000010000000000000005', user: userB, capMinor: 0x100n, amountMinor: 0xffn, recordHash: fill('22') },
      { kind: 'charge-cap', contractId: '0x010000000000000200000000ffffffff', user: userA, capMinor: 7n, recordHash: fill('33') },
      { kind: 'open', contractId: '0x01000000000000020000000000000001', user: userB, capMinor: 1n, capped: false, recordHash: fill('44') },
    ],
    hex: [
      '13b77edc48e235edb5706329151cfc81ecbcaaaa72a5b985e09f1ed13a583922', // SHA-256(0x22 × 32 ‖ 0x33 × 32 ‖ 0x44 × 32)
      '02', '02',
      '00000000000000000000000000000000000000aa', '00000000000000000000000000000000000000bb',
      '0100000000000002', '0900000000000001',
      '03' + '01' + '01' + '00000005' + '00000100' + '000000ff',
      '04' + '00' + '00' + 'ffffffff' + '00000007' + '00000000',
      '02' + '01' + '00' + '00000001' + '00000001' + '00000000',
    ],
  },
];

const hexOf = (v: Vector): Hex => `0x${v.hex.join('')}`;

test('encodeBatch gives the hand-written bytes; decodeBatch reads them back', () => {
  for (const v of vectors) {
    assert.is(encodeBatch(v.entries), hexOf(v), v.name);
    const decoded = decodeBatch(hexOf(v));
    assert.is(decoded.recordsDigest, `0x${v.hex[0]}`);
    assert.equal(decoded.entries, v.entries.map((e) => ({
      op: e.kind,
      capped: e.kind === 'open' && e.capped,
      user: getAddress(e.user),
      contractId: e.contractId,
      capMinor: e.capMinor,
      amountMinor: e.kind === 'settle' ? e.amountMinor : 0n,
    })), v.name);
  }
  assert.equal(decodeBatch(hexOf(vectors[1]!)).users, [getAddress(userA), getAddress(userB)]);
  assert.equal(decodeBatch(hexOf(vectors[1]!)).piles, ['0x0100000000000002', '0x0900000000000001']);
});

const open: BatchEntry = vectors[0]!.entries[0]!;
const settle = vectors[1]!.entries[0]! as Extract<BatchEntry, { kind: 'settle' }>;
const manyUsers = (n: number): BatchEntry[] => Array.from({ length: n }, (_, i) => ({ ...open, user: `0x${(i + 1).toString(16).padStart(40, '0')}` as Address }));
const manyPiles = (n: number): BatchEntry[] => Array.from({ length: n }, (_, i) => ({ ...open, contractId: `0x${(i + 1).toString(16).padStart(16, '0')}0000000000000001` as Hex }));

const badEntries: [string, BatchEntry[], string][] = [
  ['no entries', [], 'ledger batch: expected at least 1 entry, got 0'],
  ['cap 0', [{ ...open, capMinor: 0n }], 'ledger batch: "entries[0].capMinor" expected 1..2^32-1, got 0'],
  ['cap 2^32', [open, { ...open, capMinor: 1n << 32n }], 'ledger batch: "entries[1].capMinor" expected 1..2^32-1, got 4294967296'],
  ['amount 2^32', [{ ...settle, capMinor: 1n << 32n, amountMinor: 1n << 32n }], 'ledger batch: "entries[0].capMinor" expected 1..2^32-1, got 4294967296'],
  ['amount 2^32 under a cap that fits', [{ ...settle, capMinor: (1n << 32n) - 1n, amountMinor: 1n << 32n }], 'ledger batch: "entries[0].amountMinor" expected 0..2^32-1, got 4294967296'],
  ['amount −1', [{ ...settle, amountMinor: -1n }], 'ledger batch: "entries[0].amountMinor" expected 0..2^32-1, got -1'],
  ['sequence 0', [{ ...open, contractId: '0x01020304050607080000000000000000' }], 'ledger batch: "entries[0].seq" expected 1..2^32-1, got 0'],
  ['sequence 2^32', [{ ...open, contractId: '0x01020304050607080000000100000000' }], 'ledger batch: "entries[0].seq" expected 1..2^32-1, got 4294967296'],
  ['short contract id', [{ ...open, contractId: '0x0102' }], 'ledger batch: "entries[0].contractId" expected 16 bytes hex, got 0x0102'],
  ['short user', [{ ...open, user: '0x12' }], 'ledger batch: "entries[0].user" expected 20 bytes hex, got 0x12'],
  ['short record hash', [open, { ...open, recordHash: '0x1234' }], 'ledger batch: "recordHash[1]" expected 32 bytes hex, got 0x1234'],
  ['user 0x0', [{ ...open, user: '0x0000000000000000000000000000000000000000' }], 'ledger batch: user 0x0 is not an account'],
  ['pile 0', [{ ...open, contractId: '0x00000000000000000000000000000001' }], 'ledger batch: pile id 0 is not a pile'],
  ['unknown kind', [{ ...open, kind: 'correct' } as unknown as BatchEntry], 'ledger batch: entries[0].kind expected open, settle or charge-cap, got correct'],
  ['256 users', manyUsers(256), 'ledger batch: expected at most 255 users, got 256'],
  ['256 piles', manyPiles(256), 'ledger batch: expected at most 255 piles, got 256'],
];

test('encodeBatch refuses what the contract would refuse, with a RangeError naming the field', () => {
  for (const [name, entries, message] of badEntries) {
    assert.throws(() => encodeBatch(entries), (e: unknown) => e instanceof RangeError && e.message === message, `${name}: expected "${message}"`);
  }
  assert.ok(decodeBatch(encodeBatch(manyUsers(255))).users.length === 255, '255 users fit');
  assert.ok(decodeBatch(encodeBatch(manyPiles(255))).piles.length === 255, '255 piles fit');
});

/** `hex` with `bytes` (hex digits) written at byte `offset`. */
const patch = (hex: Hex, offset: number, bytes: string): Hex => `0x${hex.slice(2, 2 + offset * 2)}${bytes}${hex.slice(2 + offset * 2 + bytes.length)}`;
const one = hexOf(vectors[0]!); // entries at byte 62
const three = hexOf(vectors[1]!); // piles at 74, entries at 90, 105, 120

/** Malformed batches and the byte offset both the decoder and the contract name. */
const malformed: [string, Hex, number, string][] = [
  ['shorter than the header', `0x${'00'.repeat(10)}`, 10, 'expected at least 34 bytes, got 10'],
  ['no users', patch(one, 32, '00'), 32, 'no users'],
  ['no piles', patch(one, 33, '00'), 33, 'no piles'],
  ['a byte short', one.slice(0, -2) as Hex, 76, 'length 76 is not 62 + 15 × entries'],
  ['no entries', one.slice(0, 2 + 62 * 2) as Hex, 62, 'length 62 is not 62 + 15 × entries'],
  ['users not ascending', patch(patch(three, 34, '00000000000000000000000000000000000000bb'), 54, '00000000000000000000000000000000000000aa'), 54, 'users not strictly ascending and non-zero'],
  ['user 0x0', patch(one, 34, '00'.repeat(20)), 34, 'users not strictly ascending and non-zero'],
  ['piles not ascending', patch(three, 82, '0100000000000002'), 82, 'piles not strictly ascending and non-zero'],
  ['op 0', patch(one, 62, '00'), 62, 'op 0'],
  ['op 5', patch(one, 62, '05'), 62, 'op 5'],
  ['user index out of range', patch(one, 63, '01'), 63, 'user index 1 of 1'],
  ['pile index out of range (third entry)', patch(three, 122, '02'), 122, 'pile index 2 of 2'],
  ['sequence 0', patch(one, 65, '00000000'), 65, 'sequence 0'],
  ['cap 0', patch(one, 69, '00000000'), 69, 'cap 0'],
  ['an amount on an open', patch(one, 73, '00000001'), 73, 'an amount on an entry that is not a settle'],
  ['an amount on a charge-cap', patch(three, 105 + 11, '00000001'), 116, 'an amount on an entry that is not a settle'],
];

test('decodeBatch refuses a malformed batch with a RangeError naming the byte offset', () => {
  for (const [name, batch, offset, what] of malformed) {
    const message = `ledger batch: malformed at byte ${offset}: ${what}`;
    assert.throws(() => decodeBatch(batch), (e: unknown) => e instanceof RangeError && e.message === message, `${name}: expected "${message}"`);
  }
  assert.throws(() => decodeBatch('0x123' as Hex), (e: unknown) => e instanceof RangeError && e.message === 'ledger batch: "batch" expected 0x and whole bytes of hex');
});

test('the contract refuses each malformed batch whole (BadBatch at the same offset); mined anyway, it reverts and changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-batch-encoding-'));
  const l = await openEmbeddedLedger(dir, { deploy: true });
  try {
    const { abi } = loadLedgerArtifact();
    const { client, account, deliver, sender: options } = l.chain.parts;
    const sender = new TxSender(client, account, abi, deliver, options);
    const applyBatch = (batch: Hex) => encodeFunctionData({ abi, functionName: 'applyBatch', args: [batch] });
    for (const [name, batch, offset] of malformed) {
      await sender.send(l.address, applyBatch(batch)).then(
        () => assert.unreachable(`${name}: the contract accepted it`),
        (e: unknown) => {
          assert.ok(e instanceof LedgerError && e.code === 'reverted', `${name}: ${String(e)}`);
          assert.is((e as LedgerError).message, `batch refused: malformed at byte ${offset}`, name);
        },
      );
    }
    // A batch whose first entry is a valid open of a funded user and whose second is malformed,
    // forced on chain past the estimate: the transaction reverts and the open is undone with it.
    const user = getAddress(userA);
    await l.issue(user, 10_000n, refOf('fund'));
    const valid = encodeBatch([open, { ...open, contractId: '0x01020304050607080000000000000010' }]);
    const bad = patch(valid, 62 + 15 + 7, '00000000'); // the second entry's cap → 0
    const before = { balance: await l.balanceOf(user), escrow: await l.escrowOf(user), totals: await l.totals(), events: (await l.history()).length };
    const raw = await account.signTransaction({
      type: 'eip1559', chainId: await client.getChainId(), nonce: await client.getTransactionCount({ address: account.address }),
      gas: 1_000_000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000n, to: l.address, data: applyBatch(bad),
    });
    await deliver(raw);
    const receipt = await client.getTransactionReceipt({ hash: keccak256(raw) });
    assert.is(receipt.status, 'reverted');
    assert.equal({ balance: await l.balanceOf(user), escrow: await l.escrowOf(user), totals: await l.totals(), events: (await l.history()).length }, before);
    assert.is(await l.record(open.contractId), 'none');
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

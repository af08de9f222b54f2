// The bytes of one applyBatch (tools/ledger/sol/BatchLayout.sol has the layout): the encoder the
// client sends, the decoder every reader of a Batch event uses, and the records digest.
import { createHash } from 'node:crypto';
import { getAddress, type Address, type Hex } from 'viem';
import type { BatchEntry } from './ledger.ts';

const HEADER_BYTES = 34;
const USER_BYTES = 20;
const PILE_BYTES = 8;
const ENTRY_BYTES = 15;
const TABLE_MAX = 255;
const maxUint32 = (1n << 32n) - 1n;

/** Entry op codes. */
const ops = Object.freeze({ openCapped: 1, openFull: 2, settle: 3, chargeCap: 4 });

export type DecodedEntry = {
  op: BatchEntry['kind'];
  capped: boolean;
  user: Address;
  contractId: Hex;
  capMinor: bigint;
  amountMinor: bigint;
};
export type DecodedBatch = { recordsDigest: Hex; users: Address[]; piles: Hex[]; entries: DecodedEntry[] };

/** `^0x` and exactly `bytes` bytes of hex, by byte count: compiled once each (a batch checks hundreds of fields). */
const hexPatterns = new Map<number, RegExp>();

function hexBytes(name: string, value: string, bytes: number): string {
  let pattern = hexPatterns.get(bytes);
  if (!pattern) hexPatterns.set(bytes, (pattern = new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`)));
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new RangeError(`ledger batch: "${name}" expected ${bytes} bytes hex, got ${String(value)}`);
  }
  return value.slice(2).toLowerCase();
}

const fitsUint32 = (value: bigint, nonZero: boolean): boolean => typeof value === 'bigint' && value >= (nonZero ? 1n : 0n) && value <= maxUint32;

/** seq, cap and amount are uint32 on the wire (BatchLayout.sol). */
function uint32Hex(name: string, value: bigint, nonZero: boolean): string {
  if (!fitsUint32(value, nonZero)) {
    throw new RangeError(`ledger batch: "${name}" expected ${nonZero ? '1' : '0'}..2^32-1, got ${String(value)}`);
  }
  return value.toString(16).padStart(8, '0');
}

/** An entry's uint32 fields in wire order: seq (from a well-formed contract id), cap, amount (0 but on a settle). */
function uint32Fields(e: BatchEntry): { name: string; value: bigint; nonZero: boolean }[] {
  return [
    { name: 'seq', value: BigInt(`0x${e.contractId.slice(18)}`), nonZero: true },
    { name: 'capMinor', value: e.capMinor, nonZero: true },
    { name: 'amountMinor', value: e.kind === 'settle' ? e.amountMinor : 0n, nonZero: false },
  ];
}

/** Whether the entry's seq, cap and amount fit the batch's uint32 fields (encodeBatch refuses it otherwise). */
export function fitsBatchFields(entry: BatchEntry): boolean {
  return /^0x[0-9a-fA-F]{32}$/.test(entry.contractId) && uint32Fields(entry).every((f) => fitsUint32(f.value, f.nonZero));
}

/** SHA-256 of the entries' record hashes in entry order. */
export function recordsDigestOf(recordHashes: readonly Hex[]): Hex {
  const hash = createHash('sha256');
  recordHashes.forEach((h, i) => hash.update(Buffer.from(hexBytes(`recordHash[${i}]`, h, 32), 'hex')));
  return `0x${hash.digest('hex')}`;
}

/** Tables sorted ascending, entries in the given order. Throws RangeError on anything the contract would refuse. */
export function encodeBatch(entries: readonly BatchEntry[]): Hex {
  if (entries.length === 0) throw new RangeError('ledger batch: expected at least 1 entry, got 0');
  const users = [...new Set(entries.map((e, i) => hexBytes(`entries[${i}].user`, e.user, 20)))].sort();
  const piles = [...new Set(entries.map((e, i) => hexBytes(`entries[${i}].contractId`, e.contractId, 16).slice(0, 16)))].sort();
  if (users.length > TABLE_MAX) throw new RangeError(`ledger batch: expected at most ${TABLE_MAX} users, got ${users.length}`);
  if (piles.length > TABLE_MAX) throw new RangeError(`ledger batch: expected at most ${TABLE_MAX} piles, got ${piles.length}`);
  if (users[0] === '0'.repeat(40)) throw new RangeError('ledger batch: user 0x0 is not an account');
  if (piles[0] === '0'.repeat(16)) throw new RangeError('ledger batch: pile id 0 is not a pile');
  const parts = [
    recordsDigestOf(entries.map((e) => e.recordHash)).slice(2),
    users.length.toString(16).padStart(2, '0'),
    piles.length.toString(16).padStart(2, '0'),
    ...users,
    ...piles,
  ];
  entries.forEach((e, i) => {
    const id = e.contractId.slice(2).toLowerCase();
    const op = e.kind === 'open' ? (e.capped ? ops.openCapped : ops.openFull) : e.kind === 'settle' ? ops.settle : e.kind === 'charge-cap' ? ops.chargeCap : 0;
    if (op === 0) throw new RangeError(`ledger batch: entries[${i}].kind expected open, settle or charge-cap, got ${String((e as { kind: unknown }).kind)}`);
    parts.push(
      op.toString(16).padStart(2, '0'),
      users.indexOf(e.user.slice(2).toLowerCase()).toString(16).padStart(2, '0'),
      piles.indexOf(id.slice(0, 16)).toString(16).padStart(2, '0'),
      ...uint32Fields(e).map((f) => uint32Hex(`entries[${i}].${f.name}`, f.value, f.nonZero)),
    );
  });
  return `0x${parts.join('')}`;
}

/** Reads a batch back (from a Batch event); throws RangeError naming the byte offset of what is malformed. */
export function decodeBatch(batch: Hex): DecodedBatch {
  if (typeof batch !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(batch)) throw new RangeError('ledger batch: "batch" expected 0x and whole bytes of hex');
  const hex = batch.slice(2).toLowerCase();
  const bytes = hex.length / 2;
  const at = (offset: number, length: number) => hex.slice(offset * 2, (offset + length) * 2);
  const bad = (offset: number, what: string) => new RangeError(`ledger batch: malformed at byte ${offset}: ${what}`);
  if (bytes < HEADER_BYTES) throw bad(bytes, `expected at least ${HEADER_BYTES} bytes, got ${bytes}`);
  const userCount = parseInt(at(32, 1), 16);
  const pileCount = parseInt(at(33, 1), 16);
  if (userCount === 0) throw bad(32, 'no users');
  if (pileCount === 0) throw bad(33, 'no piles');
  const pilesAt = HEADER_BYTES + userCount * USER_BYTES;
  const entriesAt = pilesAt + pileCount * PILE_BYTES;
  if (bytes <= entriesAt || (bytes - entriesAt) % ENTRY_BYTES !== 0) throw bad(bytes, `length ${bytes} is not ${entriesAt} + ${ENTRY_BYTES} × entries`);
  const users = Array.from({ length: userCount }, (_, u) => at(HEADER_BYTES + u * USER_BYTES, USER_BYTES));
  const piles = Array.from({ length: pileCount }, (_, p) => at(pilesAt + p * PILE_BYTES, PILE_BYTES));
  users.forEach((u, i) => { if (u <= (users[i - 1] ?? '0'.repeat(40))) throw bad(HEADER_BYTES + i * USER_BYTES, 'users not strictly ascending and non-zero'); });
  piles.forEach((p, i) => { if (p <= (piles[i - 1] ?? '0'.repeat(16))) throw bad(pilesAt + i * PILE_BYTES, 'piles not strictly ascending and non-zero'); });
  const entries: DecodedEntry[] = [];
  for (let offset = entriesAt; offset < bytes; offset += ENTRY_BYTES) {
    const op = parseInt(at(offset, 1), 16);
    const userIndex = parseInt(at(offset + 1, 1), 16);
    const pileIndex = parseInt(at(offset + 2, 1), 16);
    const seq = BigInt(`0x${at(offset + 3, 4)}`);
    const capMinor = BigInt(`0x${at(offset + 7, 4)}`);
    const amountMinor = BigInt(`0x${at(offset + 11, 4)}`);
    if (op < ops.openCapped || op > ops.chargeCap) throw bad(offset, `op ${op}`);
    if (userIndex >= userCount) throw bad(offset + 1, `user index ${userIndex} of ${userCount}`);
    if (pileIndex >= pileCount) throw bad(offset + 2, `pile index ${pileIndex} of ${pileCount}`);
    if (seq === 0n) throw bad(offset + 3, 'sequence 0');
    if (capMinor === 0n) throw bad(offset + 7, 'cap 0');
    if (op !== ops.settle && amountMinor !== 0n) throw bad(offset + 11, 'an amount on an entry that is not a settle');
    entries.push({
      op: op === ops.settle ? 'settle' : op === ops.chargeCap ? 'charge-cap' : 'open',
      capped: op === ops.openCapped,
      user: getAddress(`0x${users[userIndex]}`),
      contractId: `0x${piles[pileIndex]}${seq.toString(16).padStart(16, '0')}`,
      capMinor,
      amountMinor,
    });
  }
  return { recordsDigest: `0x${at(0, 32)}`, users: users.map((u) => getAddress(`0x${u}`)), piles: piles.map((p): Hex => `0x${p}`), entries };
}

// The embedded chain's state snapshot file (README "Adapters"): one header line
//   tapcharge-ledger-snapshot/1 sha256=<SHA-256 of the body, hex>\n
// then the body, JSON: the data folder's identity (chain id, genesis time), the block it was
// taken at (number, timestamp, gas limit, the next block's base fee, state root), the journal position it
// stands for, and every account with its balance, nonce, code and non-zero storage slots.
// Quantities are 0x hex. A file is untrusted until it decodes: any other byte is refused.
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import type { JournalPosition } from './journal.ts';

export type SnapshotAccount = { address: Hex; balance: bigint; nonce: bigint; code: Hex; storage: Map<Hex, bigint> };

export type ChainSnapshot = {
  chainId: number;
  genesisTimeS: number;
  blockNumber: bigint;
  blockTimestampS: bigint;
  nextBaseFeePerGas: bigint;
  blockGasLimit: bigint;
  stateRoot: Hex;
  journal: JournalPosition;
  accounts: SnapshotAccount[];
};

/** A snapshot file that must not be trusted; the message says why. */
export class SnapshotRefused extends Error {
  override readonly name = 'SnapshotRefused';
}

const magic = 'tapcharge-ledger-snapshot/1';
const headerPattern = /^tapcharge-ledger-snapshot\/1 sha256=([0-9a-f]{64})\n/;
const hex = (n: bigint): Hex => `0x${n.toString(16)}`;
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function encodeSnapshot(s: ChainSnapshot): Uint8Array {
  const body = JSON.stringify({
    chainId: s.chainId,
    genesisTimeS: s.genesisTimeS,
    blockNumber: hex(s.blockNumber),
    blockTimestampS: hex(s.blockTimestampS),
    nextBaseFeePerGas: hex(s.nextBaseFeePerGas),
    blockGasLimit: hex(s.blockGasLimit),
    stateRoot: s.stateRoot,
    journal: s.journal,
    accounts: s.accounts.map((a) => ({
      address: a.address,
      balance: hex(a.balance),
      nonce: hex(a.nonce),
      code: a.code,
      storage: [...a.storage].map(([slot, value]) => [slot, hex(value)]),
    })),
  });
  const bodyBytes = new TextEncoder().encode(body);
  const header = new TextEncoder().encode(`${magic} sha256=${sha256Hex(bodyBytes)}\n`);
  const file = new Uint8Array(header.length + bodyBytes.length);
  file.set(header);
  file.set(bodyBytes, header.length);
  return file;
}

type Json = Record<string, unknown>;

function field<T>(o: Json, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[name];
  if (!check(v)) throw new SnapshotRefused(`"${name}": expected ${what}`);
  return v;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isQuantity = (v: unknown): v is Hex => typeof v === 'string' && /^0x(0|[1-9a-f][0-9a-f]{0,63})$/.test(v);
const isWord = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v);
const isAddress = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-f]{40}$/.test(v);
const isCode = (v: unknown): v is Hex => typeof v === 'string' && /^0x([0-9a-f]{2})*$/.test(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isFrameAt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= -1;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function decodeAccount(v: unknown, i: number): SnapshotAccount {
  if (!isObject(v)) throw new SnapshotRefused(`account ${i}: expected an object`);
  const storage = new Map<Hex, bigint>();
  for (const pair of field(v, 'storage', isArray, 'an array of [slot, value]')) {
    if (!isArray(pair) || pair.length !== 2 || !isWord(pair[0]) || !isQuantity(pair[1]) || pair[1] === '0x0') throw new SnapshotRefused(`account ${i}: bad storage entry`);
    if (storage.has(pair[0])) throw new SnapshotRefused(`account ${i}: slot ${pair[0]} twice`);
    storage.set(pair[0], BigInt(pair[1]));
  }
  return {
    address: field(v, 'address', isAddress, 'a lower-case 0x address'),
    balance: BigInt(field(v, 'balance', isQuantity, 'a 0x quantity')),
    nonce: BigInt(field(v, 'nonce', isQuantity, 'a 0x quantity')),
    code: field(v, 'code', isCode, '0x bytes'),
    storage,
  };
}

/** Decodes a snapshot file; throws SnapshotRefused for a torn, corrupt or foreign file. */
export function decodeSnapshot(file: Uint8Array): ChainSnapshot {
  const head = new TextDecoder().decode(file.subarray(0, 120));
  const match = headerPattern.exec(head);
  if (!match) throw new SnapshotRefused(`not a ${magic} file (bad header line)`);
  const body = file.subarray(match[0].length);
  if (sha256Hex(body) !== match[1]) throw new SnapshotRefused('SHA-256 of the content does not match its header (torn or corrupt)');
  let o: unknown;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new SnapshotRefused(`body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(o)) throw new SnapshotRefused('body: expected an object');
  const journal = field(o, 'journal', isObject, 'an object');
  const accounts = field(o, 'accounts', isArray, 'an array').map(decodeAccount);
  if (new Set(accounts.map((a) => a.address)).size !== accounts.length) throw new SnapshotRefused('an account appears twice');
  return {
    chainId: field(o, 'chainId', isCount, 'a chain id'),
    genesisTimeS: field(o, 'genesisTimeS', isCount, 'seconds'),
    blockNumber: BigInt(field(o, 'blockNumber', isQuantity, 'a 0x quantity')),
    blockTimestampS: BigInt(field(o, 'blockTimestampS', isQuantity, 'a 0x quantity')),
    nextBaseFeePerGas: BigInt(field(o, 'nextBaseFeePerGas', isQuantity, 'a 0x quantity')),
    blockGasLimit: BigInt(field(o, 'blockGasLimit', isQuantity, 'a 0x quantity')),
    stateRoot: field(o, 'stateRoot', isWord, 'a 32-byte 0x hash'),
    journal: {
      bytes: field(journal, 'bytes', isCount, 'a byte count'),
      lastFrameAt: field(journal, 'lastFrameAt', isFrameAt, 'a byte offset'),
      lastFrameCrc: field(journal, 'lastFrameCrc', isCount, 'a CRC-32'),
    },
    accounts,
  };
}

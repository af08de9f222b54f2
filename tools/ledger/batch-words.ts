// Calldata layout of openBatch / settleBatch: three bytes32 words per entry (TapchargeLedger.sol).
import type { Address, Hex } from 'viem';
import type { OpenEntry, SettleEntry } from './ledger.ts';

const maxUint64 = (1n << 64n) - 1n;

function uint64(name: string, value: bigint): bigint {
  if (value < 0n || value > maxUint64) throw new RangeError(`ledger: "${name}" expected 0..2^64-1, got ${value}`);
  return value;
}

function bytes32(name: string, value: Hex): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new RangeError(`ledger: "${name}" expected 32 bytes hex, got ${value}`);
  return value;
}

function idBits(contractId: Hex): bigint {
  if (!/^0x[0-9a-fA-F]{32}$/.test(contractId)) throw new RangeError(`ledger: "contractId" expected 16 bytes hex, got ${contractId}`);
  return BigInt(contractId) << 128n;
}

function userWord(user: Address): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(user)) throw new RangeError(`ledger: "user" expected a 20-byte address, got ${user}`);
  return `0x${user.slice(2).toLowerCase().padStart(64, '0')}`;
}

function word(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, '0')}`;
}

export function openWords(entries: OpenEntry[]): Hex[] {
  return entries.flatMap((e) => [
    word(idBits(e.contractId) | (uint64('capMinor', e.capMinor) << 64n) | (e.capped ? 1n : 0n)),
    userWord(e.user),
    bytes32('contractHash', e.contractHash),
  ]);
}

export function settleWords(entries: SettleEntry[]): Hex[] {
  return entries.flatMap((e) => [
    word(idBits(e.contractId) | (uint64('capMinor', e.capMinor) << 64n) | uint64('amountMinor', e.amountMinor)),
    userWord(e.user),
    bytes32('receiptHash', e.receiptHash),
  ]);
}

// Decoding TapchargeLedger logs into LedgerEvent values, and per-entry outcomes of a write.
import { decodeEventLog, type Abi, type Hex, type Log } from 'viem';
import type { EntryOutcome, LedgerEvent } from './ledger.ts';

/** Reason codes of the Skipped event and the Rejected error (TapchargeLedger.sol). */
export const skipReasons: Readonly<Record<number, string>> = Object.freeze({
  1: 'duplicate',
  2: 'wrong state',
  3: 'insufficient balance',
  4: 'amount above cap',
  5: 'escrow short',
  6: 'revenue account short',
  7: 'bad entry',
});
export const opNames: Readonly<Record<number, string>> = Object.freeze({ 1: 'open', 2: 'settle', 3: 'charge-cap', 4: 'correct' });

type Args = Record<string, unknown>;

const mask64 = (1n << 64n) - 1n;

/** An entry word: contractId (128 bits) ‖ capMinor (64) ‖ low 64 bits (flags or amountMinor). */
function unpack(entry: Hex): { contractId: Hex; capMinor: bigint; low: bigint } {
  const value = BigInt(entry);
  return { contractId: `0x${entry.slice(2, 34)}`, capMinor: (value >> 64n) & mask64, low: value & mask64 };
}

function describe(eventName: string, a: Args): LedgerEvent | undefined {
  const base = { blockNumber: 0n, txHash: '0x' as Hex, logIndex: 0 };
  switch (eventName) {
    case 'Issued': return { ...base, kind: 'issued', account: a.to as Hex, amountMinor: a.amountMinor as bigint, ref: a.ref as Hex };
    case 'Redeemed': return { ...base, kind: 'redeemed', account: a.from as Hex, amountMinor: a.amountMinor as bigint, ref: a.ref as Hex };
    case 'Transfer': return { ...base, kind: 'transfer', from: a.from as Hex, to: a.to as Hex, amountMinor: a.value as bigint };
    case 'Opened': {
      const e = unpack(a.entry as Hex);
      return { ...base, kind: 'opened', contractId: e.contractId, user: a.user as Hex, capMinor: e.capMinor, capped: (e.low & 1n) === 1n, contractHash: a.contractHash as Hex };
    }
    case 'Settled': {
      const e = unpack(a.entry as Hex);
      return { ...base, kind: 'settled', contractId: e.contractId, user: a.user as Hex, capMinor: e.capMinor, amountMinor: e.low, receiptHash: a.receiptHash as Hex };
    }
    case 'ChargedAtCap': {
      const e = unpack(a.entry as Hex);
      return { ...base, kind: 'charged-at-cap', contractId: e.contractId, user: a.user as Hex, capMinor: e.capMinor };
    }
    case 'Corrected': {
      const e = unpack(a.entry as Hex);
      return { ...base, kind: 'corrected', contractId: e.contractId, user: a.user as Hex, capMinor: e.capMinor, amountMinor: e.low, receiptHash: a.receiptHash as Hex };
    }
    case 'Skipped': return { ...base, kind: 'skipped', contractId: a.contractId as Hex, op: opNames[Number(a.op)] ?? `op ${a.op}`, reason: skipReasons[Number(a.reason)] ?? `reason ${a.reason}` };
    case 'RefDuplicate': return { ...base, kind: 'ref-duplicate', ref: a.ref as Hex };
    case 'OperatorSet': return { ...base, kind: 'operator-set', account: a.account as Hex, enabled: a.enabled as boolean };
    case 'PausedSet': return { ...base, kind: 'paused-set', paused: a.paused as boolean };
    default: return undefined;
  }
}

export function decodeLedgerLogs(abi: Abi, logs: readonly Log[]): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  for (const log of logs) {
    const decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
    const event = describe(decoded.eventName ?? '', (decoded.args ?? {}) as Args);
    if (!event) continue;
    events.push({ ...event, blockNumber: log.blockNumber ?? 0n, txHash: log.transactionHash ?? '0x', logIndex: log.logIndex ?? 0 });
  }
  return events;
}

/** Each entry of a write emits exactly one applied-event or one Skipped event, in entry order. */
export function outcomesOf(events: LedgerEvent[], appliedKind: LedgerEvent['kind'], contractIds: Hex[]): EntryOutcome[] {
  const perEntry = events.filter((e) => e.kind === appliedKind || e.kind === 'skipped');
  if (perEntry.length !== contractIds.length) throw new Error(`ledger: expected ${contractIds.length} entry events, got ${perEntry.length}`);
  return perEntry.map((e, i): EntryOutcome => {
    const contractId = contractIds[i]!;
    if (e.kind !== 'skipped') return { contractId, status: 'applied' };
    return e.reason === 'duplicate' ? { contractId, status: 'duplicate' } : { contractId, status: 'rejected', reason: e.reason };
  });
}

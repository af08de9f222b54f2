// Decoding TapchargeLedger logs into LedgerEvent values: a Batch log becomes a 'batch' event and
// one event per entry (its batch read from its transaction, batch-log.ts); the per-entry outcomes
// of a write.
import { decodeEventLog, type Abi, type Hex, type Log } from 'viem';
import { decodeBatch } from './batch-encoding.ts';
import { batchOfLog, type LogTransaction } from './batch-log.ts';
import type { EntryOutcome, LedgerEvent } from './ledger.ts';

/** Reasons of a skipped entry: its outcome byte is 0x80 | reason (TapchargeLedger.sol). */
const skipReasons: Readonly<Record<number, string>> = Object.freeze({
  1: 'duplicate',
  2: 'wrong state',
  3: 'insufficient balance',
  4: 'amount above cap',
  5: 'escrow short',
  6: 'revenue account short',
});
const SKIPPED = 0x80;
/** An applied entry's outcome byte: the state it found. */
const foundStates = ['none', 'open-capped', 'open-full', 'charged-at-cap'] as const;

type Args = Record<string, unknown>;
type Position = { blockNumber: bigint; txHash: Hex; logIndex: number };

function batchEvents(batch: Hex, outcomes: Hex, at: Position): LedgerEvent[] {
  const decoded = decodeBatch(batch);
  const bytes = outcomes.slice(2);
  if (bytes.length !== decoded.entries.length * 2) throw new RangeError(`ledger: Batch event with ${decoded.entries.length} entries has ${bytes.length / 2} outcomes`);
  const events: LedgerEvent[] = [{ ...at, kind: 'batch', recordsDigest: decoded.recordsDigest, entries: decoded.entries.length }];
  decoded.entries.forEach((e, entry) => {
    const outcome = parseInt(bytes.slice(entry * 2, entry * 2 + 2), 16);
    const base = { ...at, entry, contractId: e.contractId, user: e.user };
    if (outcome & SKIPPED) {
      events.push({ ...base, kind: 'skipped', op: e.op, reason: skipReasons[outcome & 0x7f] ?? `reason ${outcome & 0x7f}` });
      return;
    }
    const from = foundStates[outcome];
    if (from === undefined) throw new RangeError(`ledger: Batch entry ${entry} has outcome byte ${outcome}`);
    const moved = { ...base, capMinor: e.capMinor };
    if (e.op === 'open') events.push({ ...moved, kind: 'opened', capped: e.capped });
    else if (e.op === 'charge-cap') events.push({ ...moved, kind: 'charged-at-cap' });
    else if (from === 'charged-at-cap') events.push({ ...moved, kind: 'corrected', amountMinor: e.amountMinor });
    else events.push({ ...moved, kind: 'settled', from, amountMinor: e.amountMinor });
  });
  return events;
}

function describe(eventName: string, a: Args, at: Position, batchOf: (batchHash: Hex) => Hex): LedgerEvent[] {
  switch (eventName) {
    case 'Issued': return [{ ...at, kind: 'issued', account: a.to as Hex, amountMinor: a.amountMinor as bigint, ref: a.ref as Hex }];
    case 'Redeemed': return [{ ...at, kind: 'redeemed', account: a.from as Hex, amountMinor: a.amountMinor as bigint, ref: a.ref as Hex }];
    case 'Transfer': return [{ ...at, kind: 'transfer', from: a.from as Hex, to: a.to as Hex, amountMinor: a.value as bigint }];
    case 'Batch': return batchEvents(batchOf(a.batchHash as Hex), a.outcomes as Hex, at);
    case 'RefDuplicate': return [{ ...at, kind: 'ref-duplicate', ref: a.ref as Hex }];
    case 'OperatorSet': return [{ ...at, kind: 'operator-set', account: a.account as Hex, enabled: a.enabled as boolean }];
    case 'PausedSet': return [{ ...at, kind: 'paused-set', paused: a.paused as boolean }];
    default: return [];
  }
}

/** The events of `logs`; `transactionOf` gives the transaction of a Batch log (by its hash). */
export function decodeLedgerLogs(abi: Abi, logs: readonly Log[], transactionOf: (txHash: Hex) => LogTransaction | undefined): LedgerEvent[] {
  return logs.flatMap((log) => {
    const decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
    const at = { blockNumber: log.blockNumber ?? 0n, txHash: log.transactionHash ?? '0x', logIndex: log.logIndex ?? 0 };
    const batchOf = (batchHash: Hex) => batchOfLog(abi, log, batchHash, log.transactionHash ? transactionOf(log.transactionHash) : undefined);
    return describe(decoded.eventName ?? '', (decoded.args ?? {}) as Args, at, batchOf);
  });
}

/** The outcome of each entry of one applyBatch, in entry order, from the write's events. */
export function outcomesOf(events: readonly LedgerEvent[], contractIds: readonly Hex[]): EntryOutcome[] {
  const perEntry = events.filter((e) => 'entry' in e);
  if (perEntry.length !== contractIds.length) throw new Error(`ledger: expected ${contractIds.length} entry events, got ${perEntry.length}`);
  return perEntry.map((e, i): EntryOutcome => {
    const contractId = contractIds[i]!;
    switch (e.kind) {
      case 'skipped': return e.reason === 'duplicate' ? { contractId, status: 'duplicate' } : { contractId, status: 'rejected', reason: e.reason };
      case 'opened': return { contractId, status: 'applied', from: 'none' };
      case 'charged-at-cap': return { contractId, status: 'applied', from: 'open-capped' };
      case 'corrected': return { contractId, status: 'applied', from: 'charged-at-cap' };
      case 'settled': return { contractId, status: 'applied', from: e.from };
      default: throw new Error('ledger: unexpected event among a batch\'s entries');
    }
  });
}

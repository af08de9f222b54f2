// The fixed write sequence of the crash test (crash.test.ts runs it in crash-writer.ts children).
// Every op is idempotent on chain (refs, contract ids), so a child resuming after a kill may
// repeat the op that was in flight.
import type { Address } from 'viem';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { BatchEntry, Ledger } from '../../tools/ledger/ledger.ts';
import { chargeCapEntry, openEntry, settleEntry } from './entries.ts';
import type { LedgerModel, OpenEntry } from './model.ts';
import { prng } from '../support/prng.ts';

export type CrashOp =
  | { kind: 'issue'; user: Address; amountMinor: bigint; ref: `0x${string}` }
  | { kind: 'transfer'; from: Address; to: Address; amountMinor: bigint; ref: `0x${string}` }
  | { kind: 'batch'; entries: BatchEntry[] };

export const crashUsers: Address[] = [1, 2, 3, 4].map((n) => userAddressOf(new Uint8Array(8).fill(0x10 + n)));
const pile = Uint8Array.from([0xcc, 1, 1, 1, 1, 1, 1, 1]);

/** Opens in batches of 1–3; settles, charges at cap and one-step settlements one per batch; transfers. */
export function crashOps(count: number): CrashOp[] {
  const r = prng(77);
  const ops: CrashOp[] = crashUsers.map((user, i) => ({ kind: 'issue', user, amountMinor: 1_000_000n, ref: refOf(`crash-top-${i}`) }));
  const open: OpenEntry[] = [];
  let seq = 1n;
  const nextId = () => contractIdOf(pile, (seq += 2n));
  while (ops.length < count) {
    const roll = r.int(0, 9);
    if (roll < 3 || open.length === 0) {
      const entries = Array.from({ length: r.int(1, 3) }, () => openEntry(nextId(), r.pick(crashUsers), BigInt(r.int(500, 5_000)), r.chance(0.5)));
      open.push(...entries);
      ops.push({ kind: 'batch', entries });
    } else if (roll < 8) {
      const o = open.splice(r.int(0, open.length - 1), 1)[0]!;
      const amountMinor = BigInt(r.int(0, Number(o.capMinor)));
      ops.push({ kind: 'batch', entries: [o.capped && roll === 7 ? chargeCapEntry(o) : settleEntry(o, amountMinor)] });
    } else if (roll === 8) {
      const capMinor = BigInt(r.int(500, 5_000));
      ops.push({ kind: 'batch', entries: [settleEntry({ contractId: nextId(), user: r.pick(crashUsers), capMinor }, capMinor - 100n)] });
    } else {
      ops.push({ kind: 'transfer', from: r.pick(crashUsers), to: r.pick(crashUsers), amountMinor: BigInt(r.int(1, 999)), ref: refOf(`crash-tr-${ops.length}`) });
    }
  }
  return ops;
}

export async function runOp(l: Ledger, op: CrashOp): Promise<void> {
  if (op.kind === 'issue') await l.issue(op.user, op.amountMinor, op.ref);
  else if (op.kind === 'transfer') await l.transfer(op.from, op.to, op.amountMinor, op.ref);
  else await l.applyBatch(op.entries);
}

export function modelOp(m: LedgerModel, op: CrashOp): void {
  if (op.kind === 'issue') m.issue(op.user, op.amountMinor, op.ref);
  else if (op.kind === 'transfer') m.transfer(op.from, op.to, op.amountMinor, op.ref);
  else m.applyBatch(op.entries);
}

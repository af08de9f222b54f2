// The fixed write sequence of the crash test (crash.test.ts runs it in crash-writer.ts children).
// Every op is idempotent on chain (refs, contract ids), so a child resuming after a kill may
// repeat the op that was in flight.
import type { Address } from 'viem';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { Ledger, OpenEntry, SettleEntry } from '../../tools/ledger/ledger.ts';
import type { LedgerModel } from './model.ts';
import { prng } from './prng.ts';

export type CrashOp =
  | { kind: 'issue'; user: Address; amountMinor: bigint; ref: `0x${string}` }
  | { kind: 'transfer'; from: Address; to: Address; amountMinor: bigint; ref: `0x${string}` }
  | { kind: 'openBatch'; entries: OpenEntry[] }
  | { kind: 'settle'; entry: SettleEntry }
  | { kind: 'chargeCap'; entry: SettleEntry };

export const crashUsers: Address[] = [1, 2, 3, 4].map((n) => userAddressOf(new Uint8Array(8).fill(0x10 + n)));
const pile = Uint8Array.from([0xcc, 1, 1, 1, 1, 1, 1, 1]);

export function crashOps(count: number): CrashOp[] {
  const r = prng(77);
  const ops: CrashOp[] = crashUsers.map((user, i) => ({ kind: 'issue', user, amountMinor: 1_000_000n, ref: refOf(`crash-top-${i}`) }));
  const open: OpenEntry[] = [];
  let seq = 1n;
  while (ops.length < count) {
    const roll = r.int(0, 9);
    if (roll < 3 || open.length === 0) {
      const entries = Array.from({ length: r.int(1, 3) }, (): OpenEntry => {
        seq += 2n;
        return { contractId: contractIdOf(pile, seq), user: r.pick(crashUsers), capMinor: BigInt(r.int(500, 5_000)), capped: r.chance(0.5), contractHash: refOf(`c${seq}`) };
      });
      open.push(...entries);
      ops.push({ kind: 'openBatch', entries });
    } else if (roll < 8) {
      const o = open.splice(r.int(0, open.length - 1), 1)[0]!;
      const entry = { contractId: o.contractId, user: o.user, capMinor: o.capMinor, amountMinor: BigInt(r.int(0, Number(o.capMinor))), receiptHash: refOf(`r${o.contractId}`) };
      ops.push(o.capped && roll === 7 ? { kind: 'chargeCap', entry } : { kind: 'settle', entry });
    } else {
      ops.push({ kind: 'transfer', from: r.pick(crashUsers), to: r.pick(crashUsers), amountMinor: BigInt(r.int(1, 999)), ref: refOf(`crash-tr-${ops.length}`) });
    }
  }
  return ops;
}

export async function runOp(l: Ledger, op: CrashOp): Promise<void> {
  if (op.kind === 'issue') await l.issue(op.user, op.amountMinor, op.ref);
  else if (op.kind === 'transfer') await l.transfer(op.from, op.to, op.amountMinor, op.ref);
  else if (op.kind === 'openBatch') await l.openBatch(op.entries);
  else if (op.kind === 'settle') await l.settle(op.entry);
  else await l.chargeCap(op.entry);
}

export function modelOp(m: LedgerModel, op: CrashOp): void {
  if (op.kind === 'issue') m.issue(op.user, op.amountMinor, op.ref);
  else if (op.kind === 'transfer') m.transfer(op.from, op.to, op.amountMinor, op.ref);
  else if (op.kind === 'openBatch') op.entries.forEach((e) => m.open(e));
  else if (op.kind === 'settle') m.settle(op.entry);
  else m.chargeCap(op.entry);
}

// Queues one ledger write in the outbox, inside the caller's DB transaction (so the write exists
// exactly when the state change that needs it was committed). The worker (worker.ts) sends it.
// `hash`: the SHA-256 of the signed record a contract write rests on — the contract for open and
// charge-cap, the receipt for settle and correct (the ledger keeps each batch's digest of them).
import type { Address, Hex } from 'viem';
import type { Queryable, SqlValue } from '../storage/db.ts';

export type OutboxWrite =
  | { kind: 'issue' | 'redeem'; ref: Hex; user: Address; amountMinor: number }
  | { kind: 'transfer'; ref: Hex; user: Address; to: Address; amountMinor: number }
  | { kind: 'open'; contractId: Hex; user: Address; capMinor: number; capped: boolean; hash: Hex }
  | { kind: 'settle' | 'correct'; contractId: Hex; user: Address; capMinor: number; amountMinor: number; hash: Hex }
  | { kind: 'charge-cap'; contractId: Hex; user: Address; capMinor: number; hash: Hex };

export type OutboxKind = OutboxWrite['kind'];

/** The ledger_outbox columns a write is inserted with, in `OUTBOX_INSERT`'s order. */
export const OUTBOX_INSERT = 'INSERT INTO ledger_outbox (kind, contract_id, ref, user_address, to_address, cap_minor, amount_minor, capped, hash, state, created_at_ms)';

export function outboxValues(write: OutboxWrite, nowMs: number): SqlValue[] {
  const w = write as Partial<Record<string, unknown>> & OutboxWrite;
  return [
    write.kind,
    (w.contractId as string | undefined) ?? null,
    (w.ref as string | undefined) ?? null,
    write.user,
    (w.to as string | undefined) ?? null,
    (w.capMinor as number | undefined) ?? null,
    (w.amountMinor as number | undefined) ?? null,
    w.capped === undefined ? null : w.capped ? 1 : 0,
    (w.hash as string | undefined) ?? null,
    'pending',
    nowMs,
  ];
}

export async function enqueueLedgerWrite(q: Queryable, write: OutboxWrite, nowMs: number): Promise<number> {
  const row = await q.get<{ id: number }>(`${OUTBOX_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, outboxValues(write, nowMs));
  return Number(row!.id);
}

// A write the ledger answers `duplicate` was made before — its first send landed and the worker
// died before marking the row (a crash, or a worker that lost its lease mid-send while another took
// over). The row must then name the transaction that made the move, not the one that was told so:
// the audit ties each done row to its ledger event by that hash. Found among the ledger's events
// naming the write's user (rare: after a crash or a takeover only). A transfer carries no ref on
// the ledger, so its event is the earliest Transfer of the same accounts and amount that no done
// row names yet. Contract writes are found among the per-entry events decoded from Batch events:
// an open or a correct that went in one-step settlement with its settle landed as a `settled`
// event from `none`.
import type { Hex } from 'viem';
import type { Ledger, LedgerEvent } from '../../ledger/ledger.ts';
import type { OutboxKind } from './enqueue.ts';

export type DuplicateWrite = { kind: OutboxKind; contractId: Hex | null; ref: Hex | null; user: Hex; to: Hex | null; amountMinor: number | null };

const CONTRACT_EVENT: Partial<Record<OutboxKind, LedgerEvent['kind']>> = { open: 'opened', settle: 'settled', 'charge-cap': 'charged-at-cap', correct: 'corrected' };
/** The kinds that may land in one-step settlement, as a `settled` event from `none`. */
const ONE_STEP: ReadonlySet<OutboxKind> = new Set(['open', 'correct']);
const same = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/**
 * The transaction of each write's first landing, in the order given; `claimedTransferTxs` are the
 * transactions done transfer rows name already. Throws when the ledger has no such event (a
 * duplicate answer without it would be a ledger fault: the row stays pending and is retried).
 */
export async function originalTxHashes(ledger: Ledger, writes: readonly DuplicateWrite[], claimedTransferTxs: ReadonlySet<string>): Promise<Hex[]> {
  const claimed = new Set([...claimedTransferTxs].map((h) => h.toLowerCase()));
  const eventsOf = new Map<string, Promise<LedgerEvent[]>>();
  const hashes: Hex[] = [];
  for (const w of writes) {
    const account = w.user.toLowerCase();
    if (!eventsOf.has(account)) eventsOf.set(account, ledger.history({ account: w.user }));
    const event = (await eventsOf.get(account)!).find((e) => {
      switch (e.kind) {
        case 'issued': return w.kind === 'issue' && same(e.ref, w.ref);
        case 'redeemed': return w.kind === 'redeem' && same(e.ref, w.ref);
        case 'transfer': return w.kind === 'transfer' && same(e.from, w.user) && same(e.to, w.to) && e.amountMinor === BigInt(w.amountMinor ?? -1) && !claimed.has(e.txHash.toLowerCase());
        case 'settled':
          return same(e.contractId, w.contractId) && (w.kind === 'settle' || (ONE_STEP.has(w.kind) && e.from === 'none'));
        case 'opened': case 'charged-at-cap': case 'corrected': return CONTRACT_EVENT[w.kind] === e.kind && same(e.contractId, w.contractId);
        default: return false;
      }
    });
    if (!event) throw new Error(`relay outbox: the ledger answered ${w.kind} ${w.contractId ?? w.ref} duplicate, yet has no event of it`);
    if (w.kind === 'transfer') claimed.add(event.txHash.toLowerCase());
    hashes.push(event.txHash);
  }
  return hashes;
}

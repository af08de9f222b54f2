// The durable ledger outbox worker: sends queued ledger writes — opens and settlements batched
// (openBatch / settleBatch), in an order that keeps every write valid (nextGroup) — and marks each
// row done or rejected only after the ledger's receipt. A crash between the ledger write and the
// mark re-sends the write on restart, which the ledger answers as a duplicate (writes are
// idempotent by contract id or ref). A failure that is not the chain refusing (RPC down, paused
// ledger) keeps the rows pending and retries with backoff, the same group first.
// One worker sends per database: a lease (lease.ts) elects it when several relays share PostgreSQL;
// a write another worker sent before is answered duplicate, and its row names the first send's
// transaction (original-tx.ts).
import type { Address, Hex } from 'viem';
import type { EntryOutcome, Ledger } from '../../ledger/ledger.ts';
import { LedgerError } from '../../ledger/errors.ts';
import type { Db } from '../storage/db.ts';
import type { OutboxKind } from './enqueue.ts';
import { OutboxLease } from './lease.ts';
import { originalTxHashes } from './original-tx.ts';

export type OutboxRow = {
  id: number;
  kind: OutboxKind;
  contract_id: Hex | null;
  ref: Hex | null;
  user_address: Address;
  to_address: Address | null;
  cap_minor: number | null;
  amount_minor: number | null;
  capped: number | null;
  hash: Hex | null;
};

/** `duplicate`: the ledger had the write already; `txHash` is then the re-send's until the first send's is found. */
type RowOutcome = { id: number; state: 'done' | 'rejected'; error?: string; txHash: Hex; gasUsed: number; duplicate?: boolean };

export type OutboxStats = { pending: number; done: number; rejected: number; transactions: number; gasByKind: Record<string, { entries: number; gasUsed: number }> };

const IDLE_MS = 250;
const BATCH_MAX = 100;
const ROWS_PER_ROUND = 500;

/** The chain itself refused the write (a revert): retrying cannot help. */
function isRefusal(error: unknown): boolean {
  return error instanceof LedgerError && error.code === 'reverted';
}

/**
 * Which pending rows go to the ledger next, keeping every write valid when it lands:
 * 1. settlements whose contract is open on the ledger, all in one settleBatch — they only release
 *    escrow and refund, so sending them before older rows can never make an older row fail;
 * 2. else, when the oldest row is an open: one openBatch of the opens (oldest first) of users with
 *    no older pending row of another kind — an open may need the credit an older row brings;
 * 3. else the oldest row alone (issue, redeem, transfer, charge-cap, correct).
 */
export function nextGroup(rows: readonly OutboxRow[]): OutboxRow[] {
  const opening = new Set(rows.filter((r) => r.kind === 'open').map((r) => r.contract_id));
  const settles = rows.filter((r) => r.kind === 'settle' && !opening.has(r.contract_id)).slice(0, BATCH_MAX);
  if (settles.length > 0) return settles;
  if (rows[0]!.kind !== 'open') return [rows[0]!];
  const waiting = new Set<string>();
  const opens: OutboxRow[] = [];
  for (const r of rows) {
    if (opens.length === BATCH_MAX) break;
    if (r.kind === 'open' && !waiting.has(r.user_address)) opens.push(r);
    else {
      waiting.add(r.user_address);
      if (r.to_address) waiting.add(r.to_address);
    }
  }
  return opens;
}

export class LedgerOutboxWorker {
  readonly #db: Db;
  readonly #ledger: Ledger;
  readonly #lease: OutboxLease;
  readonly #log: (line: string) => void;
  readonly #onIdle: () => Promise<boolean>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #kicked = false;
  #lastError = '';

  /**
   * `owner` names this worker in the lease row (made unique per worker); `leaseMs` how long a lease
   * runs (default 15 s: how long a dead holder's writes wait for another instance). `onIdle` runs
   * when nothing is pending (the overdue sweep); it answers whether it queued work.
   */
  constructor(options: { db: Db; ledger: Ledger; owner: string; leaseMs?: number; log: (line: string) => void; onIdle: () => Promise<boolean> }) {
    this.#db = options.db;
    this.#ledger = options.ledger;
    this.#lease = new OutboxLease(options.db, options.owner, options.leaseMs);
    this.#log = options.log;
    this.#onIdle = options.onIdle;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** New rows were committed: look now instead of at the next idle tick. */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#lease.release().catch(() => undefined);
  }

  /** The lease row's owner name of this worker. */
  get owner(): string {
    return this.#lease.owner;
  }

  async pendingCount(): Promise<number> {
    const row = await this.#db.get<{ n: number }>("SELECT COUNT(*) AS n FROM ledger_outbox WHERE state = 'pending'");
    return Number(row?.n ?? 0);
  }

  /** Resolves when no write is pending (or throws after `timeoutMs`). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.kick();
      const pending = await this.pendingCount();
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`relay outbox: ${pending} ledger writes still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The state of one row once it is no longer pending, or 'pending' after `timeoutMs`. */
  async waitFor(id: number, timeoutMs: number): Promise<{ state: string; error: string | null; txHash: Hex | null }> {
    const deadline = Date.now() + timeoutMs;
    this.kick();
    for (;;) {
      const row = await this.#db.get<{ state: string; last_error: string | null; tx_hash: Hex | null }>('SELECT state, last_error, tx_hash FROM ledger_outbox WHERE id = ?', [id]);
      if (!row) throw new Error(`relay outbox: no row ${id}`);
      if (row.state !== 'pending' || Date.now() >= deadline) return { state: row.state, error: row.last_error, txHash: row.tx_hash };
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stats(): Promise<OutboxStats> {
    const rows = await this.#db.all<{ kind: string; state: string; n: number; gas: number }>(
      'SELECT kind, state, COUNT(*) AS n, COALESCE(SUM(gas_used), 0) AS gas FROM ledger_outbox GROUP BY kind, state',
    );
    const tx = await this.#db.get<{ n: number }>("SELECT COUNT(DISTINCT tx_hash) AS n FROM ledger_outbox WHERE state = 'done'");
    const stats: OutboxStats = { pending: 0, done: 0, rejected: 0, transactions: Number(tx?.n ?? 0), gasByKind: {} };
    for (const r of rows) {
      if (r.state === 'pending' || r.state === 'done' || r.state === 'rejected') stats[r.state] += Number(r.n);
      if (r.state !== 'done') continue;
      const g = (stats.gasByKind[r.kind] ??= { entries: 0, gasUsed: 0 });
      g.entries += Number(r.n);
      g.gasUsed += Number(r.gas);
    }
    return stats;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let progressed = false;
      try {
        if (await this.#lease.hold()) progressed = await this.#round();
        failures = 0;
        this.#lastError = '';
      } catch (error) {
        failures++;
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        if (message !== this.#lastError) this.#log(`relay outbox: ledger write failed, will retry: ${message}`);
        this.#lastError = message;
        await this.#sleep(Math.min(5_000, 50 * 2 ** failures));
        continue;
      }
      if (!progressed) await this.#sleep(IDLE_MS);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#kicked || !this.#running) {
      this.#kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        this.#kicked = false;
        done();
      };
    });
  }

  /** Sends the next group of pending rows (see #nextGroup); answers whether there was any. */
  async #round(): Promise<boolean> {
    this.#kicked = false;
    const rows = await this.#db.all<OutboxRow>(
      `SELECT id, kind, contract_id, ref, user_address, to_address, cap_minor, amount_minor, capped, hash
         FROM ledger_outbox WHERE state = 'pending' ORDER BY id LIMIT ${ROWS_PER_ROUND}`,
    );
    if (rows.length === 0) return this.#onIdle();
    const group = nextGroup(rows);
    let outcomes: RowOutcome[];
    try {
      outcomes = await this.#send(group);
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      await this.#db.transaction(async (tx) => {
        for (const row of group) await tx.run('UPDATE ledger_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?', [message, row.id]);
      });
      throw error;
    }
    await this.#nameFirstSends(outcomes, group);
    const nowMs = Date.now();
    await this.#db.transaction(async (tx) => {
      for (const o of outcomes) {
        await tx.run("UPDATE ledger_outbox SET state = ?, last_error = ?, tx_hash = ?, gas_used = ?, done_at_ms = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'", [
          o.state, o.error ?? null, o.txHash, o.gasUsed, nowMs, o.id,
        ]);
      }
    });
    for (const o of outcomes) if (o.state === 'rejected') this.#log(`relay outbox: ledger refused write ${o.id}: ${o.error}`);
    return true;
  }

  /** Duplicates name the transaction of the write's first landing (see original-tx.ts). */
  async #nameFirstSends(outcomes: RowOutcome[], group: OutboxRow[]): Promise<void> {
    const duplicates = outcomes.filter((o) => o.duplicate);
    if (duplicates.length === 0) return;
    const rows = duplicates.map((o) => group.find((r) => r.id === o.id)!);
    const claimed = await this.#db.all<{ tx_hash: Hex }>("SELECT tx_hash FROM ledger_outbox WHERE kind = 'transfer' AND state = 'done'");
    const hashes = await originalTxHashes(this.#ledger, rows.map((r) => ({
      kind: r.kind, contractId: r.contract_id, ref: r.ref, user: r.user_address, to: r.to_address, amountMinor: r.amount_minor,
    })), new Set(claimed.map((c) => c.tx_hash)));
    duplicates.forEach((o, i) => (o.txHash = hashes[i]!));
    this.#log(`relay outbox: ${duplicates.length} write(s) were on the ledger already (sent before a crash or by another instance): marked with their first transaction`);
  }

  async #send(group: OutboxRow[]): Promise<RowOutcome[]> {
    const first = group[0]!;
    const l = this.#ledger;
    const big = (n: number | null) => BigInt(n ?? 0);
    try {
      switch (first.kind) {
        case 'issue':
        case 'redeem':
        case 'transfer': {
          const r = first.kind === 'issue' ? await l.issue(first.user_address, big(first.amount_minor), first.ref!)
            : first.kind === 'redeem' ? await l.redeem(first.user_address, big(first.amount_minor), first.ref!)
            : await l.transfer(first.user_address, first.to_address!, big(first.amount_minor), first.ref!);
          return [{ id: first.id, state: 'done', txHash: r.txHash, gasUsed: Number(r.gasUsed), duplicate: r.status === 'duplicate' }];
        }
        case 'open': {
          const r = await l.openBatch(group.map((row) => ({ contractId: row.contract_id!, user: row.user_address, capMinor: big(row.cap_minor), capped: row.capped === 1, contractHash: row.hash! })));
          return this.#byEntry(group, r.outcomes, r.txHash, r.gasUsed);
        }
        case 'settle': {
          const r = await l.settleBatch(group.map((row) => ({ contractId: row.contract_id!, user: row.user_address, capMinor: big(row.cap_minor), amountMinor: big(row.amount_minor), receiptHash: row.hash! })));
          return this.#byEntry(group, r.outcomes, r.txHash, r.gasUsed);
        }
        case 'charge-cap': {
          const r = await l.chargeCap({ contractId: first.contract_id!, user: first.user_address, capMinor: big(first.cap_minor) });
          return this.#byEntry(group, r.outcomes, r.txHash, r.gasUsed);
        }
        case 'correct': {
          const r = await l.correct({ contractId: first.contract_id!, user: first.user_address, capMinor: big(first.cap_minor), amountMinor: big(first.amount_minor), receiptHash: first.hash! });
          return this.#byEntry(group, r.outcomes, r.txHash, r.gasUsed);
        }
      }
    } catch (error) {
      if (group.length === 1 && isRefusal(error)) return [{ id: first.id, state: 'rejected', error: (error as Error).message, txHash: '0x', gasUsed: 0 }];
      throw error;
    }
  }

  #byEntry(group: OutboxRow[], outcomes: EntryOutcome[], txHash: Hex, gasUsed: bigint): RowOutcome[] {
    const share = Number(gasUsed) / group.length;
    return group.map((row, i) => {
      const outcome = outcomes[i];
      const gas = Math.floor(share * (i + 1)) - Math.floor(share * i);
      if (outcome?.status === 'rejected') return { id: row.id, state: 'rejected', error: `${row.kind} ${row.contract_id} rejected: ${outcome.reason}`, txHash, gasUsed: gas };
      return { id: row.id, state: 'done', txHash, gasUsed: gas, duplicate: outcome?.status === 'duplicate' };
    });
  }
}

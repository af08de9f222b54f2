// The durable ledger outbox worker: sends queued ledger writes — money writes one at a time, the
// contract writes together in one applyBatch, in an order that keeps every write valid
// (batch-plan.ts) — and marks each row done or rejected only after the ledger's receipt. A crash
// between the ledger write and the mark re-sends the write on restart, which the ledger answers as
// a duplicate per entry (writes are idempotent by contract id or ref). A failure that is not the
// chain refusing (RPC down, paused ledger) keeps the rows pending and retries with backoff, the
// same rows first.
// A batch that is not full waits up to `batchWaitMs` for more entries (fewer, fuller transactions:
// less gas a session and less of the relay's CPU); a money write at the head of the queue goes at
// once, and drain/waitFor send what is pending now.
// One worker sends per database: a lease (lease.ts) elects it when several relays share PostgreSQL;
// a write another worker sent before is answered duplicate, and its row names the first send's
// transaction (original-tx.ts).
import type { Hex } from 'viem';
import type { EntryOutcome, Ledger } from '../../ledger/ledger.ts';
import { LedgerError } from '../../ledger/errors.ts';
import { type Db, type Queryable, type SqlValue, caseOf, placeholders, statementChunks } from '../storage/db.ts';
import { BATCH_MAX_ENTRIES, type OutboxRow, OutboxRowError, type PlannedEntry, type SendPlan, planNextSend } from './batch-plan.ts';
import { OutboxLease } from './lease.ts';
import { originalTxHashes } from './original-tx.ts';

/** `duplicate`: the ledger had the write already; `txHash` is then the re-send's until the first send's is found. */
export type RowOutcome = { row: OutboxRow; state: 'done' | 'rejected'; error?: string; txHash: Hex; gasUsed: number; duplicate?: boolean };

export type OutboxStats = { pending: number; done: number; rejected: number; transactions: number; gasByKind: Record<string, { entries: number; gasUsed: number }> };

const IDLE_MS = 250;
/** While a part-filled batch waits: how often the worker looks whether it has filled up. */
const FILL_CHECK_MS = 100;
const ROWS_PER_ROUND = 500;

/** The chain refused the whole write (a revert), or the client would not send it (a malformed batch): retrying as it is cannot help. */
function isRefusal(error: unknown): boolean {
  return (error instanceof LedgerError && error.code === 'reverted') || error instanceof RangeError;
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
  readonly #batchWaitMs: number;
  /** When the worker first held back the part-filled batch it is waiting with. */
  #waitingSinceMs: number | undefined;
  /** drain/waitFor asked for everything pending, part-filled batches included. */
  #flushing = false;
  /** After a refused batch: how many more batches go one entry each, to isolate the entry the chain refuses. */
  #singleEntriesLeft = 0;

  /**
   * `owner` names this worker in the lease row (made unique per worker); `leaseMs` how long a lease
   * runs (default 15 s: how long a dead holder's writes wait for another instance). `batchWaitMs`:
   * how long a batch that is not full waits for more entries (default 0: it goes at once). `onIdle`
   * runs when nothing is pending (the overdue sweep); it answers whether it queued work.
   */
  constructor(options: { db: Db; ledger: Ledger; owner: string; leaseMs?: number; batchWaitMs?: number; log: (line: string) => void; onIdle: () => Promise<boolean> }) {
    const batchWaitMs = options.batchWaitMs ?? 0;
    if (!Number.isSafeInteger(batchWaitMs) || batchWaitMs < 0) throw new RangeError(`relay outbox: "batchWaitMs" expected an integer ≥ 0, got ${batchWaitMs}`);
    this.#batchWaitMs = batchWaitMs;
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

  /** New rows were committed: look now instead of at the next idle tick (a waiting batch keeps waiting). */
  kick(): void {
    if (this.#waitingSinceMs !== undefined) return;
    this.#kicked = true;
    this.#wake?.();
  }

  /** Send everything pending now, a part-filled batch included. */
  #flush(): void {
    this.#flushing = true;
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
      this.#flush();
      const pending = await this.pendingCount();
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`relay outbox: ${pending} ledger writes still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The state of one row once it is no longer pending, or 'pending' after `timeoutMs`. */
  async waitFor(id: number, timeoutMs: number): Promise<{ state: string; error: string | null; txHash: Hex | null }> {
    const deadline = Date.now() + timeoutMs;
    this.#flush();
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
      if (!progressed) await this.#sleep(this.#waitingSinceMs === undefined ? IDLE_MS : FILL_CHECK_MS);
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

  /** Sends the next planned write of the pending rows (batch-plan.ts); answers whether there was any. */
  async #round(): Promise<boolean> {
    this.#kicked = false;
    const rows = await this.#db.all<OutboxRow>(
      `SELECT id, kind, contract_id, ref, user_address, to_address, cap_minor, amount_minor, capped, hash
         FROM ledger_outbox WHERE state = 'pending' ORDER BY id LIMIT ${ROWS_PER_ROUND}`,
    );
    if (rows.length === 0) {
      this.#flushing = false;
      return this.#onIdle();
    }
    const maxEntries = this.#singleEntriesLeft > 0 ? 1 : BATCH_MAX_ENTRIES;
    let plan: SendPlan;
    try {
      plan = planNextSend(rows, this.#ledger.revenueAccount, maxEntries);
    } catch (error) {
      if (!(error instanceof OutboxRowError)) throw error;
      // retrying cannot fill the column in: the row is rejected so the rows after it go on
      await this.#db.run("UPDATE ledger_outbox SET state = 'rejected', last_error = ?, done_at_ms = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'", [
        error.message, Date.now(), error.row.id,
      ]);
      this.#log(`${error.message}: rejected, not sent`);
      return true;
    }
    if (plan.kind === 'batch' && plan.entries.length < maxEntries) {
      const nowMs = Date.now();
      this.#waitingSinceMs ??= nowMs;
      if (!this.#flushing && nowMs - this.#waitingSinceMs < this.#batchWaitMs) return false;
      this.#flushing = false;
    }
    const sent = plan.kind === 'money' ? [plan.row] : plan.entries.flatMap((e) => e.rows);
    let outcomes: RowOutcome[];
    try {
      outcomes = await this.#send(plan);
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      await this.#db.transaction(async (tx) => {
        for (const chunk of statementChunks(sent)) {
          await tx.run(`UPDATE ledger_outbox SET attempts = attempts + 1, last_error = ? WHERE id IN (${placeholders(chunk.length)})`, [message, ...chunk.map((row) => row.id)]);
        }
      });
      throw error;
    }
    if (plan.kind === 'batch') {
      this.#waitingSinceMs = undefined;
      if (this.#singleEntriesLeft > 0) this.#singleEntriesLeft--;
    }
    await this.#nameFirstSends(outcomes);
    await this.#db.transaction((tx) => markOutcomes(tx, outcomes, Date.now()));
    for (const o of outcomes) if (o.state === 'rejected') this.#log(`relay outbox: ledger refused write ${o.row.id}: ${o.error}`);
    return true;
  }

  /** Duplicates name the transaction of the write's first landing (see original-tx.ts). */
  async #nameFirstSends(outcomes: RowOutcome[]): Promise<void> {
    const duplicates = outcomes.filter((o) => o.duplicate);
    if (duplicates.length === 0) return;
    const claimed = await this.#db.all<{ tx_hash: Hex }>("SELECT tx_hash FROM ledger_outbox WHERE kind = 'transfer' AND state = 'done'");
    const hashes = await originalTxHashes(this.#ledger, duplicates.map(({ row: r }) => ({
      kind: r.kind, contractId: r.contract_id, ref: r.ref, user: r.user_address, to: r.to_address, amountMinor: r.amount_minor,
    })), new Set(claimed.map((c) => c.tx_hash)));
    duplicates.forEach((o, i) => (o.txHash = hashes[i]!));
    this.#log(`relay outbox: ${duplicates.length} write(s) were on the ledger already (sent before a crash or by another instance): marked with their first transaction`);
  }

  async #send(plan: SendPlan): Promise<RowOutcome[]> {
    if (plan.kind === 'money') return this.#sendMoney(plan.row);
    try {
      const r = await this.#ledger.applyBatch(plan.entries.map((e) => e.entry));
      return rowOutcomes(plan.entries, r.outcomes, r.txHash, r.gasUsed);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (plan.entries.length > 1) {
        // One entry spoils the batch: send these one entry at a time, so that only its rows are rejected.
        this.#singleEntriesLeft = plan.entries.length;
        throw error;
      }
      return plan.entries[0]!.rows.map((row) => ({ row, state: 'rejected', error: (error as Error).message, txHash: '0x', gasUsed: 0 }));
    }
  }

  async #sendMoney(row: OutboxRow): Promise<RowOutcome[]> {
    const l = this.#ledger;
    const amountMinor = BigInt(row.amount_minor ?? 0);
    try {
      const r = row.kind === 'issue' ? await l.issue(row.user_address, amountMinor, row.ref!)
        : row.kind === 'redeem' ? await l.redeem(row.user_address, amountMinor, row.ref!)
        : await l.transfer(row.user_address, row.to_address!, amountMinor, row.ref!);
      return [{ row, state: 'done', txHash: r.txHash, gasUsed: Number(r.gasUsed), duplicate: r.status === 'duplicate' }];
    } catch (error) {
      if (isRefusal(error)) return [{ row, state: 'rejected', error: (error as Error).message, txHash: '0x', gasUsed: 0 }];
      throw error;
    }
  }
}

/** Marks the rows of a send done or rejected, in multi-row statements (a batch's rows share their transaction hash). */
async function markOutcomes(tx: Queryable, outcomes: readonly RowOutcome[], nowMs: number): Promise<void> {
  for (const chunk of statementChunks(outcomes)) {
    const set = (column: string, value: (o: RowOutcome) => SqlValue, castAs?: string) => {
      const values = caseOf('id', chunk.map((o) => [o.row.id, value(o)]), castAs);
      return { sql: `${column} = ${values.sql}`, params: values.params };
    };
    const sets = [set('state', (o) => o.state), set('last_error', (o) => o.error ?? null), set('tx_hash', (o) => o.txHash), set('gas_used', (o) => o.gasUsed, 'BIGINT')];
    await tx.run(
      `UPDATE ledger_outbox SET ${sets.map((s) => s.sql).join(', ')}, done_at_ms = ?, attempts = attempts + 1
        WHERE id IN (${placeholders(chunk.length)}) AND state = 'pending'`,
      [...sets.flatMap((s) => s.params), nowMs, ...chunk.map((o) => o.row.id)],
    );
  }
}

/**
 * Each row's outcome from its entry's: the batch's gas shared evenly among the rows. An open carried
 * in a one-step settle landed before when the settle found the contract open (or charged at its cap):
 * its row is a duplicate, named by that first landing.
 */
export function rowOutcomes(entries: readonly PlannedEntry[], outcomes: readonly EntryOutcome[], txHash: Hex, gasUsed: bigint): RowOutcome[] {
  if (outcomes.length !== entries.length) throw new Error(`relay outbox: the ledger answered ${outcomes.length} outcomes for a batch of ${entries.length} entries`);
  const rowCount = entries.reduce((n, e) => n + e.rows.length, 0);
  const share = Number(gasUsed) / rowCount;
  let index = 0;
  const gasOfNext = () => Math.floor(share * (index + 1)) - Math.floor(share * index++);
  return entries.flatMap((e, i) => {
    const outcome = outcomes[i]!;
    return e.rows.map((row): RowOutcome => {
      const gas = gasOfNext();
      if (outcome.status === 'rejected') return { row, state: 'rejected', error: `${row.kind} ${row.contract_id} rejected: ${outcome.reason}`, txHash, gasUsed: gas };
      const landedBefore = outcome.status === 'duplicate' || (row.kind === 'open' && e.entry.kind === 'settle' && outcome.from !== 'none');
      return { row, state: 'done', txHash, gasUsed: gas, duplicate: landedBefore };
    });
  });
}

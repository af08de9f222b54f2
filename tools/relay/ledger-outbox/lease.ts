// The outbox worker's lease: the one `worker_leases` row names the worker that may send ledger
// writes, until a time on the DATABASE's clock — every instance judges expiry by that one clock, so
// skew between the instances' machines cannot hand the lease to two of them. The holder trusts its
// lease only while at least half of it is left by its own monotonic clock, counted from before the
// write that took it (the database set the expiry later than that), and renews it then; a worker
// that finds the row taken by another sends nothing. A lease lost mid-send (a send longer than half
// a lease, a process paused that long) can let two workers send the same rows: the ledger's
// idempotence (contract ids, refs) answers the second `duplicate`, and nothing moves twice.
import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/db.ts';

export const DEFAULT_LEASE_MS = 15_000;
const LEASE_NAME = 'ledger-outbox';

/** The database's clock in ms since 1970, as SQL (`clock_timestamp()`: the time of the statement, not of its transaction). */
const DB_NOW_MS: Record<Db['dialect'], string> = {
  postgres: '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT',
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
};

export class OutboxLease {
  /** The label given plus this process and a random tag: two workers never share an owner, not even two processes on one host and data folder. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly #db: Db;
  /** performance.now() until which the lease is surely ours; 0 when not held. */
  #heldUntil = 0;

  constructor(db: Db, label: string, leaseMs = DEFAULT_LEASE_MS) {
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 100) throw new RangeError(`outbox lease: "leaseMs" expected an integer ≥ 100, got ${leaseMs}`);
    this.#db = db;
    this.leaseMs = leaseMs;
    this.owner = `${label} pid ${process.pid} ${randomBytes(4).toString('hex')}`;
  }

  /** Whether this worker may send a batch now: takes or renews the lease when less than half of it is left. */
  async hold(): Promise<boolean> {
    const askedAt = performance.now();
    if (askedAt < this.#heldUntil - this.leaseMs / 2) return true;
    this.#heldUntil = 0;
    const now = DB_NOW_MS[this.#db.dialect];
    // A read first: while another holds a live lease (every 250 ms on each other instance) nothing is written.
    const row = await this.#db.get<{ owner: string; live: boolean | number }>(`SELECT owner, expires_at_ms >= ${now} AS live FROM worker_leases WHERE name = ?`, [LEASE_NAME]);
    if (row && row.owner !== this.owner && Boolean(row.live)) return false;
    const taken = await this.#db.run(
      `INSERT INTO worker_leases (name, owner, expires_at_ms) VALUES (?, ?, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at_ms = excluded.expires_at_ms
       WHERE worker_leases.owner = excluded.owner OR worker_leases.expires_at_ms < ${now}`,
      [LEASE_NAME, this.owner, this.leaseMs],
    );
    if (taken === 1) this.#heldUntil = askedAt + this.leaseMs;
    return taken === 1;
  }

  /** Gives the lease up at once (a clean stop), so another instance need not wait for it to run out. */
  async release(): Promise<void> {
    this.#heldUntil = 0;
    await this.#db.run('UPDATE worker_leases SET expires_at_ms = 0 WHERE name = ? AND owner = ?', [LEASE_NAME, this.owner]);
  }
}

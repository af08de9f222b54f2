// PostgreSQL dialect (pg): a pool of 10 (ingestion commits up to 4 groups at once, beside the
// outbox and the routes), each connection in pipeline mode: statements issued together go in one
// round trip, a transaction's BEGIN with its first statements. `?` placeholders become $1..$n;
// BIGINT and NUMERIC come back as numbers (every amount and count of ours is a safe integer).
// Several relay instances may share one database: rows that must not change under a transaction
// are locked with FOR UPDATE, and a transaction that loses a deadlock or serialization race is run
// again.
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { Db, Queryable, Row, SqlValue } from './db.ts';
import type { DdlDialect } from './migrations.ts';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;

function toNumber(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`relay db: ${text} is not a safe integer`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return toNumber;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

// Each statement text becomes a named prepared statement (parsed and planned once per connection),
// with its `?` placeholders numbered; texts past the limit (IN lists of every length) stay unnamed.
const NAMED_MAX = 2_000;
const prepared = new Map<string, { name: string | undefined; text: string }>();
const preparable = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

function statementOf(sql: string): { name: string | undefined; text: string } {
  let statement = prepared.get(sql);
  if (!statement) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    statement = { name: prepared.size < NAMED_MAX && preparable.test(sql) ? `tapcharge_${prepared.size}` : undefined, text };
    if (prepared.size < NAMED_MAX) prepared.set(sql, statement);
  }
  return statement;
}

/**
 * Statements issued in one turn of the event loop leave in one socket write: one system call and
 * one wake-up of the server process instead of one per statement (pg writes each query on its own).
 */
function writesBatched(socket: Duplex): () => void {
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(() => {
      corked = false;
      socket.uncork();
    });
  };
}

function queryable(client: pg.Pool | pg.PoolClient, beforeQuery?: () => void): Queryable {
  const query = (sql: string, params: readonly SqlValue[]) => {
    beforeQuery?.();
    return client.query({ ...statementOf(sql), values: params as SqlValue[] });
  };
  return {
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
    get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rowCount ?? 0,
  };
}

export async function openPostgres(connectionString: string): Promise<Db & DdlDialect> {
  const pool = new pg.Pool({ connectionString, max: 10, types, pipeline: true });
  pool.on('error', () => undefined); // an idle client lost its server; the next query reports it
  await pool.query('SELECT 1'); // fail now, with the driver's message, when the URL is wrong
  const direct = queryable(pool);
  return {
    dialect: 'postgres',
    forUpdate: ' FOR UPDATE',
    migrationLock: 'SELECT pg_advisory_xact_lock(7463)',
    translateDdl: (sql) => sql.replaceAll('{bytes}', 'BYTEA').replaceAll('{serial}', 'BIGSERIAL PRIMARY KEY'),
    ...direct,
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        // The server lost between two statements: the next one fails with it (unheard, the event would end the process).
        const lost = () => undefined;
        client.on('error', lost);
        let broken = false;
        try {
          const batched = writesBatched(client.connection.stream);
          batched();
          const [, result] = await Promise.all([client.query('BEGIN'), fn(queryable(client, batched))]);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => (broken = true));
          const code = (error as { code?: string }).code;
          if (attempt >= MAX_ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw error;
        } finally {
          client.off('error', lost);
          client.release(broken); // a connection that cannot roll back is closed, not pooled again
        }
      }
    },
    close: () => pool.end(),
  };
}

// Crash on PostgreSQL with its durable defaults (fsync, synchronous_commit, full page writes on):
// the SIGKILL cases of crash.test.ts — `tapcharge relay start --database-url` killed while phones
// upload and again once the outbox has begun sending — restarted on the same folder and database.
// Every record an Ack covered before a kill is still held; each contract is opened and settled
// exactly once, balances are exact, and the relay audit passes on the PostgreSQL database (a ledger
// write whose mark died with the process is sent again, answered duplicate, and marked with its
// first transaction). The database server's power cut: crash-postgres-power-cut.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPostgres } from '../support/postgres.ts';
import { sigkillTwice } from '../support/relay-crash.ts';

const server = await startTestPostgres({ durable: true });
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-crash-pg-'));

test('SIGKILL of the relay during ingestion and during ledger writes (PostgreSQL durable): nothing acknowledged lost, nothing settled twice, audit PASS', async () => {
  const { problems, summary } = await sigkillTwice(dir, ['--database-url', server.url], server.url);
  console.log(summary);
  assert.equal(problems, []);
});

test.after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
});
test.run();

// Crash (SQLite): `tapcharge relay start` runs as a child process and is killed with SIGKILL twice —
// once while phones upload records, once while the ledger outbox is sending — and restarted on the
// same data folder. Every record covered by an Ack received before a kill is still held; phones
// re-upload everything; in the end each contract is opened and settled exactly once, every balance
// is exact and the relay audit passes. The same on PostgreSQL: crash-postgres.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sigkillTwice } from '../support/relay-crash.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-crash-'));

test('SIGKILL during ingestion and during ledger writes: nothing acknowledged lost, nothing settled twice, audit PASS', async () => {
  const { problems, summary } = await sigkillTwice(dir, [], undefined);
  console.log(summary);
  assert.equal(problems, []);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

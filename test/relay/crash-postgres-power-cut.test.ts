// A power cut of the PostgreSQL server (durable defaults: fsync, synchronous_commit, full page
// writes on) while phones upload to `tapcharge relay start --database-url` and its outbox sends:
// `pg_ctl stop -m immediate` (no checkpoint, no flush), then the server started again (crash
// recovery replays its WAL) under the same relay process, which must outlive the outage. Every
// record an Ack covered before the cut is still held; the phones upload again whatever was not
// answered; each contract is opened and settled exactly once, balances are exact, and the relay
// audit passes on the database (a ledger write whose mark died with the server is sent again,
// answered duplicate, and marked with its first transaction). Relay SIGKILLs: crash-postgres.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPostgres } from '../support/postgres.ts';
import { balanceProblems, missingAcked, outboxDrained, settledOnceAndAudited, signCrashSessions, uploadBatch } from '../support/relay-crash.ts';
import { killRelayProcess, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const server = await startTestPostgres({ durable: true });
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-power-cut-'));

test('power cut of the PostgreSQL server while phones upload: every acknowledged record survives, nothing settled twice, audit PASS', async () => {
  const relay = await startRelayProcess(dir, { args: ['--database-url', server.url] });
  try {
    const setup = await signCrashSessions(relay.caller, 40);
    const acked = new Set<number>();
    const unanswered: Uint8Array[][] = [];
    let answers = 0;
    let cut = false;
    let next = 0;
    const phone = async () => {
      while (next < setup.batches.length) {
        const batch = setup.batches[next++]!;
        let seqs: number[] | undefined;
        try {
          seqs = await uploadBatch(relay.caller, batch);
        } catch {
          seqs = undefined; // no answer: the phone keeps the batch
        }
        if (!seqs) unanswered.push(batch);
        else for (const seq of seqs) acked.add(seq);
        if (++answers === 6 && !cut) {
          cut = true;
          server.crash();
        }
      }
    };
    await Promise.all([phone(), phone(), phone()]);
    const ackedAtCut = acked.size;
    assert.ok(cut && unanswered.length > 0, `the cut fell during the uploads (${unanswered.length} batches unanswered)`);
    server.restart();

    for (let round = 0; unanswered.length > 0 && round < 100 && relay.process.exitCode === null; round++) {
      const batch = unanswered.shift()!;
      const seqs = await uploadBatch(relay.caller, batch).catch(() => undefined);
      if (seqs) for (const seq of seqs) acked.add(seq);
      else {
        unanswered.push(batch); // the relay's pool is still reconnecting
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.is(relay.process.exitCode, null, `the relay outlived the database's power cut; it exited:\n${relay.stderr().slice(-1_500)}`);
    assert.equal(unanswered, [], 'every batch answered once the server is back');
    assert.equal(await missingAcked(relay.caller, setup.pile, acked), [], 'every acknowledged record is held');
    await outboxDrained(relay.caller);
    assert.equal(await balanceProblems(relay.caller, setup), []);
    assert.is(await stopRelayProcess(relay), 0);
    assert.equal(await settledOnceAndAudited(dir, server.url, setup), []);
    console.log(`power cut after ${ackedAtCut} of ${setup.batches.flat().length} records acknowledged`);
  } finally {
    if (relay.process.exitCode === null) await killRelayProcess(relay);
  }
});

test.after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
});
test.run();

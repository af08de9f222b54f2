// The outbox lease between relay instances (ledger-outbox/lease.ts, worker.ts): two workers on one
// PostgreSQL database, each with its own connection pool as two processes would have, sharing one
// ledger. One sends at a time — even when both carry the same label (two processes started on one
// host and data folder); a holder stuck mid-send loses the lease and the other takes over; the
// stuck send, when it lands at last, is a duplicate that moves nothing, and its worker sends no
// more; a lease held by another is respected until it runs out on the database's clock; a write
// the ledger had already (sent before a crash) is marked with the transaction of its first send.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import type { Ledger } from '../../tools/ledger/ledger.ts';
import { type OutboxWrite, enqueueLedgerWrite } from '../../tools/relay/ledger-outbox/enqueue.ts';
import { OutboxLease } from '../../tools/relay/ledger-outbox/lease.ts';
import { LedgerOutboxWorker } from '../../tools/relay/ledger-outbox/worker.ts';
import type { Db } from '../../tools/relay/storage/db.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { startTestPostgres } from '../support/postgres.ts';

const LEASE_MS = 600;
const pg = await startTestPostgres();
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-lease-'));
const ledger = await openEmbeddedLedger(dir, { deploy: true });
const openDb = async (): Promise<Db> => (await openRelayDb({ dataDir: dir, databaseUrl: pg.url, nowMs: Date.now() })).db;
const dbA = await openDb();
const dbB = await openDb();

const address = (): Address => `0x${randomBytes(20).toString('hex')}` as Address;
const ref = (): Hex => `0x${randomBytes(32).toString('hex')}` as Hex;

/** The ledger, with `issue` held back while the gate is shut (a send stuck on a slow RPC, a paused process). */
function gatedLedger(): { ledger: Ledger; shut(): void; open(): void; issues: () => number } {
  let gate: Promise<void> | undefined;
  let release: () => void = () => {};
  let issues = 0;
  const wrapped = new Proxy(ledger, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'issue') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Ledger['issue']>) => {
        issues++;
        await gate;
        return target.issue(...args);
      };
    },
  });
  return {
    ledger: wrapped,
    shut: () => { gate = new Promise((done) => (release = done)); },
    open: () => release(),
    issues: () => issues,
  };
}

function worker(db: Db, l: Ledger, owner = 'host:/srv/relay'): LedgerOutboxWorker {
  return new LedgerOutboxWorker({ db, ledger: l, owner, leaseMs: LEASE_MS, log: () => undefined, onIdle: async () => false });
}

async function enqueue(db: Db, writes: OutboxWrite[]): Promise<number[]> {
  return db.transaction(async (tx) => {
    const ids: number[] = [];
    for (const w of writes) ids.push(await enqueueLedgerWrite(tx, w, Date.now()));
    return ids;
  });
}

const holder = async () => (await dbA.get<{ owner: string }>("SELECT owner FROM worker_leases WHERE name = 'ledger-outbox'"))?.owner;
const rowsOf = (ids: number[]) => dbA.all<{ id: number; state: string; tx_hash: string | null }>(`SELECT id, state, tx_hash FROM ledger_outbox WHERE id IN (${ids.join(', ')}) ORDER BY id`);
const eventsOfRef = async (r: Hex) => (await ledger.history()).filter((e) => (e.kind === 'issued' || e.kind === 'ref-duplicate') && e.ref.toLowerCase() === r.toLowerCase());

test('two workers with the same label: distinct owners, one lease, every write sent once', async () => {
  const a = worker(dbA, ledger);
  const b = worker(dbB, ledger);
  assert.is.not(a.owner, b.owner);
  const user = address();
  const refs = Array.from({ length: 12 }, ref);
  const ids = await enqueue(dbA, refs.map((r) => ({ kind: 'issue', ref: r, user, amountMinor: 100 })));
  a.start();
  b.start();
  try {
    await a.drain(20_000);
    assert.ok([a.owner, b.owner].includes((await holder())!), 'the lease row names one of the two');
    assert.ok((await rowsOf(ids)).every((r) => r.state === 'done'));
    for (const r of refs) assert.equal((await eventsOfRef(r)).map((e) => e.kind), ['issued'], `ref ${r} issued once, never re-sent`);
    assert.is(await ledger.balanceOf(user), 1_200n);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('a holder stuck mid-send loses the lease: the other sends; the late send is a duplicate and its worker sends no more', async () => {
  const stuck = gatedLedger();
  stuck.shut();
  const a = worker(dbA, stuck.ledger);
  const b = worker(dbB, ledger);
  const user = address();
  const first = ref();
  const [firstId] = await enqueue(dbA, [{ kind: 'issue', ref: first, user, amountMinor: 500 }]);
  a.start();
  try {
    for (let i = 0; i < 200 && stuck.issues() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(stuck.issues(), 1, 'A took the lease and is sending');
    b.start();
    await b.drain(20_000); // B waits for A's lease to run out, then takes over and sends the row
    assert.is(await holder(), b.owner);
    const [row] = await rowsOf([firstId!]);
    assert.is(row!.state, 'done');
    const issued = (await eventsOfRef(first)).filter((e) => e.kind === 'issued');
    assert.is(issued.length, 1);
    assert.is(row!.tx_hash, issued[0]!.txHash, 'the row names the transaction that issued');

    stuck.open(); // A's send lands at last: the ledger has the ref, so it moves nothing
    for (let i = 0; i < 200 && (await eventsOfRef(first)).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await eventsOfRef(first)).map((e) => e.kind), ['issued', 'ref-duplicate']);
    assert.is((await rowsOf([firstId!]))[0]!.tx_hash, issued[0]!.txHash, 'A marked nothing over B');

    const later = ref();
    const [laterId] = await enqueue(dbB, [{ kind: 'issue', ref: later, user, amountMinor: 250 }]);
    await b.drain(20_000);
    assert.is((await rowsOf([laterId!]))[0]!.state, 'done');
    assert.is(stuck.issues(), 1, 'A, its lease lost, sent nothing more');
    assert.is(await ledger.balanceOf(user), 750n, 'each write moved money once');
  } finally {
    stuck.open();
    await a.stop();
    await b.stop();
  }
});

test('a lease another holds is respected until it runs out on the database clock', async () => {
  await dbA.run("UPDATE worker_leases SET owner = 'elsewhere', expires_at_ms = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + 60000 WHERE name = 'ledger-outbox'");
  const a = worker(dbA, ledger);
  const user = address();
  const [id] = await enqueue(dbA, [{ kind: 'issue', ref: ref(), user, amountMinor: 40 }]);
  a.start();
  try {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, LEASE_MS / 2));
      assert.is((await rowsOf([id!]))[0]!.state, 'pending', 'nothing sent under another\'s lease');
    }
    assert.is(await holder(), 'elsewhere');
    await dbA.run("UPDATE worker_leases SET expires_at_ms = 0 WHERE name = 'ledger-outbox'"); // the other's lease ran out
    await a.drain(20_000);
    assert.is(await holder(), a.owner);
    assert.is(await ledger.balanceOf(user), 40n);
  } finally {
    await a.stop();
  }
  assert.is(await holder(), a.owner, 'a clean stop keeps the row…');
  assert.ok(Number((await dbA.get<{ e: string }>("SELECT expires_at_ms AS e FROM worker_leases"))!.e) === 0, '…and gives the lease up at once');
});

test('a lease length that is not a whole number of ms, or under 100 ms, is refused', () => {
  for (const leaseMs of [99, 0, -1, 1.5, Number.NaN]) assert.throws(() => new OutboxLease(dbA, 'host', leaseMs), /"leaseMs" expected an integer ≥ 100/);
});

test('writes the ledger had before (a crash between the send and the mark) are marked with their first transaction', async () => {
  const alice = address();
  const bob = address();
  const issueRef = ref();
  const transferRef = ref();
  // A contract id is a pile id and a billing sequence (the ledger's batches carry it as uint32).
  const contract = (): Hex => `0x${randomBytes(8).toString('hex')}0000000000000001` as Hex;
  const [settledBefore, openedBefore, oneStepBefore] = [contract(), contract(), contract()];
  const hash = ref();
  const cap = { user: alice, capMinor: 2_000n, recordHash: hash };
  const issued = await ledger.issue(alice, 10_000n, issueRef);
  const moved = await ledger.transfer(alice, bob, 700n, transferRef);
  const opened = await ledger.applyBatch([{ kind: 'open', contractId: settledBefore, capped: true, ...cap }, { kind: 'open', contractId: openedBefore, capped: true, ...cap }]);
  const settled = await ledger.applyBatch([{ kind: 'settle', contractId: settledBefore, amountMinor: 1_234n, ...cap }]);
  const oneStep = await ledger.applyBatch([{ kind: 'settle', contractId: oneStepBefore, amountMinor: 300n, ...cap }]);
  assert.equal([...opened.outcomes, ...settled.outcomes, ...oneStep.outcomes].map((o) => o.status === 'applied' && o.from), ['none', 'none', 'open-capped', 'none']);
  const rows = (contractId: Hex, amountMinor: number): OutboxWrite[] => [
    { kind: 'open', contractId, user: alice, capMinor: 2_000, capped: true, hash },
    { kind: 'settle', contractId, user: alice, capMinor: 2_000, amountMinor, hash },
  ];
  const ids = await enqueue(dbA, [
    { kind: 'issue', ref: issueRef, user: alice, amountMinor: 10_000 },
    { kind: 'transfer', ref: transferRef, user: alice, to: bob, amountMinor: 700 },
    ...rows(settledBefore, 1_234), ...rows(openedBefore, 500), ...rows(oneStepBefore, 300),
  ]);
  const a = worker(dbA, ledger);
  a.start();
  try {
    await a.drain(20_000);
  } finally {
    await a.stop();
  }
  const marked = await rowsOf(ids);
  assert.equal(marked.map((r) => r.state), ['done', 'done', 'done', 'done', 'done', 'done', 'done', 'done']);
  const resent = marked[5]!.tx_hash;
  assert.ok(resent && ![issued, moved, opened, settled, oneStep].some((w) => w.txHash === resent), 'the one settle the ledger did not have went in a new transaction');
  assert.equal(marked.map((r) => r.tx_hash), [
    issued.txHash, moved.txHash,
    opened.txHash, settled.txHash, // open and settle landed before: both duplicates
    opened.txHash, resent, // the open landed before (the settle found it open): a duplicate; the settle is new
    oneStep.txHash, oneStep.txHash, // settled in one step before: both rows name that transaction
  ]);
  assert.equal([await ledger.balanceOf(alice), await ledger.balanceOf(bob)], [10_000n - 700n - 1_234n - 500n - 300n, 700n], 'nothing moved twice');
  assert.is(await ledger.escrowOf(alice), 0n);
  assert.equal((await auditLedger(ledger)).problems, []);
});

test.after(async () => {
  await dbA.close();
  await dbB.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
  await pg.stop();
});
test.run();

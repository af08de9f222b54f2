// Crash tests of `tapcharge relay start` (test/relay/crash*.test.ts): sessions signed ahead of time,
// phones that upload them in batches and keep what an Ack covers, and the checks after recovery —
// every acknowledged record still held, every balance exact, each contract opened and settled once
// on the ledger, and the relay audit (every stored row re-derived) passing on the database.
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import type { LedgerEvent } from '../../tools/ledger/ledger.ts';
import type { Hex } from 'viem';
import { auditRelay } from '../../tools/relay/audit/audit-relay.ts';
import { readAnchors } from '../../tools/relay/audit/open-relay-data.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import type { RelayCaller, TestPile } from './relay-harness.ts';
import { killRelayProcess, startRelayProcess, stopRelayProcess } from './relay-process.ts';

export type CrashSession = { userKid: string; contract: Uint8Array; receipt: Uint8Array; amountMinor: number; seq: number };
export type CrashSetup = { users: Awaited<ReturnType<RelayCaller['newUser']>>[]; pile: TestPile; sessions: CrashSession[]; batches: Uint8Array[][]; topUpMinor: number };

/** Four users topped up, one pile, `count` sessions signed (contract and receipt), in upload batches of 4 records. */
export async function signCrashSessions(caller: RelayCaller, count: number, topUpMinor = 50_000): Promise<CrashSetup> {
  const users = await Promise.all(Array.from({ length: 4 }, () => caller.newUser()));
  for (const u of users) {
    const r = await caller.topUp(u.kidHex, topUpMinor);
    if (r.status !== 200) throw new Error(`top-up: ${r.status} ${r.text}`);
  }
  const pile = await caller.newPile();
  const sessions: CrashSession[] = [];
  for (let i = 0; i < count; i++) {
    const user = users[i % users.length]!;
    const voucher = await caller.voucher(user, pile, { mode: 'amount', amountMinor: 1_000 + i });
    if (voucher.status !== 201) throw new Error(`voucher: ${voucher.status} ${voucher.text}`);
    const c = pile.contract(voucher.json.authorization, caller.clock.nowS);
    const r = pile.receipt(c.seq, { energyWh: 1_000 + 97 * i, durationS: 600 + 13 * i, endAtS: caller.clock.nowS });
    sessions.push({ userKid: user.kidHex, contract: c.signed, receipt: r.signed, amountMinor: r.amountMinor, seq: c.seq });
  }
  const records = sessions.flatMap((s) => [s.contract, s.receipt]);
  const batches = Array.from({ length: Math.ceil(records.length / 4) }, (_, i) => records.slice(4 * i, 4 * i + 4));
  return { users, pile, sessions, batches, topUpMinor };
}

/** The sequences an Ack covers, after checking it is signed by the relay. */
export function ackedSeqs(ack: string, relayPublicKey: Uint8Array): number[] {
  const opened = openSigned(base64urlToBytes(ack), { publicKey: relayPublicKey, expectType: 'Ack' });
  if (!opened.ok) throw new Error(`bad Ack: ${opened.reason}`);
  return opened.value.message.ranges.flatMap((r) => Array.from({ length: r.toSeq - r.fromSeq + 1 }, (_, i) => r.fromSeq + i));
}

/** One upload; answers the sequences its Acks cover, or undefined when it was not answered 200 (the phone keeps the batch). */
export async function uploadBatch(caller: RelayCaller, batch: Uint8Array[]): Promise<number[] | undefined> {
  const reply = await caller.call('POST', '/v1/records', { body: { records: batch.map(bytesToBase64url) } });
  if (reply.status !== 200) return undefined;
  for (const r of reply.json.results) if (r.status !== 'accepted' && r.status !== 'duplicate') throw new Error(`upload: ${JSON.stringify(r)}`);
  return reply.json.acks.flatMap((a: { ack: string }) => ackedSeqs(a.ack, caller.relayPublicKey));
}

/** The pile's held ranges cover every acknowledged sequence. */
export async function missingAcked(caller: RelayCaller, pile: TestPile, acked: Iterable<number>): Promise<number[]> {
  const held = (await caller.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.held as { fromSeq: number; toSeq: number }[];
  return [...acked].filter((seq) => !held.some((r) => seq >= r.fromSeq && seq <= r.toSeq));
}

export async function outboxDrained(caller: RelayCaller): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await caller.call('GET', '/v1/relay')).json.outbox.pending === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('outbox not drained');
}

/** Every user's balance is the top-up minus their settled amounts, nothing escrowed, open or pending; no write refused. */
export async function balanceProblems(caller: RelayCaller, setup: CrashSetup): Promise<string[]> {
  const expected = new Map(setup.users.map((u) => [u.kidHex, setup.topUpMinor]));
  for (const s of setup.sessions) expected.set(s.userKid, expected.get(s.userKid)! - s.amountMinor);
  const problems: string[] = [];
  for (const u of setup.users) {
    const shown = (await caller.call('GET', `/v1/users/${u.kidHex}`, { signer: u })).json;
    const got = [shown.balanceMinor, shown.escrowMinor, shown.openContracts.length, shown.pendingLedgerWrites];
    if (got.join() !== [expected.get(u.kidHex), 0, 0, 0].join()) problems.push(`${u.kidHex}: [balance, escrow, open, pending] ${got.join(', ')}, expected ${expected.get(u.kidHex)}, 0, 0, 0`);
  }
  if ((await caller.call('GET', '/v1/relay')).json.outbox.rejected !== 0) problems.push('the ledger refused a write');
  return problems;
}

/**
 * Whether contract `contractId` was settled exactly once on the ledger: one Settled event, and one
 * Opened event before it — none when it was settled in one step (from none). Answers what is wrong.
 */
export function settledOnce(history: readonly LedgerEvent[], contractId: Hex): string | undefined {
  const opened = history.filter((e) => e.kind === 'opened' && e.contractId === contractId).length;
  const settled = history.filter((e): e is Extract<LedgerEvent, { kind: 'settled' }> => e.kind === 'settled' && e.contractId === contractId);
  const from = settled.map((e) => e.from).join(', ');
  if (settled.length !== 1 || opened !== (settled[0]!.from === 'none' ? 0 : 1)) return `opened ${opened}, settled ${settled.length}${from ? ` (from ${from})` : ''}`;
  return undefined;
}

/**
 * On the stopped relay's data (its folder; the database at `databaseUrl` when given): each contract
 * settled once on the embedded ledger (settledOnce), and the relay audit's disagreements (none
 * expected). Answers the problems found.
 */
export async function settledOnceAndAudited(dataDir: string, databaseUrl: string | undefined, setup: CrashSetup): Promise<string[]> {
  const { db } = await openRelayDb({ dataDir, databaseUrl, nowMs: Date.now() });
  const ledger = await openEmbeddedLedger(dataDir);
  try {
    const history = await ledger.history();
    const problems: string[] = [];
    for (const s of setup.sessions) {
      const id = contractIdOf(setup.pile.pileId, BigInt(s.seq));
      const wrong = settledOnce(history, id);
      if (wrong) problems.push(`contract ${s.seq}: ${wrong}`);
    }
    const audit = await auditRelay(db, ledger, { anchors: readAnchors(dataDir) });
    problems.push(...audit.disagreements.slice(0, 5), ...audit.ledger.problems.slice(0, 5));
    if (audit.settledVerified !== setup.sessions.length) problems.push(`audit verified ${audit.settledVerified} settled sessions of ${setup.sessions.length}`);
    return problems;
  } finally {
    await ledger.close();
    await db.close();
  }
}

/**
 * `tapcharge relay start` (`args` added, e.g. `--database-url`) on `dataDir`, SIGKILLed twice and
 * started again: once while three phones upload (after 6 answers), once the outbox has begun sending the
 * writes of every record re-uploaded. Answers the problems found after recovery
 * (held, balances, settled once, audit) and a line saying where the kills fell.
 */
export async function sigkillTwice(dataDir: string, args: string[], databaseUrl: string | undefined): Promise<{ problems: string[]; summary: string }> {
  let relay = await startRelayProcess(dataDir, { args });
  const setup = await signCrashSessions(relay.caller, 40);
  const records = setup.batches.flat().length;
  const acked = new Set<number>();
  let answers = 0;
  let next = 0;
  let killing: Promise<void> | undefined;
  const phone = async () => {
    while (next < setup.batches.length) {
      const batch = setup.batches[next++]!;
      try {
        const seqs = await uploadBatch(relay.caller, batch);
        if (!seqs) continue;
        for (const seq of seqs) acked.add(seq);
        if (++answers === 6) killing = killRelayProcess(relay);
      } catch {
        return; // the relay is gone: this phone keeps its records for a later tap
      }
    }
  };
  await Promise.all([phone(), phone(), phone()]);
  await killing;
  const problems: string[] = [];
  if (acked.size < 24 || acked.size >= records) problems.push(`not killed mid-ingestion (${acked.size} of ${records} acknowledged)`);

  relay = await startRelayProcess(dataDir, { args });
  problems.push(...(await missingAcked(relay.caller, setup.pile, acked)).map((seq) => `acknowledged record ${seq} lost in the crash`));
  for (const batch of setup.batches) if (!(await uploadBatch(relay.caller, batch))) problems.push('a re-upload was refused');
  const pending = async () => (await relay.caller.call('GET', '/v1/relay')).json.outbox.pending as number;
  const queued = await pending();
  if (queued === 0) problems.push('no ledger writes queued to kill the relay during');
  let pendingAtKill = queued;
  // Kill once the outbox has begun landing writes (mid-drain), or after 3 s.
  for (let i = 0; i < 150 && pendingAtKill === queued; i++) {
    await new Promise((r) => setTimeout(r, 20));
    pendingAtKill = await pending();
  }
  await killRelayProcess(relay);

  relay = await startRelayProcess(dataDir, { args });
  await outboxDrained(relay.caller);
  problems.push(...(await balanceProblems(relay.caller, setup)));
  await stopRelayProcess(relay);
  problems.push(...(await settledOnceAndAudited(dataDir, databaseUrl, setup)));
  return { problems, summary: `kill 1 after ${acked.size} of ${records} records acknowledged; kill 2 with ${pendingAtKill} of ${queued} ledger writes pending` };
}

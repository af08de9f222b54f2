// Relay bench (issue 15 targets): record ingestion over HTTP on 127.0.0.1 into a relay running in a
// process of its own (`relay-process` mode of this file: its CPU time is read with
// process.cpuUsage(), every thread of it — event loop, verify workers, the embedded EDR ledger the
// outbox settles on meanwhile), on SQLite and on PostgreSQL with durable settings; upload → Ack
// latency at 60 phones; the 2-core ceiling of the relay's Ed25519 verification (libsodium). One markdown table.
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bytesToBase64url } from '../contracts-offline/bytes.ts';
import { sodiumEd25519 } from '../tools/sodium-ed25519.ts';
import { loadRelayKeys } from '../tools/relay/relay-keys.ts';
import { startRelay } from '../tools/relay/start-relay.ts';
import { startTestPostgres } from '../test/support/postgres.ts';
import { RelayCaller, TestClock, type TestPile } from '../test/support/relay-harness.ts';
import { prng } from '../test/support/prng.ts';
import { recordFigures } from './figures.ts';

const PHONES = 60;
const PILES = 60;
const USERS = 200;
/** Throughput: a phone carries a pile's backlog, 16 sessions (32 records) per upload (≤ 64 per sync). */
const BACKLOG_SESSIONS = 3_000;
/** Uploaded first, the same way, and measured apart: a relay just started compiles its hot code,
 * prepares its statements and sends its verify workers the pile keys (the relay's first minute). */
const WARM_UP_SESSIONS = 1_500;
const BACKLOG_RECORDS_PER_UPLOAD = 32;
/** Latency: each upload is one tap's session, its contract and receipt; unpaced, then paced. */
const TAP_SESSIONS = 900;
/** Paced: each phone taps on average every 200 ms, 300 uploads (600 records) a second from the 60. */
const PACED_GAP_MS = 200;
/** The load test's loop (test/e2e/load.test.ts), per phone: ask for a voucher, its pile signs the contract and the receipt, upload both. */
const LOOP_SESSIONS_PER_PHONE = 15;
const CEILING_S = 2;

type Cpu = { user: number; system: number };
/** cpuMs: the relay's CPU while the run's uploads are answered; settleCpuMs: after the last answer, until the ledger
 * outbox has settled the run's records (the ledger writes still queued then). */
type Phase = { records: number; seconds: number; cpuMs: number; settleCpuMs: number; phonesCpuMs: number; latenciesMs: number[] };
type Measured = { warmUp: Phase; backlog: Phase; taps: Phase; paced: Phase; loop: Phase & { voucherLatenciesMs: number[] } };

function ask<T>(child: ChildProcess, message: string | undefined, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`relay process exited with ${code}`));
    const onMessage = (m: Record<string, T>) => {
      if (!(key in m)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m[key]!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Sessions signed by the piles under vouchers the relay issued (8 voucher requests in flight). */
async function sessions(caller: RelayCaller, piles: TestPile[], users: Awaited<ReturnType<RelayCaller['newUser']>>[], count: number): Promise<Uint8Array[][]> {
  const made: Uint8Array[][] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) {
      const i = next++;
      const pile = piles[i % piles.length]!;
      const v = await caller.voucher(users[i % users.length]!, pile, { mode: 'amount', amountMinor: 3_000 });
      if (v.status !== 201) throw new Error(`voucher: ${v.text}`);
      const c = pile.contract(v.json.authorization, caller.clock.nowS);
      made[i] = [c.signed, pile.receipt(c.seq, { energyWh: 5_000 + i, durationS: 1_800, endAtS: caller.clock.nowS }).signed];
    }
  }));
  return made;
}

/** One upload of a phone; throws unless every record was accepted and Acks came back. */
async function postUpload(url: string, json: string): Promise<void> {
  const response = await fetch(`${url}/v1/records`, { method: 'POST', body: json, headers: { 'content-type': 'application/json' } });
  const answer = await response.json() as { results: { status: string }[]; acks: unknown[] };
  if (response.status !== 200 || answer.results.some((r) => r.status !== 'accepted') || answer.acks.length === 0) throw new Error(`upload: ${JSON.stringify(answer)}`);
}

/**
 * Runs the phones' `run` as one phase: the relay's outbox drained before; the relay's CPU while
 * `run` lasts (every thread), the phones' own CPU (this process), then the relay's CPU until its
 * outbox has settled the phase's records.
 */
async function measured(relay: ChildProcess, records: number, run: () => Promise<unknown>): Promise<Omit<Phase, 'latenciesMs'>> {
  await ask<Cpu>(relay, 'drain', 'drained');
  const cpu0 = await ask<Cpu>(relay, 'cpu', 'cpu');
  const started = performance.now();
  const phonesCpu0 = process.cpuUsage();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const phonesCpu = process.cpuUsage(phonesCpu0);
  const cpu1 = await ask<Cpu>(relay, 'cpu', 'cpu');
  const settled = await ask<Cpu>(relay, 'drain', 'drained');
  return {
    records,
    seconds,
    cpuMs: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000,
    settleCpuMs: (settled.user + settled.system) / 1000,
    phonesCpuMs: (phonesCpu.user + phonesCpu.system) / 1000,
  };
}

const sorted = (values: number[]) => values.sort((x, y) => x - y);

/**
 * PHONES phones upload the bodies. Unpaced: each sends its next one as soon as the last is answered
 * (the relay saturated). Paced: each phone's uploads are due at random times, on average
 * `meanGapMs` apart (a Poisson process per phone); an upload's latency runs from the time it was
 * due when its phone was still waiting for the previous answer, so a slow answer is not hidden.
 */
async function upload(relay: ChildProcess, url: string, bodies: { json: string; records: number }[], meanGapMs?: number): Promise<Phase> {
  const latenciesMs: number[] = [];
  let next = 0;
  const phase = await measured(relay, bodies.reduce((n, b) => n + b.records, 0), () => {
    const started = performance.now();
    return Promise.all(Array.from({ length: PHONES }, async (_, phone) => {
      const random = prng(phone + 1);
      const gapMs = () => (meanGapMs === undefined ? 0 : -Math.log(random.int(1, 1_000_000) / 1_000_000) * meanGapMs);
      let dueAt = started + gapMs();
      while (next < bodies.length) {
        const onTime = dueAt > performance.now();
        if (onTime) await new Promise((resolve) => setTimeout(resolve, dueAt - performance.now()));
        if (next >= bodies.length) break;
        const body = bodies[next++]!;
        const at = onTime || meanGapMs === undefined ? performance.now() : dueAt;
        await postUpload(url, body.json);
        latenciesMs.push(performance.now() - at);
        dueAt += gapMs();
      }
    }));
  });
  return { ...phase, latenciesMs: sorted(latenciesMs) };
}

/**
 * The load test's loop: phone i taps pile i, LOOP_SESSIONS_PER_PHONE times, each time asking the
 * relay for a voucher, having the pile sign the contract and the receipt, then uploading the two;
 * the next tap starts when the upload is answered. Each request's latency: sent → answer read.
 */
async function phonesLoop(relay: ChildProcess, caller: RelayCaller, piles: TestPile[], users: Awaited<ReturnType<RelayCaller['newUser']>>[]): Promise<Measured['loop']> {
  const latenciesMs: number[] = [];
  const voucherLatenciesMs: number[] = [];
  const phase = await measured(relay, PHONES * LOOP_SESSIONS_PER_PHONE * 2, () => Promise.all(Array.from({ length: PHONES }, async (_, phone) => {
    const pile = piles[phone % piles.length]!;
    for (let k = 0; k < LOOP_SESSIONS_PER_PHONE; k++) {
      const asked = performance.now();
      const v = await caller.voucher(users[(phone + k * PHONES) % users.length]!, pile, { mode: 'amount', amountMinor: 3_000 });
      voucherLatenciesMs.push(performance.now() - asked);
      if (v.status !== 201) throw new Error(`voucher: ${v.text}`);
      const c = pile.contract(v.json.authorization, caller.clock.nowS);
      const body = bodyOf([c.signed, pile.receipt(c.seq, { energyWh: 5_000 + k, durationS: 1_800, endAtS: caller.clock.nowS }).signed]);
      const sent = performance.now();
      await postUpload(caller.url, body.json);
      latenciesMs.push(performance.now() - sent);
    }
  })));
  return { ...phase, latenciesMs: sorted(latenciesMs), voucherLatenciesMs: sorted(voucherLatenciesMs) };
}

const bodyOf = (records: Uint8Array[]) => ({ json: JSON.stringify({ records: records.map(bytesToBase64url) }), records: records.length });

async function measure(databaseUrl: string | undefined): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-bench-'));
  const relay = fork(new URL(import.meta.url).pathname, ['relay-process', dir, ...(databaseUrl ? [databaseUrl] : [])], { stdio: 'inherit' });
  try {
    const url = await ask<string>(relay, undefined, 'url');
    const { relayKey, operatorKey } = loadRelayKeys(dir, sodiumEd25519);
    const caller = new RelayCaller(url, operatorKey, relayKey.publicKey, new TestClock());
    const piles: TestPile[] = [];
    for (let i = 0; i < PILES; i++) piles.push(await caller.newPile());
    const users = await Promise.all(Array.from({ length: USERS }, () => caller.newUser()));
    for (const u of users) await caller.topUp(u.kidHex, 100_000_000);
    const made = await sessions(caller, piles, users, WARM_UP_SESSIONS + BACKLOG_SESSIONS + 2 * TAP_SESSIONS);
    // Backlogs: each pile's sessions in order, cut into uploads.
    const backlogBodies = (backlog: Uint8Array[][]) => piles.flatMap((_, p) => {
      const records = backlog.filter((_, i) => i % PILES === p).flat();
      return Array.from({ length: Math.ceil(records.length / BACKLOG_RECORDS_PER_UPLOAD) }, (_, k) => bodyOf(records.slice(k * BACKLOG_RECORDS_PER_UPLOAD, (k + 1) * BACKLOG_RECORDS_PER_UPLOAD)));
    });
    let at = 0;
    const take = (count: number) => made.slice(at, (at += count));
    const [warmUpBodies, mainBodies] = [backlogBodies(take(WARM_UP_SESSIONS)), backlogBodies(take(BACKLOG_SESSIONS))];
    const tapBodies = take(TAP_SESSIONS).map(bodyOf);
    const pacedBodies = take(TAP_SESSIONS).map(bodyOf);
    const warmUp = await upload(relay, url, warmUpBodies);
    const backlog = await upload(relay, url, mainBodies);
    const taps = await upload(relay, url, tapBodies);
    const paced = await upload(relay, url, pacedBodies, PACED_GAP_MS);
    const loop = await phonesLoop(relay, caller, piles, users);
    return { warmUp, backlog, taps, paced, loop };
  } finally {
    relay.send('close');
    await new Promise((resolve) => relay.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ed25519 verifies per second of libsodium (sodium-native, the relay's provider) on 2 worker threads, one signed message of a record's size. */
async function verifyCeiling(): Promise<number> {
  const secretKey = new Uint8Array(32).fill(9);
  const message = new Uint8Array(180).fill(7);
  const signature = sodiumEd25519.sign(message, secretKey);
  const publicKey = sodiumEd25519.publicKey(secretKey);
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    const sodium = require(${JSON.stringify(createRequire(import.meta.url).resolve('sodium-native'))});
    const until = Date.now() + workerData.ms;
    let n = 0;
    while (Date.now() < until) for (let i = 0; i < 100; i++) if (sodium.crypto_sign_verify_detached(workerData.signature, workerData.message, workerData.publicKey)) n++;
    parentPort.postMessage(n);`;
  const counts = await Promise.all([0, 1].map(() => new Promise<number>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { publicKey, message, signature, ms: CEILING_S * 1000 } });
    w.once('message', (n: number) => void w.terminate().then(() => resolve(n)));
    w.once('error', reject);
  })));
  return counts.reduce((a, b) => a + b, 0) / CEILING_S;
}

async function main(): Promise<void> {
  const ceiling = await verifyCeiling();
  if (process.env['RELAY_BENCH_PROFILE']) return profiled(process.env['RELAY_BENCH_PROFILE_ENGINE'] === 'postgres');
  const sqlite = await measure(undefined);
  const pg = await startTestPostgres({ durable: true });
  let postgres: Measured;
  try {
    postgres = await measure(pg.url);
  } finally {
    await pg.stop();
  }
  const perS = (p: Phase) => p.records / p.seconds;
  const n = (x: number) => Math.round(x).toLocaleString('en');
  const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
  const both = (f: (m: Measured) => string) => `${f(sqlite)} | ${f(postgres)}`;
  const pacedRecordsPerS = (PHONES * 2 * 1000) / PACED_GAP_MS;
  const pacedMethod = `${n(TAP_SESSIONS)} uploads of 2 records; each phone's uploads due at random (Poisson) times ${PACED_GAP_MS} ms apart on average; from the time sent (or due, when its phone was still waiting for its last answer) → answer with its Ack read`;
  const pgKind = process.env['DATABASE_URL'] ? 'PostgreSQL (DATABASE_URL, as configured)' : 'PostgreSQL durable (fsync, synchronous_commit on)';
  console.log(`${PILES} piles, ${USERS} users, ${PHONES} phones each sending its next upload when the last is answered, HTTP on 127.0.0.1, relay in its own process (embedded EDR ledger: the outbox settles the run's records meanwhile, and what is still queued at the run's end is drained after it); ${PHONES} phones on the same 2 cores as the relay.\n`);
  console.log(`| measure | SQLite (WAL, synchronous=FULL) | ${pgKind} | target | method |`);
  console.log('|---|---:|---:|---:|---|');
  const warmedUp = `after a warm-up of ${n(WARM_UP_SESSIONS * 2)} other records uploaded the same way`;
  console.log(`| records/s | ${both((m) => n(perS(m.backlog)))} | ≥ 5,000 / ≥ 3,000 | ${n(BACKLOG_SESSIONS * 2)} records, uploads of ${BACKLOG_RECORDS_PER_UPLOAD} (a pile's backlog of 16 sessions) ÷ wall time from the first upload to the last answer, ${warmedUp} (its own rows below) |`);
  console.log(`| ratio to the 2-core verify ceiling | ${both((m) => (perS(m.backlog) / ceiling).toFixed(3))} | — | records/s above ÷ the ceiling below |`);
  console.log(`| relay CPU per record | ${both((m) => ms(m.backlog.cpuMs / m.backlog.records))} | ≤ 0.3 ms | the relay process's process.cpuUsage() (user + system, all its threads: event loop, verify workers, EDR ledger) over the run above ÷ records |`);
  console.log(`| the phones' CPU per record | ${both((m) => ms(m.backlog.phonesCpuMs / m.backlog.records))} | — | this process's process.cpuUsage() over that run (the ${PHONES} phones' fetch calls, on the relay's 2 cores) ÷ records |`);
  console.log(`| records/s, warm-up: the first ${n(WARM_UP_SESSIONS * 2)} records after start | ${both((m) => n(perS(m.warmUp)))} | — | as records/s, on a relay just started: its hot code still compiling, its statements being prepared, its verify workers starting (tsx loads in each) and being sent the pile keys |`);
  console.log(`| relay CPU per record, warm-up | ${both((m) => ms(m.warmUp.cpuMs / m.warmUp.records))} | — | as relay CPU per record, over the warm-up |`);
  console.log(`| relay CPU per record, its settlement included | ${both((m) => ms((m.backlog.cpuMs + m.backlog.settleCpuMs) / m.backlog.records))} | — | the run's CPU above + the relay process's CPU from the run's last answer until its ledger outbox is drained (the ledger writes still queued at the end of the run), ÷ records |`);
  console.log(`| records/s, one session per upload | ${both((m) => n(perS(m.taps)))} | — | ${n(TAP_SESSIONS * 2)} records, uploads of 2 (one tap: contract + receipt) |`);
  console.log(`| upload → Ack p50, ${PHONES} phones, saturated | ${both((m) => ms(percentile(m.taps.latenciesMs, 50)))} | — | per upload of 2 records, request sent → answer with its Ack read, every phone sending its next upload as soon as the last is answered |`);
  console.log(`| upload → Ack p95, ${PHONES} phones, saturated | ${both((m) => ms(percentile(m.taps.latenciesMs, 95)))} | ≤ 25 ms | same run |`);
  console.log(`| upload → Ack p50, ${PHONES} phones, ${n(pacedRecordsPerS)} records/s offered | ${both((m) => ms(percentile(m.paced.latenciesMs, 50)))} | — | ${pacedMethod} |`);
  console.log(`| upload → Ack p95, ${PHONES} phones, ${n(pacedRecordsPerS)} records/s offered | ${both((m) => ms(percentile(m.paced.latenciesMs, 95)))} | ≤ 25 ms | same run |`);
  const loopMethod = `${PHONES} phones in the load test's loop (test/e2e/load.test.ts), ${LOOP_SESSIONS_PER_PHONE} taps each: ask for a voucher, the phone's pile signs the contract and the receipt, upload the two; the next tap when the upload is answered`;
  console.log(`| upload → Ack p50, ${PHONES} phones in the load test's loop | ${both((m) => ms(percentile(m.loop.latenciesMs, 50)))} | — | ${loopMethod}; per upload, request sent → answer with its Ack read |`);
  console.log(`| upload → Ack p95, ${PHONES} phones in the load test's loop | ${both((m) => ms(percentile(m.loop.latenciesMs, 95)))} | ≤ 25 ms | same run |`);
  console.log(`| voucher request p95, same loop | ${both((m) => ms(percentile(m.loop.voucherLatenciesMs, 95)))} | — | same run, request sent → Authorization read |`);
  console.log(`| sessions/s and records/s, same loop | ${both((m) => `${n(m.loop.records / 2 / m.loop.seconds)} / ${n(m.loop.records / m.loop.seconds)}`)} | — | same run, ${n(PHONES * LOOP_SESSIONS_PER_PHONE)} sessions ÷ wall time |`);
  console.log(`| relay CPU per record, one session per upload | ${both((m) => ms(m.taps.cpuMs / m.taps.records))} | — | as above, over the tap run |`);
  console.log(`| 2-core verify ceiling | ${n(ceiling)}/s | (same) | — | libsodium (sodium-native) Ed25519 verify of one 180-byte message on 2 worker threads for ${CEILING_S} s, before the relays start |`);
  const setup = `relay in its own process, ${PILES} piles, ${USERS} users, ${PHONES} phones on the same 2 cores each sending its next upload when the last is answered, HTTP on 127.0.0.1 (bench/relay.bench.ts)`;
  const throughput = `${n(BACKLOG_SESSIONS * 2)} records in uploads of ${BACKLOG_RECORDS_PER_UPLOAD} ÷ wall time from the first upload to the last answer, ${warmedUp}; ${setup}`;
  const cpu = `the relay process's process.cpuUsage() (all its threads) over that run ÷ records, ${warmedUp}; ${setup}`;
  const settledCpu = `the relay process's CPU over that run + from its last answer until the ledger outbox has settled the records still queued, ÷ records; ${setup}`;
  const p95 = `95th percentile of request sent → answer with its Ack read, ${n(TAP_SESSIONS)} uploads of 2 records (one tap's contract + receipt); ${setup}`;
  const loopP95 = `95th percentile of upload sent → answer with its Ack read, ${loopMethod}; phones on the same 2 cores, relay in its own process, HTTP on 127.0.0.1 (bench/relay.bench.ts)`;
  const pacedP95 = `95th percentile, ${pacedMethod}; ${PHONES} phones on the same 2 cores, relay in its own process, HTTP on 127.0.0.1 (bench/relay.bench.ts)`;
  recordFigures({
    'relay.sqlite.recordsPerS': { value: perS(sqlite.backlog), method: `${throughput}; SQLite WAL, synchronous=FULL` },
    'relay.sqlite.ceilingRatio': { value: perS(sqlite.backlog) / ceiling, method: `records/s above ÷ ${n(ceiling)}/s, libsodium Ed25519 verifies of a 180-byte message on 2 worker threads for ${CEILING_S} s in the same run` },
    'relay.postgres.recordsPerS': { value: perS(postgres.backlog), method: `${throughput}; ${pgKind}` },
    'relay.sqlite.cpuMsPerRecord': { value: sqlite.backlog.cpuMs / sqlite.backlog.records, method: cpu },
    'relay.postgres.cpuMsPerRecord': { value: postgres.backlog.cpuMs / postgres.backlog.records, method: cpu },
    'relay.sqlite.cpuMsPerRecordSettled': { value: (sqlite.backlog.cpuMs + sqlite.backlog.settleCpuMs) / sqlite.backlog.records, method: settledCpu },
    'relay.postgres.cpuMsPerRecordSettled': { value: (postgres.backlog.cpuMs + postgres.backlog.settleCpuMs) / postgres.backlog.records, method: settledCpu },
    'relay.sqlite.p95Ms': { value: percentile(sqlite.taps.latenciesMs, 95), method: p95 },
    'relay.postgres.p95Ms': { value: percentile(postgres.taps.latenciesMs, 95), method: p95 },
    'relay.sqlite.loopP95Ms': { value: percentile(sqlite.loop.latenciesMs, 95), method: loopP95 },
    'relay.postgres.loopP95Ms': { value: percentile(postgres.loop.latenciesMs, 95), method: loopP95 },
    'relay.sqlite.pacedP95Ms': { value: percentile(sqlite.paced.latenciesMs, 95), method: pacedP95 },
    'relay.postgres.pacedP95Ms': { value: percentile(postgres.paced.latenciesMs, 95), method: pacedP95 },
  });
}

/** One engine's runs with the relay profiling itself (RELAY_BENCH_PROFILE). */
async function profiled(postgres: boolean): Promise<void> {
  const pg = postgres ? await startTestPostgres({ durable: true }) : undefined;
  let m: Measured;
  try {
    m = await measure(pg?.url);
  } finally {
    await pg?.stop();
  }
  const line = (name: string, p: Phase) => `${name}: ${Math.round(p.records / p.seconds)} records/s, ${(p.cpuMs / p.records).toFixed(3)} ms CPU a record (+ ${(p.settleCpuMs / p.records).toFixed(3)} ms settling after the run), p50 ${percentile(p.latenciesMs, 50).toFixed(1)} ms, p95 ${percentile(p.latenciesMs, 95).toFixed(1)} ms`;
  console.log(`${postgres ? 'PostgreSQL durable' : 'SQLite'} only (profiling, figures include the profiler's cost)\n${line('warm-up', m.warmUp)}\n${line('backlog', m.backlog)}\n${line('taps', m.taps)}\n${line('paced taps', m.paced)}\n${line('load test loop', m.loop)}`);
}

/** CPU seconds of each thread of this process, by thread name and id (Linux /proc; empty elsewhere). */
function threadCpuS(): Map<string, number> {
  const byThread = new Map<string, number>();
  const clockTicksPerS = 100; // Linux USER_HZ: the unit of utime and stime
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = tid === String(process.pid) ? 'event loop' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}#${tid}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byThread.set(name, (Number(fields[11]) + Number(fields[12])) / clockTicksPerS);
    }
  } catch {
    // not Linux: no breakdown
  }
  return byThread;
}

/**
 * RELAY_BENCH_PROFILE=DIR: the relay process writes a CPU profile of its event loop (node:inspector)
 * into DIR for each measured run and each drain of the ledger outbox before one (its ledger writes
 * are settled there, outside the measure), and prints its threads' CPU seconds over each; SQLite's
 * runs, or PostgreSQL's (durable) with RELAY_BENCH_PROFILE_ENGINE=postgres.
 */
function profiler(dir: string, label: string) {
  const session = new Session();
  session.connect();
  let part = 0;
  let threads0 = new Map<string, number>();
  return {
    async start(): Promise<void> {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      threads0 = threadCpuS();
    },
    async stop(what: 'run' | 'drain', detail: string): Promise<void> {
      const threads1 = threadCpuS();
      const { profile } = await session.post('Profiler.stop');
      const file = join(dir, `relay-${label}-${++part}-${what}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const lines = [...threads1].map(([name, s]) => [name, s - (threads0.get(name) ?? 0)] as const).filter(([, s]) => s > 0.005).sort((a, b) => b[1] - a[1]);
      console.error(`relay ${label} ${what} (${detail}): ${file}; thread CPU s: ${lines.map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', ')}`);
    },
  };
}

if (process.argv[2] === 'relay-process') {
  const [dataDir, databaseUrl] = process.argv.slice(3);
  const relay = await startRelay({ dataDir: dataDir!, port: 0, log: () => undefined, ...(databaseUrl ? { databaseUrl } : {}) });
  const profileDir = process.env['RELAY_BENCH_PROFILE'];
  const profile = profileDir ? profiler(profileDir, databaseUrl ? 'postgres' : 'sqlite') : undefined;
  let measuring = false;
  process.on('message', async (m) => {
    if (m === 'cpu') {
      const cpu = process.cpuUsage();
      if (measuring) {
        const { pending } = await relay.outboxStats();
        await profile?.stop('run', `${pending} ledger writes queued at its end`);
      } else {
        await profile?.start();
      }
      measuring = !measuring;
      process.send!({ cpu });
    }
    if (m === 'drain') {
      await profile?.start();
      const [at, cpu] = [performance.now(), process.cpuUsage()];
      await relay.drainLedger(120_000);
      const { user, system } = process.cpuUsage(cpu);
      await profile?.stop('drain', `${(performance.now() - at).toFixed(0)} ms, ${((user + system) / 1000).toFixed(0)} ms CPU`);
      process.send!({ drained: { user, system } });
    }
    if (m === 'close') void relay.close().then(() => process.exit(0));
  });
  process.send!({ url: relay.url });
} else {
  await main();
}

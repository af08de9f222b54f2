// Two relay instances on one PostgreSQL database (durable defaults) and one EVM chain (anvil over
// JSON-RPC): two `tapcharge relay start --database-url URL --rpc URL --key HEX --address ADDR`
// processes sharing relay-key.json, each with its own data folder. Bounded load: 32 phones for
// 20 s, half on each instance, some receipts carried by another phone (so by the other instance),
// some records carried twice. Mid-load the chain stops mining, so the batch the outbox worker is
// sending stays in flight; the instance holding the outbox lease (the worker_leases row) is
// SIGKILLed with it; mining resumes, so that batch lands with no one left to mark it. The other
// instance takes the lease once it runs out and re-sends those rows: the ledger answers duplicate
// and moves nothing; the rows name the batch's transaction. Phones of the dead instance turn to the
// live one, as a load balancer would send them. Then: every record held once and acknowledged,
// each contract settled once (opened once before, or in one step), balances conserved (ledger
// audit), and the relay audit of the PostgreSQL database (both instances' operator keys trusted)
// passes.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { readKeyFile } from '../../tools/key-file.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { connectRpcLedger, deployRpcLedger } from '../../tools/ledger/rpc.ts';
import { auditRelay } from '../../tools/relay/audit/audit-relay.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { startAnvil } from '../support/anvil.ts';
import { startTestPostgres } from '../support/postgres.ts';
import { ackedSeqs, settledOnce } from '../support/relay-crash.ts';
import type { RelayCaller, TestPile } from '../support/relay-harness.ts';
import { type RelayProcess, killRelayProcess, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const PHONES = 32;
const PILES = 4;
const LOAD_MS = 20_000;
const KILL_AFTER_MS = 6_000;
const MAX_SESSIONS_PER_PHONE = 500;
const RECORDS_PER_UPLOAD = 4;

type Carried = { pile: TestPile; seq: number; signed: Uint8Array; acked: boolean; uploads: number };

async function anvilRpc(url: string, method: string, params: unknown[] = []): Promise<any> {
  const reply = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const json = (await reply.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(`anvil ${method}: ${json.error.message}`);
  return json.result;
}

test(`two relay instances on one durable PostgreSQL, ${PHONES} phones for ${LOAD_MS / 1000} s, the outbox holder SIGKILLed mid-batch: every record settled once, audit PASS`, async () => {
  const pg = await startTestPostgres({ durable: true });
  const anvil = await startAnvil();
  const dirs = [mkdtempSync(join(tmpdir(), 'tapcharge-instance-a-')), mkdtempSync(join(tmpdir(), 'tapcharge-instance-b-'))] as const;
  const relays: RelayProcess[] = [];
  try {
    const operatorKey = anvil.keys[0]!;
    const deployed = await deployRpcLedger({ url: anvil.url, privateKey: operatorKey });
    const address = deployed.address;
    await deployed.close();
    const args = ['--database-url', pg.url, '--rpc', anvil.url, '--key', operatorKey, '--address', address];
    relays.push(await startRelayProcess(dirs[0], { args }));
    copyFileSync(join(dirs[0], 'relay-key.json'), join(dirs[1], 'relay-key.json')); // the instances share the trust anchor
    relays.push(await startRelayProcess(dirs[1], { args }));
    const callers = relays.map((r) => r.caller);
    const alive = [true, true];
    /** The caller a phone of instance `i` reaches: its own, or the other once its own is dead (the load balancer's health check). */
    const via = (i: number): RelayCaller => callers[alive[i] ? i : 1 - i]!;

    const piles: TestPile[] = [];
    for (let i = 0; i < PILES; i++) piles.push(await callers[i % 2]!.newPile({ energyMinorPerKwh: 25 + 5 * i, timeMinorPerHour: (i % 2) * 60, sessionFeeMinor: (i % 3) * 20 }, 7_400 + 1_000 * i));
    const users = await Promise.all(Array.from({ length: PHONES }, (_, u) => callers[u % 2]!.newUser(`Phone ${u + 1}`)));
    // Top-ups through the other instance; 202 (still queued on the ledger) is enough: vouchers read the book.
    const topUps = await Promise.all(users.map((user, u) => callers[1 - (u % 2)]!.topUp(user.kidHex, 10_000_000)));
    assert.ok(topUps.every((r) => r.status === 200 || r.status === 202), topUps.map((r) => r.status).join());

    const carried = new Map<string, Carried>();
    const queues: Carried[][] = users.map(() => []);
    const settledAmount = new Map<string, number>();
    const problems: string[] = [];
    const uploadFrom = async (u: number, batch: Carried[]): Promise<void> => {
      const caller = via(u % 2);
      let reply;
      try {
        reply = await caller.upload(...batch.map((c) => c.signed));
      } catch {
        queues[u]!.unshift(...batch); // no answer (its instance died): the phone keeps the batch
        return;
      }
      if (reply.status !== 200) {
        problems.push(`upload: ${reply.status} ${reply.text.slice(0, 200)}`);
        return;
      }
      reply.json.results.forEach((r: { status: string; error?: string; problem?: string }, i: number) => {
        batch[i]!.uploads++;
        if (r.status !== 'accepted' && r.status !== 'duplicate') problems.push(`rejected: ${r.error}`);
        if (r.problem) problems.push(`problem: ${r.problem}`);
      });
      for (const c of batch) {
        const ack = reply.json.acks.find((a: { pileId: string }) => a.pileId === c.pile.pileIdHex);
        if (ack && ackedSeqs(ack.ack, caller.relayPublicKey).includes(c.seq)) c.acked = true;
        else problems.push(`no Ack covers ${c.pile.pileIdHex}#${c.seq}`);
      }
    };
    const flush = async (u: number) => {
      for (let i = 0; i < 100 && queues[u]!.length > 0; i++) await uploadFrom(u, queues[u]!.splice(0, RECORDS_PER_UPLOAD));
    };

    const started = performance.now();
    const deadline = started + LOAD_MS;
    const phones = Promise.all(users.map(async (user, u) => {
      const rng = new SeededRandom(u + 1);
      for (let n = 0; n < MAX_SESSIONS_PER_PHONE && performance.now() < deadline; n++) {
        const pile = piles[(u + n) % PILES]!;
        let voucher;
        try {
          voucher = await via(u % 2).voucher(user, pile, { mode: 'amount', amountMinor: 500 + rng.below(2_500) });
        } catch {
          continue; // its instance died mid-request: ask again
        }
        if (voucher.status !== 201) {
          problems.push(`voucher: ${voucher.status} ${voucher.text.slice(0, 200)}`);
          continue;
        }
        const c = pile.contract(voucher.json.authorization, Math.floor(Date.now() / 1000));
        const energyWh = 1_000 + rng.below(7_001);
        const r = pile.receipt(c.seq, { energyWh, durationS: Math.ceil((energyWh * 3_600) / pile.maxPowerW), endAtS: Math.floor(Date.now() / 1000) });
        settledAmount.set(`${pile.pileIdHex}#${c.seq}`, r.amountMinor);
        const contract: Carried = { pile, seq: c.seq, signed: c.signed, acked: false, uploads: 0 };
        const receipt: Carried = { pile, seq: r.seq, signed: r.signed, acked: false, uploads: 0 };
        carried.set(`${pile.pileIdHex}#${c.seq}`, contract);
        carried.set(`${pile.pileIdHex}#${r.seq}`, receipt);
        const other = () => queues[(u + 1 + rng.below(PHONES - 1)) % PHONES]!;
        queues[u]!.push(contract);
        (rng.below(5) === 0 ? other() : queues[u]!).push(receipt); // another phone's tap carries the receipt
        if (rng.below(4) === 0) other().push(rng.below(2) === 0 ? { ...contract, acked: false, uploads: 0 } : { ...receipt, acked: false, uploads: 0 }); // and a second copy
        await flush(u);
      }
    }));

    // Mid-load: stop mining, wait for the worker's batch to be in flight, SIGKILL the lease holder, mine it.
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    const { db } = await openRelayDb({ dataDir: dirs[0], databaseUrl: pg.url, nowMs: Date.now() });
    const leaseOwner = async () => (await db.get<{ owner: string }>("SELECT owner FROM worker_leases WHERE name = 'ledger-outbox'"))!.owner;
    let holderIndex = -1;
    let inFlight = 0;
    let takeoverS: number | undefined;
    try {
      try {
        await anvilRpc(anvil.url, 'evm_setAutomine', [false]);
        for (let i = 0; i < 100 && inFlight === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          inFlight = Number((await anvilRpc(anvil.url, 'txpool_status')).pending);
        }
        const owner = await leaseOwner();
        holderIndex = dirs.findIndex((d) => owner.includes(`:${d} `));
        assert.ok(holderIndex >= 0, `the lease names an instance: ${owner}`);
        alive[holderIndex] = false;
        await killRelayProcess(relays[holderIndex]!);
      } finally {
        await anvilRpc(anvil.url, 'evm_mine');
        await anvilRpc(anvil.url, 'evm_setAutomine', [true]);
      }
      const killedAt = performance.now();
      for (let i = 0; i < 400 && takeoverS === undefined; i++) {
        if ((await leaseOwner()).includes(`:${dirs[1 - holderIndex]} `)) takeoverS = (performance.now() - killedAt) / 1000;
        else await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await db.close();
    }
    assert.is(inFlight, 1, 'the killed instance had a ledger batch in flight');
    assert.ok(takeoverS !== undefined, 'the other instance took the lease');
    const survivor = callers[1 - holderIndex]!;

    await phones;
    const loadS = (performance.now() - started) / 1000;
    for (let round = 0; round < 5 && queues.some((q) => q.length > 0); round++) await Promise.all(queues.map((_, u) => flush(u)));
    for (let i = 0; i < 1_200 && (await survivor.call('GET', '/v1/relay')).json.outbox.pending > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const outbox = (await survivor.call('GET', '/v1/relay')).json.outbox;
    const drainedS = (performance.now() - started) / 1000;

    assert.equal(problems.slice(0, 5), [], `${problems.length} problems`);
    assert.equal(queues.flat().length, 0, 'every record uploaded');
    const records = [...carried.values()];
    assert.ok(settledAmount.size >= PHONES, `${settledAmount.size} sessions`);
    assert.ok(records.every((c) => c.acked), 'every record acknowledged by a relay-signed Ack');
    assert.equal([outbox.pending, outbox.rejected], [0, 0], 'the survivor drained the outbox, nothing refused');
    assert.is(await stopRelayProcess(relays[1 - holderIndex]!), 0);

    const ledger = await connectRpcLedger({ url: anvil.url, privateKey: operatorKey, address });
    const opened = await openRelayDb({ dataDir: dirs[1 - holderIndex]!, databaseUrl: pg.url, nowMs: Date.now() });
    try {
      const held = await opened.db.get<{ n: string }>('SELECT COUNT(*) AS n FROM records');
      assert.is(Number(held!.n), records.length, 'every record held once');
      const history = await ledger.history();
      for (const key of settledAmount.keys()) {
        const [pileId, seq] = key.split('#');
        const id = contractIdOf(piles.find((p) => p.pileIdHex === pileId)!.pileId, BigInt(seq!));
        const wrong = settledOnce(history, id);
        if (wrong) assert.unreachable(`${key}: ${wrong}`);
      }
      const resent = history.filter((e) => e.kind === 'skipped' || e.kind === 'ref-duplicate');
      assert.ok(resent.every((e) => e.kind === 'ref-duplicate' || e.reason === 'duplicate'), 'a re-sent write is only ever a duplicate');
      const anchors = {
        relayPublicKey: readKeyFile(join(dirs[0], 'relay-key.json')).publicKey,
        operatorPublicKeys: dirs.map((d) => readKeyFile(join(d, 'operator-key.json')).publicKey),
      };
      const audit = await auditRelay(opened.db, ledger, { anchors });
      assert.equal(audit.disagreements.slice(0, 5), []);
      assert.equal(audit.ledger.problems, [], 'conservation: balances and escrow rebuilt from events equal the chain');
      assert.ok(audit.ok);
      assert.is(audit.settledVerified, settledAmount.size);
      for (const s of audit.sessions) {
        if (s.settlement?.settledMinor !== settledAmount.get(`${s.pileId}#${s.seq}`)) assert.unreachable(`${s.pileId}#${s.seq} settled ${s.settlement?.settledMinor}`);
      }
      console.log(`instances: ${PHONES} phones, ${PILES} piles, ${loadS.toFixed(1)} s: ${settledAmount.size} sessions, ${records.length} records; ` +
        `instance ${holderIndex === 0 ? 'A' : 'B'} killed with a batch in flight, lease taken over ${takeoverS!.toFixed(1)} s later; ${resent.length} entries re-sent and answered duplicate; all settled at ${drainedS.toFixed(1)} s`);
    } finally {
      await opened.db.close();
      await ledger.close();
    }
  } finally {
    for (const r of relays) if (r.process.exitCode === null && r.process.signalCode === null) await killRelayProcess(r);
    await anvil.stop();
    await pg.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test.run();

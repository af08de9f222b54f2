// Bounded load on 127.0.0.1: a relay process (`tapcharge relay start`, SQLite + embedded ledger)
// and 60 concurrent phones for 30 s. Each phone loops: ask the relay for a voucher (a signed user
// request), have a pile sign the Contract and, once the session is over, the Receipt, and upload
// what it carries in batches of at most 4 (an OUTBOX page). Some records are carried by a second
// phone too (a duplicate upload), some receipts only by another phone, so they may reach the relay
// before their contract. The piles here sign with their registered keys through contracts-offline
// — the firmware's encoders, billing sequence and cost rule — without running the firmware (the
// day and the flow tests run it); that is what lets 60 phones produce records as fast as the relay
// takes them. Checked: no HTTP error, no rejected record, every upload answered with a
// relay-signed Ack covering it, every record accepted exactly once (the rest duplicates), and,
// from the data folder after a clean stop, every session opened and settled exactly once on the
// ledger with the audit passing. Prints the throughput.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import { EndDetail, encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { readAnchors } from '../../tools/relay/audit/open-relay-data.ts';
import { auditSessions } from '../../tools/system-day/session-audit.ts';
import { OUTBOX_MAX_RECORDS } from '../../contracts-offline/apdu.ts';
import { killRelayProcess, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const PHONES = 60;
const PILES = 6;
const LOAD_MS = 30_000;
const MAX_SESSIONS_PER_PHONE = 2_000;
/** A phone uploads what one OUTBOX answer carries. */
const RECORDS_PER_UPLOAD = OUTBOX_MAX_RECORDS;

/** A pile's signing side: its registered key, its billing sequence and meter, the firmware's message encoders. */
class SigningPile {
  seq = 0;
  meterWh = 1_000_000;
  constructor(readonly key: KeyPair, readonly tariff: Tariff, readonly maxPowerW: number) {}

  contract(auth: Authorization, atS: number): { seq: number; signed: Uint8Array } {
    const seq = ++this.seq;
    const bytes = encodeContract({ pileId: this.key.kid, seq, userKid: auth.userKid, voucherId: auth.voucherId, limit: auth.limit, tariff: this.tariff, startMeterWh: this.meterWh, capMinor: auth.capMinor, startAtS: atS });
    return { seq, signed: signMessage(bytes, this.key.secretKey, { kid: this.key.kid, crypto: sodiumEd25519 }) };
  }

  receipt(contractSeq: number, capMinor: number, energyWh: number, atS: number): { seq: number; amountMinor: number; signed: Uint8Array } {
    const seq = ++this.seq;
    const durationS = Math.ceil((energyWh * 3600) / this.maxPowerW);
    const amountMinor = Math.min(sessionCostMinor(this.tariff, energyWh, durationS), capMinor);
    this.meterWh += energyWh;
    const bytes = encodeReceipt({ pileId: this.key.kid, contractSeq, seq, endReason: 'normal', endDetail: EndDetail.limitReached, energyWh, durationS, amountMinor, endMeterWh: this.meterWh, endAtS: atS + durationS });
    return { seq, amountMinor, signed: signMessage(bytes, this.key.secretKey, { kid: this.key.kid, crypto: sodiumEd25519 }) };
  }
}

type Held = { pileId: string; seq: number; signed: Uint8Array; uploads: number; accepted: number; duplicates: number };

async function pendingLedgerWrites(admin: RelayClient, operatorKey: KeyPair, users: KeyPair[]): Promise<number> {
  let pending = 0;
  for (const user of users) pending += (await admin.user(operatorKey, user.kid)).pendingLedgerWrites;
  return pending;
}

test(`${PHONES} phones upload to one relay for ${LOAD_MS / 1000} s: every record accepted once, every session settled once`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-e2e-load-'));
  const relay = await startRelayProcess(dir);
  try {
    const operatorKey = relay.caller.operator;
    const admin = new RelayClient({ baseUrl: relay.url, crypto: sodiumEd25519, timeoutMs: 60_000 });
    const relayKey = (await admin.relayInfo()).relayPublicKey;
    const piles: SigningPile[] = [];
    for (let i = 0; i < PILES; i++) {
      const tariff = { energyMinorPerKwh: 25 + i * 5, timeMinorPerHour: (i % 2) * 60, sessionFeeMinor: (i % 3) * 20 };
      const pile = new SigningPile(generateKeyPair({ crypto: sodiumEd25519 }), { version: 1, ...tariff }, 7400 + i * 1000);
      await admin.registerPile(operatorKey, { pileId: pile.key.kid, publicKey: pile.key.publicKey, operator: 'load test', label: `Load ${i + 1}`, maxPowerW: pile.maxPowerW, tariff });
      piles.push(pile);
    }
    const users = Array.from({ length: PHONES }, () => generateKeyPair({ crypto: sodiumEd25519 }));
    await Promise.all(users.map((u, i) => admin.registerUser(u, `Phone ${i + 1}`)));
    await Promise.all(users.map((u) => admin.issue(operatorKey, u.kid, 10_000_000)));

    const held = new Map<string, Held>();
    const queues: Held[][] = users.map(() => []);
    const problems: string[] = [];
    const latenciesMs: number[] = [];
    const settledAmount = new Map<string, number>();
    let vouchers = 0;
    let uploads = 0;
    const hold = (pile: SigningPile, record: { seq: number; signed: Uint8Array }): Held => {
      const h = { pileId: bytesToHex(pile.key.kid), seq: record.seq, signed: record.signed, uploads: 0, accepted: 0, duplicates: 0 };
      held.set(`${h.pileId}#${h.seq}`, h);
      return h;
    };
    const upload = async (client: RelayClient, batch: Held[]): Promise<void> => {
      const at = performance.now();
      let answer;
      try {
        answer = await client.submitRecords(batch.map((h) => h.signed));
      } catch (error) {
        problems.push(`upload: ${(error as Error).message}`);
        return;
      }
      latenciesMs.push(performance.now() - at);
      uploads += batch.length;
      answer.results.forEach((r, i) => {
        const h = batch[i]!;
        h.uploads++;
        if (r.status === 'accepted') h.accepted++;
        else if (r.status === 'duplicate') h.duplicates++;
        else problems.push(`${h.pileId}#${h.seq} rejected: ${r.error} ${r.message}`);
        if (r.problem) problems.push(`${h.pileId}#${h.seq}: ${r.problem}`);
      });
      for (const pileId of new Set(batch.map((h) => h.pileId))) {
        const ack = answer.acks.find((a) => a.pileId === pileId);
        const opened = ack && openSigned(ack.ack, { publicKey: relayKey, crypto: sodiumEd25519, expectType: 'Ack' });
        if (!opened?.ok) {
          problems.push(`no valid Ack for pile ${pileId}`);
          continue;
        }
        for (const h of batch.filter((b) => b.pileId === pileId)) {
          if (!opened.value.message.ranges.some((r) => r.fromSeq <= h.seq && h.seq <= r.toSeq)) problems.push(`Ack for ${pileId} does not cover ${h.seq}`);
        }
      }
    };
    const flush = async (u: number, client: RelayClient): Promise<void> => {
      while (queues[u]!.length > 0) await upload(client, queues[u]!.splice(0, RECORDS_PER_UPLOAD));
    };

    const started = performance.now();
    const deadline = started + LOAD_MS;
    await Promise.all(users.map(async (user, u) => {
      const client = new RelayClient({ baseUrl: relay.url, crypto: sodiumEd25519, timeoutMs: 60_000 });
      const rng = new SeededRandom(u + 1);
      for (let n = 0; n < MAX_SESSIONS_PER_PHONE && performance.now() < deadline; n++) {
        const pile = piles[(u + n) % PILES]!;
        let voucher;
        try {
          voucher = await client.requestVoucher(user, { pileId: pile.key.kid, pileNonce: randomBytes(16), limit: { mode: 'energy', energyWh: 8000 } });
        } catch (error) {
          problems.push(`voucher: ${(error as Error).message}`);
          continue;
        }
        vouchers++;
        const auth = openSigned(voucher, { publicKey: relayKey, crypto: sodiumEd25519, expectType: 'Authorization' });
        if (!auth.ok) throw new Error(`voucher does not verify: ${auth.reason}`);
        const atS = Math.floor(Date.now() / 1000);
        const contract = hold(pile, pile.contract(auth.value.message, atS));
        const signedReceipt = pile.receipt(contract.seq, auth.value.message.capMinor, 1000 + rng.below(7001), atS);
        const receipt = hold(pile, signedReceipt);
        settledAmount.set(`${contract.pileId}#${contract.seq}`, signedReceipt.amountMinor);
        const other = () => queues[(u + 1 + rng.below(PHONES - 1)) % PHONES]!;
        queues[u]!.push(contract);
        (rng.below(5) === 0 ? other() : queues[u]!).push(receipt); // another phone's tap carries the receipt
        if (rng.below(4) === 0) other().push(rng.below(2) === 0 ? contract : receipt); // and sometimes a second copy
        await flush(u, client);
      }
    }));
    const loadS = (performance.now() - started) / 1000;
    await Promise.all(queues.map((_, u) => flush(u, admin))); // what other phones handed to a phone that had stopped
    const flushedS = (performance.now() - started) / 1000;
    while ((await pendingLedgerWrites(admin, operatorKey, users)) > 0) await new Promise((r) => setTimeout(r, 250));
    const drainedS = (performance.now() - started) / 1000;

    const records = [...held.values()];
    const sessions = settledAmount.size;
    assert.equal(problems.slice(0, 5), [], `${problems.length} problems`);
    assert.ok(sessions >= PHONES, `${sessions} sessions`);
    assert.ok(records.every((h) => h.uploads >= 1), 'every record uploaded');
    assert.ok(records.every((h) => h.accepted === 1), 'every record accepted exactly once');
    assert.ok(records.every((h) => h.duplicates === h.uploads - 1), 'every other upload answered duplicate');
    const duplicates = records.reduce((n, h) => n + h.duplicates, 0);
    assert.ok(duplicates > 0, 'some records were carried twice');

    assert.is(await stopRelayProcess(relay), 0);
    assert.not.match(relay.stderr(), /refused|failed/);
    const { db } = await openRelayDb({ dataDir: dir, nowMs: Date.now() });
    const ledger = await openEmbeddedLedger(dir);
    try {
      const audit = await auditSessions(db, ledger, { anchors: readAnchors(dir), crypto: sodiumEd25519 });
      assert.equal(audit.problems.slice(0, 5), []);
      assert.ok(audit.ok);
      assert.is(audit.recordsVerified, records.length);
      assert.is(audit.sessions.length, sessions);
      assert.is(audit.settledVerified, sessions, 'each session opened once and settled once, hashes matching');
      for (const s of audit.sessions) {
        if (s.settledMinor !== settledAmount.get(`${s.pileId}#${s.contractSeq}`)) assert.unreachable(`${s.pileId}#${s.contractSeq} settled ${s.settledMinor}`);
      }
      const skipped = (await ledger.history()).filter((e) => e.kind === 'skipped' || e.kind === 'ref-duplicate');
      assert.is(skipped.length, 0, 'no write reached the chain twice');
    } finally {
      await ledger.close();
      await db.close();
    }
    latenciesMs.sort((a, b) => a - b);
    const p = (q: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))]!.toFixed(0);
    console.log(`load: ${PHONES} phones, ${PILES} piles, ${loadS.toFixed(1)} s: ${sessions} sessions, ${vouchers} vouchers, ${records.length} records ` +
      `(${uploads} uploads, ${duplicates} duplicates); ${(records.length / loadS).toFixed(0)} records/s accepted, ${(uploads / loadS).toFixed(0)} uploads/s, ` +
      `${(vouchers / loadS).toFixed(0)} vouchers/s; upload p50 ${p(0.5)} ms, p95 ${p(0.95)} ms; flushed at ${flushedS.toFixed(1)} s, ledger settled everything at ${drainedS.toFixed(1)} s`);
  } finally {
    if (relay.process.exitCode === null) await killRelayProcess(relay);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

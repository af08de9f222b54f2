// Load, bounded: 50 concurrent phones upload contracts and receipts of 10 piles for 30 s on
// 127.0.0.1 — new records and re-uploads of records other phones already carried, 1..4 per
// request. Asserted: every answer is 200, every record is held and acknowledged, each session is
// opened and settled exactly once, balances are exact. Throughput is printed, never asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { startTestRelay } from './harness.ts';
import { prng } from '../ledger/prng.ts';

const PHONES = 50;
const DURATION_MS = 30_000;
const SESSIONS = 300;
const TOP_UP = 1_000_000;

test(`${PHONES} phones uploading for ${DURATION_MS / 1000} s: nothing lost, nothing settled twice`, async () => {
  const t = await startTestRelay();
  try {
    const piles = await Promise.all(Array.from({ length: 10 }, () => t.newPile()));
    const users = await Promise.all(Array.from({ length: 25 }, () => t.newUser()));
    for (const u of users) await t.topUp(u.kidHex, TOP_UP);
    const records: { pileIndex: number; seq: number; signed: Uint8Array }[] = [];
    const spent = new Map<string, number>();
    const sessions: { pileIndex: number; seq: number }[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const pileIndex = i % piles.length;
      const pile = piles[pileIndex]!;
      const user = users[i % users.length]!;
      const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 });
      assert.is(v.status, 201);
      const c = pile.contract(v.json.authorization, t.clock.nowS);
      const r = pile.receipt(c.seq, { energyWh: 3_000 + i, durationS: 900 + i, endAtS: t.clock.nowS });
      records.push({ pileIndex, seq: c.seq, signed: c.signed }, { pileIndex, seq: r.seq, signed: r.signed });
      sessions.push({ pileIndex, seq: c.seq });
      spent.set(user.kidHex, (spent.get(user.kidHex) ?? 0) + r.amountMinor);
    }
    const acked = piles.map(() => new Set<number>());
    const random = prng(11);
    let next = 0;
    let requests = 0;
    const deadline = Date.now() + DURATION_MS;
    const failures: string[] = [];
    await Promise.all(Array.from({ length: PHONES }, async () => {
      while (Date.now() < deadline && failures.length === 0) {
        const count = random.int(1, 4);
        // New records while there are any, then re-uploads of random ones (phones meeting piles already drained by others).
        const batch = next < records.length ? records.slice(next, (next += count)) : Array.from({ length: count }, () => records[random.int(0, records.length - 1)]!);
        const reply = await t.call('POST', '/v1/records', { body: { records: batch.map((r) => bytesToBase64url(r.signed)) } });
        requests++;
        if (reply.status !== 200) failures.push(`${reply.status} ${reply.text}`);
        for (const r of reply.json?.results ?? []) if (r.status === 'rejected') failures.push(JSON.stringify(r));
        for (const a of reply.json?.acks ?? []) {
          const ack = openSigned(base64urlToBytes(a.ack), { publicKey: t.relay.relayKey.publicKey, expectType: 'Ack' });
          if (!ack.ok) failures.push(`bad ack: ${ack.reason}`);
          else for (const range of ack.value.message.ranges) for (let s = range.fromSeq; s <= range.toSeq; s++) acked[piles.findIndex((p) => p.pileIdHex === a.pileId)]!.add(s);
        }
      }
    }));
    assert.equal(failures, []);
    assert.ok(next >= records.length, `every record was uploaded at least once (${next} of ${records.length}); raise DURATION_MS if this machine is too slow`);
    console.log(`${requests} uploads by ${PHONES} phones in ${DURATION_MS / 1000} s (${records.length} distinct records, the rest re-uploads)`);
    for (const r of records) assert.ok(acked[r.pileIndex]!.has(r.seq), `record ${r.seq} of pile ${r.pileIndex} acknowledged`);
    await t.relay.drainLedger(120_000);
    const history = await t.relay.ledger.history();
    for (const s of sessions) {
      const id = contractIdOf(piles[s.pileIndex]!.pileId, BigInt(s.seq));
      assert.is(history.filter((e) => (e.kind === 'opened' || e.kind === 'settled') && e.contractId === id).length, 2, `session ${id} opened and settled once`);
    }
    for (const u of users) {
      const shown = (await t.call('GET', `/v1/users/${u.kidHex}`)).json;
      assert.equal([shown.balanceMinor, shown.escrowMinor], [TOP_UP - spent.get(u.kidHex)!, 0]);
    }
    assert.equal((await auditLedger(t.relay.ledger)).problems, []);
  } finally {
    await t.close();
  }
});

test.run();

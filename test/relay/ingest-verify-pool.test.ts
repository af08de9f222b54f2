// The verify pool (tools/relay/ingest/verify-pool.ts): what its worker threads answer for each
// uploaded record equals what verify-record.ts answers in-process — accepted records, forged and
// unregistered ones, bytes that are no record at all — in order, across split jobs; a pile key is
// asked for until sent; close() answers the work already queued and refuses new work.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { encodeAck } from '../../contracts-offline/messages/ack.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { parseRecord, verifyRecord } from '../../tools/relay/ingest/verify-record.ts';
import { VerifyPool } from '../../tools/relay/ingest/verify-pool.ts';

const pileKey = generateKeyPair({ crypto: sodiumEd25519 });
const otherKey = generateKeyPair({ crypto: sodiumEd25519 });
const pileId = Uint8Array.of(0x50, 0, 0, 0, 0, 0, 0, 1);
const strangerId = Uint8Array.of(0x50, 0, 0, 0, 0, 0, 0, 2);
const pileHex = bytesToHex(pileId);

function contract(seq: number, id = pileId, key = pileKey): Uint8Array {
  return signMessage(encodeContract({
    pileId: id, seq, userKid: new Uint8Array(8).fill(3), voucherId: new Uint8Array(8).fill(seq), limit: { mode: 'amount', amountMinor: 1_000 },
    tariff: { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 }, startMeterWh: 1_000, capMinor: 1_000, startAtS: 1_800_000_000,
  }), key.secretKey, { kid: key.kid, crypto: sodiumEd25519 });
}

function receipt(seq: number): Uint8Array {
  return signMessage(encodeReceipt({
    pileId, contractSeq: seq - 1, seq, endReason: 'normal', endDetail: 1, energyWh: 5_000, durationS: 1_800, amountMinor: 300, endMeterWh: 6_000, endAtS: 1_800_001_800,
  }), pileKey.secretKey, { kid: pileKey.kid, crypto: sodiumEd25519 });
}

const ack = signMessage(encodeAck({ pileId, ranges: [{ fromSeq: 1, toSeq: 2 }], atS: 1_800_000_000 }), otherKey.secretKey, { kid: otherKey.kid, crypto: sodiumEd25519 });
const tampered = contract(5);
tampered[tampered.length - 1]! ^= 1;

/** Every kind of answer: accepted contract and receipt, another key's signature, tampered, unregistered pile, not a billing record, not COSE, empty. */
const cases: [string, Uint8Array][] = [
  ['contract', contract(1)],
  ['receipt', receipt(2)],
  ['signed by another key', contract(3, pileId, otherKey)],
  ['tampered signature', tampered],
  ['unregistered pile', contract(1, strangerId)],
  ['an Ack, not a billing record', ack],
  ['CBOR garbage', Uint8Array.of(0xa1, 0x01)],
  ['truncated', contract(4).subarray(0, 20)],
  ['empty', new Uint8Array(0)],
];

function inProcess(signed: Uint8Array) {
  const parsed = parseRecord(signed);
  return parsed.ok ? verifyRecord(parsed.value, parsed.value.pileId === pileHex ? pileKey : undefined, sodiumEd25519) : parsed;
}

const pool = new VerifyPool(2);
test.after(() => pool.close());

test('each answer of a worker equals the in-process one', async () => {
  const outcomes = await pool.verify({ records: cases.map(([, bytes]) => bytes), keys: [[pileHex, pileKey.publicKey]], unregistered: [bytesToHex(strangerId)] });
  assert.is(outcomes.length, cases.length);
  cases.forEach(([name, bytes], i) => assert.equal(outcomes[i], inProcess(bytes), name));
  const codes = outcomes.map((o) => (o.ok ? 'accepted' : 'code' in o ? o.code : 'keyNeeded'));
  assert.equal(codes, ['accepted', 'accepted', 'bad-signature', 'bad-signature', 'unknown-pile', 'unexpected-type', 'invalid-record', 'invalid-record', 'invalid-record']);
});

test('a record of a pile whose key the worker was not sent asks for it; refusals of unreadable bytes do not wait for keys', async () => {
  const fresh = new VerifyPool(1);
  try {
    const outcomes = await fresh.verify({ records: [contract(1), contract(1, strangerId), Uint8Array.of(1, 2, 3)], keys: [], unregistered: [] });
    assert.equal(outcomes.slice(0, 2), [{ ok: false, keyNeeded: pileHex }, { ok: false, keyNeeded: bytesToHex(strangerId) }]);
    assert.equal(outcomes[2], inProcess(Uint8Array.of(1, 2, 3)));
    const again = await fresh.verify({ records: [contract(1), contract(1, strangerId)], keys: [[pileHex, pileKey.publicKey]], unregistered: [bytesToHex(strangerId)] });
    assert.equal(again, [inProcess(contract(1)), inProcess(contract(1, strangerId))]);
    const kept = await fresh.verify({ records: [contract(6)], keys: [], unregistered: [] });
    assert.equal(kept, [inProcess(contract(6))], 'the worker keeps the key it was sent');
  } finally {
    await fresh.close();
  }
});

test('a job split over the workers is answered in order', async () => {
  const records = Array.from({ length: 100 }, (_, i) => (i % 7 === 3 ? Uint8Array.of(i) : contract(i + 1)));
  const outcomes = await pool.verify({ records, keys: [[pileHex, pileKey.publicKey]], unregistered: [] });
  assert.equal(outcomes, records.map(inProcess));
});

test('close() answers the jobs already queued, then refuses new ones', async () => {
  const closing = new VerifyPool(2);
  const records = Array.from({ length: 64 }, (_, i) => contract(i + 1));
  const jobs = Array.from({ length: 10 }, () => closing.verify({ records, keys: [[pileHex, pileKey.publicKey]], unregistered: [] }));
  await closing.close();
  for (const outcomes of await Promise.all(jobs)) assert.ok(outcomes.length === 64 && outcomes.every((o) => o.ok), 'every queued record verified');
  try {
    await closing.verify({ records: [contract(1)], keys: [], unregistered: [] });
    assert.unreachable('verify after close');
  } catch (error) {
    assert.match(String(error), 'verify pool: closed');
  }
});

test('a pool size that is not a positive integer is refused', () => {
  assert.throws(() => new VerifyPool(0), /"size" expected an integer ≥ 1, got 0/);
});

test.run();

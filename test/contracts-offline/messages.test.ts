// Every message type: round-trip with byte-identical re-encoding, the golden bytes (the same in
// Node and XS), the JSON form, and one refusal per decoder rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import type { CborMap, CborValue } from '../../contracts-offline/cbor-value.ts';
import { MESSAGE_NAMES, type MessageName, codecs, decodeAnyMessage } from '../../contracts-offline/messages/registry.ts';
import { type Contract, decodeContract, encodeContract } from '../../contracts-offline/messages/contract.ts';
import { decodeReceipt, encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { decodeAck, encodeAck, ackCovers } from '../../contracts-offline/messages/ack.ts';
import { isNewerConfig } from '../../contracts-offline/messages/pile-update.ts';
import { isCapped } from '../../contracts-offline/charge-limit.ts';
import { decodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { samples } from '../support/samples.ts';

const golden: Record<MessageName, string> = {
  PileHello: 'a800010101024850a1e000000000170365302e312e300403050006020748b1a2c3d4e5f60718',
  UserHello: 'a50002010102489c0ffee00000004203675a6fc3ab204b2e044c0102030405060708090a0b0c',
  PileInfo: 'a800030101024850a1e00000000017034c0102030405060708090a0b0c0400050306a4000301182302183c031832076e4465706f7420342c206261792032',
  PileUpdate: 'a800040101024850a1e00000000017030404a4000401182602183c031832056e4465706f7420342c206261792032061955f0071a6afd86c0',
  Authorization: 'ab00050101024870c4e4000000000103489c0ffee000000042044850a1e000000000170548b1a2c3d4e5f60718060207194e200819041a09030a1a6afd87ec',
  Contract: 'ac00060101024850a1e0000000001703182904489c0ffee000000042054870c4e40000000001060207194e2008a4000301182302183c031832091a0012d6870a19041a0b1a6afd86fc',
  StopRequest: 'a600070101024850a1e000000000170318290448b1a2c3d4e5f60718051a6afd94d0',
  Receipt: 'ac00080101024850a1e0000000001703182904182a050106040719303908190dd4091902140a1a001306c00b1a6afd94d0',
  Ack: 'a500090101024850a1e000000000170382a20001011828a200182a01182a041a6afd9534',
  ServiceAuthorization: 'a7000a0101024850a1e00000000017035820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0450c0ffee00112233445566778899aabbcc0500061a6afd86c0',
  UplinkIdentity: 'a5000b0101024850a1e0000000001703505e1f00d0aabbccddeeff001122334455041a6afd8738',
};

// Re-encodes a message after editing its raw CBOR map.
function edited(name: MessageName, edit: (map: CborMap) => void): Uint8Array {
  const decoded = decodeCbor(hexToBytes(golden[name]));
  if (!decoded.ok || !(decoded.value instanceof Map)) throw new Error('golden bytes do not decode');
  edit(decoded.value);
  return encodeCbor(decoded.value);
}

for (const name of MESSAGE_NAMES) {
  const codec = codecs[name] as (typeof codecs)['Contract'];
  const sample = samples[name] as unknown as Contract;
  test(`${name}: encodes to the golden bytes, decodes back, re-encodes identically`, () => {
    const bytes = codec.encode(sample);
    assert.is(bytesToHex(bytes), golden[name]);
    const decoded = codec.decode(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    if (!decoded.ok) return;
    assert.equal(decoded.value, sample);
    assert.equal(codec.encode(decoded.value), bytes);
    const any = decodeAnyMessage(bytes);
    assert.ok(any.ok && any.value.name === name && any.value.type === codec.type);
  });

  test(`${name}: JSON form round-trips (bytes as hex)`, () => {
    const json = JSON.parse(JSON.stringify(codec.toJson(sample)));
    assert.equal(codec.fromJson(json), sample);
  });

  test(`${name}: refuses unknown keys, wrong type, wrong version, missing keys, trailing bytes`, () => {
    assert.equal(codec.decode(edited(name, (m) => m.set(23, 0))), { ok: false, code: 'malformed', reason: `${name}: unknown key 23` });
    assert.equal(codec.decode(edited(name, (m) => m.set('x', 0))), { ok: false, code: 'malformed', reason: `${name}: unknown key "x"` });
    assert.equal(codec.decode(edited(name, (m) => m.set(0, codec.type === 9 ? 1 : 9))), { ok: false, code: 'malformed', reason: `${name}: wrong message type ${codec.type === 9 ? 1 : 9}` });
    assert.equal(codec.decode(edited(name, (m) => m.set(1, 2))), { ok: false, code: 'malformed', reason: `${name}: unsupported version 2` });
    assert.equal(codec.decode(edited(name, (m) => m.delete(2))), { ok: false, code: 'malformed', reason: `${name}: missing key 2 ("${Object.keys(sample)[0]}")` });
    assert.equal(codec.decode(hexToBytes(golden[name] + '00')), { ok: false, code: 'malformed', reason: 'cbor: trailing bytes' });
    assert.equal(codec.decode(hexToBytes(golden[name]).subarray(0, golden[name].length / 2 - 1)), { ok: false, code: 'malformed', reason: 'cbor: truncated' });
    assert.equal(codec.decode(encodeCbor([0, 1])), { ok: false, code: 'malformed', reason: `${name}: not a map` });
  });
}

test('field checks: lengths, ranges, types, enums, text size', () => {
  assert.equal(decodeContract(edited('Contract', (m) => m.set(2, new Uint8Array(7)))), { ok: false, code: 'malformed', reason: 'Contract: field "pileId" expected 8 bytes, got 7' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(3, -1))), { ok: false, code: 'malformed', reason: 'Contract: field "seq" expected 0..4294967295, got -1' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(3, 2 ** 32))), { ok: false, code: 'malformed', reason: 'Contract: field "seq" expected 0..4294967295, got 4294967296' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(3, 'x'))), { ok: false, code: 'malformed', reason: 'Contract: field "seq" expected an integer' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(6, 4))), { ok: false, code: 'malformed', reason: 'Contract: field "limit.mode" expected 0..3' });
  assert.equal(decodeContract(edited('Contract', (m) => (m.get(8) as CborMap).set(9, 1))), { ok: false, code: 'malformed', reason: 'Contract: unknown key 9 in "tariff"' });
  assert.equal(decodeContract(edited('Contract', (m) => (m.get(8) as CborMap).set(1, 10_000_001))), { ok: false, code: 'malformed', reason: 'Contract: field "tariff.energyMinorPerKwh" expected 0..10000000, got 10000001' });
  assert.equal(decodeUserHello(edited('UserHello', (m) => m.set(3, 'x'.repeat(25)))), { ok: false, code: 'malformed', reason: 'UserHello: field "displayName" expected at most 24 UTF-8 bytes, got 25' });
  assert.equal(decodeUserHello(edited('UserHello', (m) => m.set(4, new Uint8Array(17)))), { ok: false, code: 'malformed', reason: 'UserHello: field "phoneNonce" expected 8..16 bytes, got 17' });
  assert.equal(decodeReceipt(edited('Receipt', (m) => m.set(5, 3))), { ok: false, code: 'malformed', reason: 'Receipt: field "endReason" expected 0..2' });
});

test('Contract: mode and limit must match; full carries no limit and is open', () => {
  assert.equal(decodeContract(edited('Contract', (m) => m.delete(7))), { ok: false, code: 'malformed', reason: 'Contract: field "limit.energyWh" expected an integer' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(7, 0))), { ok: false, code: 'malformed', reason: 'Contract: field "limit.energyWh" expected 1..4294967295, got 0' });
  assert.equal(decodeContract(edited('Contract', (m) => m.set(6, 3))), { ok: false, code: 'malformed', reason: 'Contract: field "limit" mode full takes no limit' });
  const full = { ...samples.Contract, limit: { mode: 'full' as const } };
  const decoded = decodeContract(encodeContract(full));
  assert.ok(decoded.ok);
  if (decoded.ok) {
    assert.equal(decoded.value.limit, { mode: 'full' });
    assert.not.ok(isCapped(decoded.value.limit.mode));
  }
  for (const limit of [{ mode: 'amount', amountMinor: 900 }, { mode: 'time', durationS: 3600 }, { mode: 'energy', energyWh: 1 }] as const) {
    const c = { ...samples.Contract, limit };
    assert.equal(decodeContract(encodeContract(c)), { ok: true, value: c });
    assert.ok(isCapped(limit.mode));
  }
  assert.throws(() => encodeContract({ ...samples.Contract, limit: { mode: 'amount', amountMinor: 2000 } }), /Contract: capMinor is below the amount limit/);
  assert.throws(() => encodeContract({ ...samples.Contract, limit: { mode: 'time', energyWh: 5 } as never }), /Contract: field "limit.energyWh" is not allowed with mode time/);
  assert.throws(() => encodeContract({ ...samples.Contract, limit: { mode: 'full', durationS: 5 } as never }), /not allowed with mode full/);
});

test('encoders throw TypeError/RangeError naming the field', () => {
  assert.throws(() => encodeContract({ ...samples.Contract, pileId: new Uint8Array(9) }), (e: unknown) => e instanceof TypeError && e.message === 'Contract: field "pileId" expected 8 bytes, got 9');
  assert.throws(() => encodeContract({ ...samples.Contract, startMeterWh: 1.5 }), /Contract: field "startMeterWh" expected an integer/);
  assert.throws(() => encodeContract({ ...samples.Contract, extra: 1 } as never), /Contract: unknown field "extra"/);
  assert.throws(() => codecs.Contract.fromJson(JSON.parse('{"toString": 1}')), /Contract: unknown field "toString"/);
  assert.throws(() => codecs.Contract.fromJson(JSON.parse('{"__proto__": {}}')), /Contract: unknown field "__proto__"/);
  const { seq: _seq, ...withoutSeq } = samples.Contract;
  assert.throws(() => encodeContract(withoutSeq as never), /Contract: missing field "seq"/);
  assert.throws(() => encodeReceipt({ ...samples.Receipt, seq: 41 }), (e: unknown) => e instanceof RangeError && e.message === 'Receipt: seq must follow contractSeq');
  assert.throws(() => codecs.Contract.fromJson({ ...(codecs.Contract.toJson(samples.Contract) as object), pileId: 'zz' }), /Contract: field "pileId" expected a hex string/);
});

test('Receipt and Ack cross-field rules hold on decode too', () => {
  assert.equal(decodeReceipt(edited('Receipt', (m) => m.set(4, 41))), { ok: false, code: 'malformed', reason: 'Receipt: seq must follow contractSeq' });
  assert.equal(decodeReceipt(edited('Receipt', (m) => m.set(10, 5))), { ok: false, code: 'malformed', reason: 'Receipt: endMeterWh is below energyWh' });
  const ranges = (list: [number, number][]): CborValue => list.map(([a, b]) => new Map([[0, a], [1, b]]));
  assert.equal(decodeAck(edited('Ack', (m) => m.set(3, ranges([[5, 4]])))), { ok: false, code: 'malformed', reason: 'Ack: a range has fromSeq after toSeq' });
  assert.equal(decodeAck(edited('Ack', (m) => m.set(3, ranges([[5, 9], [3, 4]])))), { ok: false, code: 'malformed', reason: 'Ack: ranges must be ascending, disjoint and not adjacent' });
  assert.equal(decodeAck(edited('Ack', (m) => m.set(3, ranges([[1, 4], [5, 9]])))), { ok: false, code: 'malformed', reason: 'Ack: ranges must be ascending, disjoint and not adjacent' });
  assert.equal(decodeAck(edited('Ack', (m) => m.set(3, []))), { ok: false, code: 'malformed', reason: 'Ack: field "ranges" expected 1..16 items, got 0' });
  assert.equal(decodeAck(edited('Ack', (m) => m.set(3, ranges(Array.from({ length: 17 }, (_, i) => [i * 3, i * 3] as [number, number]))))), { ok: false, code: 'malformed', reason: 'Ack: field "ranges" expected 1..16 items, got 17' });
  assert.ok(ackCovers(samples.Ack, 40) && ackCovers(samples.Ack, 42) && !ackCovers(samples.Ack, 41) && !ackCovers(samples.Ack, 0));
  assert.ok(encodeAck(samples.Ack).length > 0);
});

test('PileUpdate versions only move forward', () => {
  assert.ok(isNewerConfig(3, samples.PileUpdate));
  assert.not.ok(isNewerConfig(4, samples.PileUpdate));
  assert.not.ok(isNewerConfig(5, samples.PileUpdate));
});

test('decodeAnyMessage refuses unknown message types', () => {
  assert.equal(decodeAnyMessage(edited('Contract', (m) => m.set(0, 77))), { ok: false, code: 'malformed', reason: 'message: unknown message type 77' });
  assert.equal(decodeAnyMessage(encodeCbor(new Map([[1, 1]]))), { ok: false, code: 'malformed', reason: 'message: unknown message type null' });
});

test.run();

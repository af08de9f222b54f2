// The pile's own journal records: hex vectors (deterministic CBOR, RFC 8949 §4.2.1) and strict
// reading — anything not exactly as written is refused with a reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { encodeContract } from '../../../contracts-offline/messages/contract.ts';
import { encodeReceipt } from '../../../contracts-offline/messages/receipt.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../../firmware/records/checkpoint-record.ts';
import { decodeBillingFloor, encodeBillingFloor } from '../../../firmware/records/billing-floor-record.ts';
import { decodeProvisioningRecord, encodeProvisioningRecord } from '../../../firmware/records/provisioning-record.ts';
import { decodeContractRecord } from '../../../firmware/records/contract-record.ts';
import { decodeReceiptRecord } from '../../../firmware/records/receipt-record.ts';
import { decodeConfigRecord } from '../../../firmware/records/config-record.ts';
import { samples } from '../../support/samples.ts';
import { pileSecretKey, pileUpdate } from '../../support/pile-rig.ts';

const checkpoint = { contractSeq: 3, meterWh: 1_000_000, durationS: 60, atS: 1_767_225_660 };
const checkpointHex = 'a40003011a000f424002183c031a6955b93c';

test('checkpoint: vector and round trip', () => {
  assert.is(bytesToHex(encodeCheckpoint(checkpoint)), checkpointHex);
  assert.equal(decodeCheckpoint(hexToBytes(checkpointHex)), { ok: true, value: checkpoint });
  const large = { contractSeq: 0xffff_ffff, meterWh: Number.MAX_SAFE_INTEGER, durationS: 0, atS: 0 };
  assert.equal(decodeCheckpoint(encodeCheckpoint(large)), { ok: true, value: large });
});

test('billing floor: vectors and round trip', () => {
  assert.is(bytesToHex(encodeBillingFloor(9)), 'a10009');
  assert.is(bytesToHex(encodeBillingFloor(70_000)), 'a1001a00011170');
  assert.equal(decodeBillingFloor(hexToBytes('a10009')), { ok: true, value: 9 });
});

const refused: [string, string, RegExp][] = [
  ['missing key 3', 'a30003011a000f424002183c', /expected 4 keys, got 3/],
  ['extra key 4', 'a50003011a000f424002183c031a6955b93c0400', /expected 4 keys, got 5/],
  ['key 5 instead of 3', 'a40003011a000f424002183c051a6955b93c', /key 3 expected/],
  ['non-canonical integer', 'a40003011a000f424002183c031b000000006955b93c', /non-canonical/],
  ['negative meter', 'a4000301200218 3c031a6955b93c'.replace(' ', ''), /key 1 expected/],
  ['bytes for an integer', 'a40003014100 02183c031a6955b93c'.replace(' ', ''), /key 1 expected/],
  ['trailing byte', checkpointHex + '00', /trailing bytes/],
  ['an array', '8400011a000f424002', /not a map|truncated/],
  ['contract seq past u32', 'a4001b0000000100000000011a000f424002183c031a6955b93c', /key 0 expected/],
];

test('checkpoint: strict decoding refuses each malformed payload with a reason', () => {
  for (const [name, hex, reason] of refused) {
    const decoded = decodeCheckpoint(hexToBytes(hex));
    assert.not.ok(decoded.ok, name);
    if (!decoded.ok) assert.match(decoded.reason, reason, `${name}: ${decoded.reason}`);
  }
});

test('provisioning record: vector, round trip, refusals', () => {
  const record = { pileId: new Uint8Array(8).fill(1), relayPublicKey: new Uint8Array(32).fill(2), pilePublicKey: new Uint8Array(32).fill(3), pileUpdate: Uint8Array.of(0xd2, 0x84), firstBillingSeq: 300 };
  const hex = `a50048${'01'.repeat(8)}015820${'02'.repeat(32)}025820${'03'.repeat(32)}0342d2840419012c`;
  assert.is(bytesToHex(encodeProvisioningRecord(record)), hex);
  assert.equal(decodeProvisioningRecord(hexToBytes(hex)), { ok: true, value: record });
  const shortKey = hex.replace(`015820${'02'.repeat(32)}`, `01581f${'02'.repeat(31)}`);
  const decoded = decodeProvisioningRecord(hexToBytes(shortKey));
  assert.not.ok(decoded.ok);
  if (!decoded.ok) assert.match(decoded.reason, /provisioning record: key 1 expected 32 bytes/);
  assert.throws(() => encodeProvisioningRecord({ ...record, pileId: new Uint8Array(7) }), /"pileId" expected 8 bytes, got 7/);
});

test('signed records read back their message; a damaged envelope or another type is refused', () => {
  const contractBytes = signMessage(encodeContract(samples.Contract), pileSecretKey);
  assert.equal(decodeContractRecord(contractBytes), { ok: true, value: samples.Contract });
  const receiptBytes = signMessage(encodeReceipt(samples.Receipt), pileSecretKey);
  assert.equal(decodeReceiptRecord(receiptBytes), { ok: true, value: samples.Receipt });
  const update = pileUpdate(2);
  assert.equal(decodeConfigRecord(update.signedBytes), { ok: true, value: update.update });
  const wrongType = decodeContractRecord(receiptBytes);
  assert.not.ok(wrongType.ok);
  if (!wrongType.ok) assert.match(wrongType.reason, /^Contract record: signed: expected Contract, got Receipt/);
  const truncated = decodeReceiptRecord(receiptBytes.slice(0, -1));
  assert.not.ok(truncated.ok);
  if (!truncated.ok) assert.match(truncated.reason, /^Receipt record: cbor: truncated/);
});

test.run();

// The contract id: pile id ‖ billing sequence as uint64 big-endian, the same 16 bytes at the relay
// (hex) and on the ledger (bytes16).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { contractId, contractIdHex } from '../../contracts-offline/contract-id.ts';

const pileId = hexToBytes('0102030405060708');

test('vectors', () => {
  assert.is(contractIdHex(pileId, 1), '01020304050607080000000000000001');
  assert.is(contractIdHex(pileId, 0xffff_ffff), '010203040506070800000000ffffffff');
  assert.is(contractIdHex(pileId, 2 ** 53 - 1), '0102030405060708001fffffffffffff');
  assert.is(contractIdHex(new Uint8Array(8).fill(0xff), (1n << 64n) - 1n), 'ff'.repeat(16));
  assert.equal(contractId(pileId, 258n), hexToBytes('01020304050607080000000000000102'));
});

test('bad arguments are refused', () => {
  assert.throws(() => contractId(new Uint8Array(7), 1), /contract-id: "pileId" expected 8 bytes, got 7/);
  assert.throws(() => contractId(pileId, 0), /contract-id: "seq" expected 1..2\^64-1, got 0/);
  assert.throws(() => contractId(pileId, 1n << 64n), /"seq" expected 1..2\^64-1/);
  assert.throws(() => contractId(pileId, 1.5), /"seq" expected 1..2\^64-1, got 1.5/);
});

test.run();

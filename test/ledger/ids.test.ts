// Ledger identifiers, table-driven, with an independent keccak (the batch bytes: batch-encoding.test.ts).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contractIdOf, parseAddress, parseAmountMinor, parseContractId, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

test('contract id = pile id (8 bytes) ‖ sequence (uint64 big-endian)', () => {
  assert.is(contractIdOf(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 1n), '0x01020304050607080000000000000001');
  assert.is(contractIdOf(new Uint8Array(8).fill(0xff), (1n << 64n) - 1n), `0x${'ff'.repeat(16)}`);
  assert.throws(() => contractIdOf(new Uint8Array(7), 1n), /contract-id: "pileId" expected 8 bytes, got 7/);
  assert.throws(() => contractIdOf(new Uint8Array(8), 0n), /contract-id: "seq" expected 1..2\^64-1, got 0/);
});

test('user address = last 20 bytes of keccak256("tapcharge/user/v1" ‖ key id)', () => {
  const kid = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
  const digest = keccak_256(Uint8Array.from([...new TextEncoder().encode('tapcharge/user/v1'), ...kid]));
  assert.is(userAddressOf(kid).toLowerCase(), `0x${hex(digest.subarray(12))}`);
  assert.throws(() => userAddressOf(new Uint8Array(32)), /ledger: "keyId" expected 8 bytes, got 32/);
});

const badText: [() => unknown, RegExp][] = [
  [() => parseContractId('0x0102'), /^bad contract id "0x0102": expected 32 hex digits/],
  [() => parseContractId('01020304050607080000000000000000'), /sequence 0 is not a contract/],
  [() => parseAddress('0xZZ00000000000000000000000000000000000000'), /^bad address/],
  [() => parseAmountMinor('-1'), /^bad amount "-1": expected a whole number of minor units$/],
  [() => parseAmountMinor('2.50'), /^bad amount "2.50"/],
  [() => parseAmountMinor('1e3'), /^bad amount "1e3"/],
  [() => parseAmountMinor('0'), /must be greater than 0/],
  [() => parseAmountMinor('18446744073709551616'), /above the maximum 18446744073709551615/],
  [() => refOf(''), /^bad ref ""/],
];

test('untrusted text is rejected with one-line LedgerErrors (bad-input)', () => {
  for (const [run, message] of badText) {
    assert.throws(run, (e: unknown) => e instanceof LedgerError && message.test(e.message) && !e.message.includes('\n'));
  }
  assert.is(parseContractId('0X'.toLowerCase() + 'AB'.repeat(15) + '01'), `0x${'ab'.repeat(15)}01`);
  assert.is(parseAmountMinor('007'), 7n);
  assert.is(refOf(`0x${'AA'.repeat(32)}`), `0x${'aa'.repeat(32)}`);
});

test.run();

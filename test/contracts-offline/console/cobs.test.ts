// COBS against the published examples (the encoding table of Wikipedia's "Consistent Overhead
// Byte Stuffing" article, which follows Cheshire & Baker 1999), the refusals, and a bounded
// round trip. XS-safe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { cobsDecode, cobsEncode, cobsMaxEncodedBytes } from '../../../contracts-offline/console/cobs.ts';

/** Hex of the bytes from..to inclusive. */
const run = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => (from + i).toString(16).padStart(2, '0')).join('');

// [data, encoding without the delimiter]
const vectors: [string, string, string][] = [
  ['empty', '', '01'],
  ['one zero', '00', '0101'],
  ['two zeros', '0000', '010101'],
  ['zero, byte, zero', '001100', '01021101'],
  ['zero inside', '11220033', '0311220233'],
  ['no zero', '11223344', '0511223344'],
  ['trailing zeros', '11000000', '0211010101'],
  // A full block at the end: no trailing 01 (the paper's reference encoder would add one).
  ['254 non-zero bytes', run(0x01, 0xfe), 'ff' + run(0x01, 0xfe)],
  ['a zero then 254 non-zero bytes', '00' + run(0x01, 0xfe), '01ff' + run(0x01, 0xfe)],
  ['255 non-zero bytes', run(0x01, 0xff), 'ff' + run(0x01, 0xfe) + '02ff'],
  ['254 non-zero bytes then a zero', run(0x02, 0xff) + '00', 'ff' + run(0x02, 0xff) + '0101'],
  ['253 non-zero bytes, a zero, one byte', run(0x03, 0xff) + '0001', 'fe' + run(0x03, 0xff) + '0201'],
];

for (const [name, data, encoded] of vectors) {
  test(`published example: ${name}`, () => {
    assert.is(bytesToHex(cobsEncode(hexToBytes(data))), encoded);
    const decoded = cobsDecode(hexToBytes(encoded));
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    if (decoded.ok) assert.is(bytesToHex(decoded.value), data);
    assert.ok(hexToBytes(encoded).length <= cobsMaxEncodedBytes(data.length / 2));
  });
}

test('the paper reference encoder form (a trailing empty block after a full one) decodes to the same bytes', () => {
  assert.equal(cobsDecode(hexToBytes('ff' + run(0x01, 0xfe) + '01')), { ok: true, value: hexToBytes(run(0x01, 0xfe)) });
});

test('worst-case size: one code byte per started 254-byte block, at least one', () => {
  assert.is(cobsMaxEncodedBytes(0), 1);
  assert.is(cobsMaxEncodedBytes(1), 2);
  assert.is(cobsMaxEncodedBytes(254), 255);
  assert.is(cobsMaxEncodedBytes(255), 257);
  assert.is(cobsMaxEncodedBytes(1028), 1033);
  assert.is(cobsEncode(new Uint8Array(1028).fill(0x41)).length, 1033);
});

test('refusals: empty input, a 0x00 inside, a code byte pointing past the end', () => {
  assert.equal(cobsDecode(new Uint8Array(0)), { ok: false, code: 'malformed', reason: 'cobs: empty input' });
  assert.equal(cobsDecode(hexToBytes('00')), { ok: false, code: 'malformed', reason: 'cobs: 0x00 at offset 0' });
  assert.equal(cobsDecode(hexToBytes('0311002233')), { ok: false, code: 'malformed', reason: 'cobs: 0x00 at offset 2' });
  assert.equal(cobsDecode(hexToBytes('031122020033')), { ok: false, code: 'malformed', reason: 'cobs: 0x00 at offset 4' });
  assert.equal(cobsDecode(hexToBytes('051122')), { ok: false, code: 'malformed', reason: 'cobs: code byte 5 at offset 0 points past the end (3 bytes)' });
  assert.equal(cobsDecode(hexToBytes('0211ff')), { ok: false, code: 'malformed', reason: 'cobs: code byte 255 at offset 2 points past the end (3 bytes)' });
  assert.equal(cobsDecode('01' as never), { ok: false, code: 'malformed', reason: 'cobs: input is not bytes' });
  assert.throws(() => cobsEncode([1, 2] as never), (e: unknown) => e instanceof TypeError && e.message === 'cobs: "bytes" expected Uint8Array');
});

test('round trip: 400 random inputs of 0..1100 bytes, zeros and runs included; no 0x00 in any encoding', () => {
  let state = 0x2545f491;
  const next = (below: number): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % below;
  };
  for (let round = 0; round < 400; round++) {
    const data = new Uint8Array(next(1101));
    const zeroEvery = 1 + next(300); // from dense zeros to long non-zero runs
    for (let i = 0; i < data.length; i++) data[i] = next(zeroEvery) === 0 ? 0 : 1 + next(255);
    const encoded = cobsEncode(data);
    assert.ok(!encoded.includes(0), `0x00 in the encoding of ${data.length} bytes`);
    assert.ok(encoded.length <= cobsMaxEncodedBytes(data.length));
    const decoded = cobsDecode(encoded);
    assert.ok(decoded.ok && bytesToHex(decoded.value) === bytesToHex(data), `round ${round}: ${data.length} bytes`);
  }
});

test.run();

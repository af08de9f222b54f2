// RFC 8949 Appendix A vectors for every supported type (encode and decode), the ones outside
// the data model refused, and one non-canonical input per rejection reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import { type CborValue, CborTag } from '../../contracts-offline/cbor-value.ts';

const m = (...entries: [number | string, CborValue][]): CborValue => new Map(entries);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// [diagnostic, value, hex] — RFC 8949 Appendix A, Table 6 (the rows within our data model).
const appendixA: [string, CborValue, string][] = [
  ['0', 0, '00'],
  ['1', 1, '01'],
  ['10', 10, '0a'],
  ['23', 23, '17'],
  ['24', 24, '1818'],
  ['25', 25, '1819'],
  ['100', 100, '1864'],
  ['1000', 1000, '1903e8'],
  ['1000000', 1000000, '1a000f4240'],
  ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
  ['-1', -1, '20'],
  ['-10', -10, '29'],
  ['-100', -100, '3863'],
  ['-1000', -1000, '3903e7'],
  ['false', false, 'f4'],
  ['true', true, 'f5'],
  ['null', null, 'f6'],
  ['0("2013-03-21T20:04:00Z")', new CborTag(0, '2013-03-21T20:04:00Z'), 'c074323031332d30332d32315432303a30343a30305a'],
  ['1(1363896240)', new CborTag(1, 1363896240), 'c11a514b67b0'],
  ["23(h'01020304')", new CborTag(23, hexToBytes('01020304')), 'd74401020304'],
  ["24(h'6449455446')", new CborTag(24, hexToBytes('6449455446')), 'd818456449455446'],
  ['32("http://www.example.com")', new CborTag(32, 'http://www.example.com'), 'd82076687474703a2f2f7777772e6578616d706c652e636f6d'],
  ["h''", new Uint8Array(0), '40'],
  ["h'01020304'", hexToBytes('01020304'), '4401020304'],
  ['""', '', '60'],
  ['"a"', 'a', '6161'],
  ['"IETF"', 'IETF', '6449455446'],
  ['"\\"\\\\"', '"\\', '62225c'],
  ['"\\u00fc"', '\u00fc', '62c3bc'],
  ['"\\u6c34"', '\u6c34', '63e6b0b4'],
  ['"\\ud800\\udd51"', '\ud800\udd51', '64f0908591'],
  ['[]', [], '80'],
  ['[1, 2, 3]', [1, 2, 3], '83010203'],
  ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
  ['[1, 2, ..., 25]', range(1, 25), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  ['{}', m(), 'a0'],
  ['{1: 2, 3: 4}', m([1, 2], [3, 4]), 'a201020304'],
  ['{"a": 1, "b": [2, 3]}', m(['a', 1], ['b', [2, 3]]), 'a26161016162820203'],
  ['["a", {"b": "c"}]', ['a', m(['b', 'c'])], '826161a161626163'],
  ['{"a": "A", ..., "e": "E"}', m(['a', 'A'], ['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']), 'a56161614161626142616361436164614461656145'],
];

for (const [diagnostic, value, hex] of appendixA) {
  test(`Appendix A ${diagnostic}: encode and decode`, () => {
    assert.is(bytesToHex(encodeCbor(value)), hex);
    const decoded = decodeCbor(hexToBytes(hex));
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    if (decoded.ok) assert.equal(decoded.value, value);
  });
}

// Appendix A rows outside the data model, and the reason each is refused.
const outsideModel: [string, string, string][] = [
  ['18446744073709551615', '1bffffffffffffffff', 'cbor: integer exceeds 2^53-1'],
  ['-18446744073709551616', '3bffffffffffffffff', 'cbor: integer exceeds 2^53-1'],
  ['0.0', 'f90000', 'cbor: floats not supported'],
  ['1.1', 'fb3ff199999999999a', 'cbor: floats not supported'],
  ['100000.0', 'fa47c35000', 'cbor: floats not supported'],
  ['Infinity', 'f97c00', 'cbor: floats not supported'],
  ['undefined', 'f7', 'cbor: unsupported simple value'],
  ['simple(16)', 'f0', 'cbor: unsupported simple value'],
  ['simple(255)', 'f8ff', 'cbor: unsupported simple value'],
  ["(_ h'0102', h'030405')", '5f42010243030405ff', 'cbor: indefinite length'],
  ['(_ "strea", "ming")', '7f657374726561646d696e67ff', 'cbor: indefinite length'],
  ['[_ ]', '9fff', 'cbor: indefinite length'],
  ['[_ 1, [2, 3], [_ 4, 5]]', '9f018202039f0405ffff', 'cbor: indefinite length'],
  ['[1, [2, 3], [_ 4, 5]]', '83018202039f0405ff', 'cbor: indefinite length'],
  ['{_ "a": 1, "b": [_ 2, 3]}', 'bf61610161629f0203ffff', 'cbor: indefinite length'],
];

for (const [diagnostic, hex, reason] of outsideModel) {
  test(`Appendix A ${diagnostic}: refused (${reason})`, () => {
    assert.equal(decodeCbor(hexToBytes(hex)), { ok: false, code: 'malformed', reason });
  });
}

test('bignum tag 2 decodes as a plain tag; no integer interpretation', () => {
  const decoded = decodeCbor(hexToBytes('c249010000000000000000'));
  assert.ok(decoded.ok);
  if (decoded.ok) assert.equal(decoded.value, new CborTag(2, hexToBytes('010000000000000000')));
});

// One input per rejection reason.
const refusals: [string, string, string][] = [
  ['0 in two bytes', '1800', 'cbor: non-canonical integer'],
  ['23 in two bytes', '1817', 'cbor: non-canonical integer'],
  ['255 in three bytes', '1900ff', 'cbor: non-canonical integer'],
  ['65535 in five bytes', '1a0000ffff', 'cbor: non-canonical integer'],
  ['2^32-1 in nine bytes', '1b00000000ffffffff', 'cbor: non-canonical integer'],
  ['-1 in two bytes', '3800', 'cbor: non-canonical integer'],
  ['tag 18 in two bytes', 'd81280', 'cbor: non-canonical integer'],
  ['byte string length 0 in two bytes', '5800', 'cbor: non-canonical length'],
  ['text length 1 in two bytes', '780161', 'cbor: non-canonical length'],
  ['array length 0 in three bytes', '990000', 'cbor: non-canonical length'],
  ['map length 0 in two bytes', 'b800', 'cbor: non-canonical length'],
  ['indefinite byte string', '5fff', 'cbor: indefinite length'],
  ['indefinite map', 'bfff', 'cbor: indefinite length'],
  ['indefinite marker on an integer', '1f', 'cbor: indefinite-length marker on a non-container'],
  ['reserved additional information 28', '1c', 'cbor: reserved additional information 28'],
  ['reserved additional information 30 in major 7', 'fe', 'cbor: reserved additional information 30'],
  ['lone break', 'ff', 'cbor: unexpected break'],
  ['duplicate map key', 'a201020103', 'cbor: duplicate map key'],
  ['unsorted map keys', 'a203040102', 'cbor: map keys not sorted'],
  ['length-first order is not bytewise order', 'a2616101186400', 'cbor: map keys not sorted'],
  ['map key that is an array', 'a18001', 'cbor: map key must be an integer or text'],
  ['trailing bytes', '0000', 'cbor: trailing bytes'],
  ['truncated integer', '1903', 'cbor: truncated'],
  ['truncated byte string', '44010203', 'cbor: truncated'],
  ['truncated array', '830102', 'cbor: truncated'],
  ['truncated map', 'a20102', 'cbor: truncated'],
  ['truncated map value', 'a101', 'cbor: truncated'],
  ['empty input', '', 'cbor: empty input'],
  ['invalid utf-8 (lone continuation byte)', '6180', 'cbor: invalid utf-8'],
  ['invalid utf-8 (overlong "/")', '62c0af', 'cbor: invalid utf-8'],
  ['invalid utf-8 (surrogate U+D800)', '63eda080', 'cbor: invalid utf-8'],
  ['invalid utf-8 (past U+10FFFF)', '64f4908080', 'cbor: invalid utf-8'],
  ['-2^53 does not fit', '3b001fffffffffffff', 'cbor: integer exceeds 2^53-1'],
  ['2^53 does not fit', '1b0020000000000000', 'cbor: integer exceeds 2^53-1'],
  ['half-precision float', 'f93c00', 'cbor: floats not supported'],
];

for (const [what, hex, reason] of refusals) {
  test(`refuses ${what}: ${reason}`, () => {
    const decoded = decodeCbor(hexToBytes(hex));
    assert.equal(decoded, { ok: false, code: 'malformed', reason });
  });
}

test('nesting: 8 levels accepted, 9 refused (arrays, maps and tags all count)', () => {
  assert.ok(decodeCbor(hexToBytes('8181818181818180')).ok);
  assert.equal(decodeCbor(hexToBytes('818181818181818180')), { ok: false, code: 'malformed', reason: 'cbor: nesting deeper than 8' });
  assert.equal(decodeCbor(hexToBytes('a100a100a100a100a100a100a100a100a0')), { ok: false, code: 'malformed', reason: 'cbor: nesting deeper than 8' });
  assert.equal(decodeCbor(hexToBytes('c1c1c1c1c1c1c1c1c100')), { ok: false, code: 'malformed', reason: 'cbor: nesting deeper than 8' });
  let deep: CborValue = [];
  for (let i = 0; i < 8; i++) deep = [deep];
  assert.throws(() => encodeCbor(deep), /cbor: nesting deeper than 8/);
});

test('size: 512 bytes accepted, 513 refused before parsing', () => {
  const at = (n: number) => { const b = new Uint8Array(n); b[0] = 0x59; b[1] = (n - 3) >> 8; b[2] = (n - 3) & 0xff; return b; };
  assert.ok(decodeCbor(at(512)).ok);
  assert.equal(decodeCbor(at(513)), { ok: false, code: 'malformed', reason: 'cbor: input exceeds 512 bytes' });
});

test('a huge declared length is refused as truncated without allocating', () => {
  assert.equal(decodeCbor(hexToBytes('5b001fffffffffffff')), { ok: false, code: 'malformed', reason: 'cbor: truncated' });
  assert.equal(decodeCbor(hexToBytes('9b001fffffffffffff')), { ok: false, code: 'malformed', reason: 'cbor: truncated' });
});

test('encoder sorts map keys bytewise and refuses values outside the model', () => {
  assert.is(bytesToHex(encodeCbor(m(['a', 1], [100, 0], [-1, 0], [10, 0]))), 'a40a0018640020006161' + '01');
  assert.throws(() => encodeCbor(1.5), /cbor: only integers within/);
  assert.throws(() => encodeCbor(2 ** 53), /cbor: only integers within/);
  assert.throws(() => encodeCbor(undefined as unknown as CborValue), TypeError);
  assert.throws(() => encodeCbor(new Map([[[1] as unknown as number, 1]])), /cbor: map keys must be integers or text/);
  assert.throws(() => encodeCbor('\ud800'), /bytes: lone surrogate/);
});

test('decoder never throws on a non-Uint8Array', () => {
  assert.equal(decodeCbor('00' as unknown as Uint8Array), { ok: false, code: 'malformed', reason: 'cbor: input is not bytes' });
});

test.run();

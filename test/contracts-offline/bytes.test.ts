import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  base64urlToBytes, bytesToBase64url, bytesToHex, compareBytes, concatBytes, equalBytes, hexToBytes, utf8Decode, utf8Encode,
} from '../../contracts-offline/bytes.ts';

test('hex round-trip, either case in, lower case out', () => {
  assert.is(bytesToHex(Uint8Array.of(0, 1, 0xab, 0xff)), '0001abff');
  assert.equal(hexToBytes('0001ABff'), Uint8Array.of(0, 1, 0xab, 0xff));
  assert.equal(hexToBytes(''), new Uint8Array(0));
});

test('hex refuses odd length and non-hex characters with the position', () => {
  assert.throws(() => hexToBytes('abc'), /bytes: "hex" expected even length, got 3/);
  assert.throws(() => hexToBytes('0g'), /bytes: "hex" has a non-hex character at 1/);
  assert.throws(() => hexToBytes(' 0'), /at 0/);
});

// RFC 4648 §10 vectors, base64url alphabet, no padding.
const rfc4648: [string, string][] = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
for (const [plain, encoded] of rfc4648) {
  test(`base64url RFC 4648 "${plain}" <-> "${encoded}"`, () => {
    assert.is(bytesToBase64url(utf8Encode(plain)), encoded);
    assert.equal(base64urlToBytes(encoded), utf8Encode(plain));
  });
}

test('base64url uses - and _ and refuses padding, "+", "/" and stray bits', () => {
  assert.is(bytesToBase64url(Uint8Array.of(0xfb, 0xff)), '-_8');
  assert.equal(base64urlToBytes('-_8'), Uint8Array.of(0xfb, 0xff));
  assert.throws(() => base64urlToBytes('Zg=='), /bad character at 2/);
  assert.throws(() => base64urlToBytes('+/8'), /bad character at 0/);
  assert.throws(() => base64urlToBytes('Zh'), /non-zero trailing bits/);
  assert.throws(() => base64urlToBytes('Z'), /impossible length 1/);
  assert.throws(() => base64urlToBytes('Zm\u00e9'), /bad character at 2/);
  assert.throws(() => base64urlToBytes('\u0100Zm'), /bad character at 0/);
  assert.throws(() => base64urlToBytes('Zm 9'), /bad character at 2/);
  const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(base64urlToBytes(bytesToBase64url(everyByte)), everyByte);
});

test('concat, equal, compare', () => {
  assert.equal(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)), Uint8Array.of(1, 2, 3));
  assert.ok(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
  assert.not.ok(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
  assert.not.ok(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0)));
  assert.ok(compareBytes(Uint8Array.of(0x0a), Uint8Array.of(0x20)) < 0);
  assert.ok(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1)) > 0);
  assert.is(compareBytes(Uint8Array.of(5), Uint8Array.of(5)), 0);
});

test('utf-8 encode/decode round-trip across 1- to 4-byte sequences', () => {
  const text = 'A\u00e9\u20ac\u{1f50c}';
  assert.is(bytesToHex(utf8Encode(text)), '41c3a9e282acf09f948c');
  assert.equal(utf8Decode(utf8Encode(text)), { ok: true, value: text });
  assert.throws(() => utf8Encode('a\udc00'), /bytes: lone surrogate at 1/);
});

test('utf-8 decode refuses ill-formed sequences', () => {
  for (const hex of ['80', 'c0af', 'c1bf', 'e080af', 'eda080', 'f08080af', 'f4908080', 'f8', 'c3', 'e282', 'c328']) {
    assert.equal(utf8Decode(hexToBytes(hex)), { ok: false, code: 'malformed', reason: 'invalid utf-8' }, hex);
  }
});

test.run();

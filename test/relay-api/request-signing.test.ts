// Canonical bytes and headers of signed relay requests (tools/relay/README.md "Signed requests").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToHex, hexToBytes, utf8Decode, utf8Encode } from '../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { HEADER_KID, HEADER_SIGNATURE, requestSigningBytes, signRequest } from '../../tools/relay-api/request-signing.ts';

const user = keyPairFromSecret(hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')); // RFC 8032 test 1
const fixedRandom = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i + 1);

test('signing bytes: context, method, path with query, newline, then the raw body', () => {
  const bytes = requestSigningBytes('GET', '/v1/piles/0102030405060708/update?configVersion=3', utf8Encode('{}'));
  assert.is(new TextDecoder().decode(bytes), 'tapcharge-request-v1\nGET\n/v1/piles/0102030405060708/update?configVersion=3\n{}');
  const empty = requestSigningBytes('POST', '/v1/records', new Uint8Array(0));
  assert.is(bytesToHex(empty), bytesToHex(utf8Encode('tapcharge-request-v1\nPOST\n/v1/records\n')));
});

test('signing bytes: lower-case method or relative path are our own bugs (TypeError)', () => {
  assert.throws(() => requestSigningBytes('post', '/v1/users', new Uint8Array(0)), /upper-case HTTP method/);
  assert.throws(() => requestSigningBytes('POST', 'v1/users', new Uint8Array(0)), /start with "\/"/);
});

test('signRequest: body = fields + nonce + atS (seconds), headers kid + base64url Ed25519 over the signing bytes', () => {
  const signed = signRequest({ signer: user, method: 'POST', path: '/v1/users', fields: { publicKey: bytesToHex(user.publicKey), displayName: 'Ada' }, nowMs: 1_767_225_600_999, random: fixedRandom });
  assert.is(signed.path, '/v1/users');
  const body = signed.body!;
  const text = utf8Decode(body);
  assert.ok(text.ok);
  assert.equal(JSON.parse(text.value), { publicKey: bytesToHex(user.publicKey), displayName: 'Ada', nonce: '0102030405060708090a0b0c0d0e0f10', atS: 1_767_225_600 });
  assert.is(signed.headers[HEADER_KID], bytesToHex(user.kid));
  const signature = base64urlToBytes(signed.headers[HEADER_SIGNATURE]!);
  assert.is(signature.length, 64);
  assert.ok(nobleEd25519.verify(signature, requestSigningBytes('POST', '/v1/users', body), user.publicKey));
  // the signature covers method, path and body: any change breaks it
  assert.not.ok(nobleEd25519.verify(signature, requestSigningBytes('PUT', '/v1/users', body), user.publicKey));
  assert.not.ok(nobleEd25519.verify(signature, requestSigningBytes('POST', '/v1/users?x=1', body), user.publicKey));
  const tampered = body.slice();
  tampered[tampered.length - 2] ^= 1;
  assert.not.ok(nobleEd25519.verify(signature, requestSigningBytes('POST', '/v1/users', tampered), user.publicKey));
});

test('signRequest GET (a private read): no body; nonce and atS end the signed path', () => {
  const signed = signRequest({ signer: user, method: 'GET', path: '/v1/users/0102030405060708', fields: {}, nowMs: 1_767_225_600_999, random: fixedRandom });
  assert.is(signed.body, undefined);
  assert.is(signed.path, '/v1/users/0102030405060708?nonce=0102030405060708090a0b0c0d0e0f10&atS=1767225600');
  const signature = base64urlToBytes(signed.headers[HEADER_SIGNATURE]!);
  assert.ok(nobleEd25519.verify(signature, requestSigningBytes('GET', signed.path, new Uint8Array(0)), user.publicKey));
  assert.not.ok(nobleEd25519.verify(signature, requestSigningBytes('GET', '/v1/users/0102030405060709?nonce=0102030405060708090a0b0c0d0e0f10&atS=1767225600', new Uint8Array(0)), user.publicKey));
  const withQuery = signRequest({ signer: user, method: 'GET', path: '/v1/x?configVersion=3', fields: {}, nowMs: 5000, random: fixedRandom });
  assert.is(withQuery.path, '/v1/x?configVersion=3&nonce=0102030405060708090a0b0c0d0e0f10&atS=5');
  assert.throws(() => signRequest({ signer: user, method: 'GET', path: '/v1/x', fields: { a: 1 }, nowMs: 5000 }), /a GET has no body/);
});

test('signRequest: fresh nonce each time; refuses caller-supplied nonce/atS and a bad clock', () => {
  const a = signRequest({ signer: user, method: 'POST', path: '/v1/vouchers', fields: {}, nowMs: 1000 });
  const b = signRequest({ signer: user, method: 'POST', path: '/v1/vouchers', fields: {}, nowMs: 1000 });
  assert.is.not(JSON.parse(new TextDecoder().decode(a.body!)).nonce, JSON.parse(new TextDecoder().decode(b.body!)).nonce);
  assert.throws(() => signRequest({ signer: user, method: 'POST', path: '/v1/vouchers', fields: { nonce: 'aa' }, nowMs: 1000 }), /must not carry nonce or atS/);
  assert.throws(() => signRequest({ signer: user, method: 'POST', path: '/v1/vouchers', fields: {}, nowMs: -1 }), /"nowMs" expected a non-negative integer/);
});

test.run();

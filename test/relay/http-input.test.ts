// Bad HTTP input gets a 4xx with a clear JSON error and changes nothing: malformed JSON, wrong
// types, unknown fields, huge bodies (declared and streamed), wrong content type, unknown paths
// and methods, junk records. Also: the OpenAPI document describes exactly the routes served.
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToBase64url, bytesToHex, utf8Encode } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { HEADER_KID as KID_HEADER, HEADER_SIGNATURE as SIGNATURE_HEADER, requestSigningBytes } from '../../tools/relay-api/request-signing.ts';
import { relayApi } from '../../tools/relay-api/routes.ts';
import { startTestRelay } from '../support/relay-harness.ts';

const t = await startTestRelay();
const user = await t.newUser('prober');
const pile = await t.newPile();

function expectError(reply: { status: number; json: any }, status: number, error: string, message?: RegExp): void {
  assert.is(reply.status, status, JSON.stringify(reply.json));
  assert.is(reply.json.error, error);
  assert.type(reply.json.message, 'string');
  if (message) assert.match(reply.json.message, message);
}

/** Streams `size` bytes without a content-length (chunked), to test the streamed limit. */
function postChunked(path: string, size: number): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(t.relay.url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(8192, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('the relay listens on 127.0.0.1 only', () => {
  assert.match(t.relay.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('malformed JSON and invalid UTF-8 → 400 invalid-json', async () => {
  expectError(await t.raw('POST', '/v1/records', { body: '{"records": [', headers: { 'content-type': 'application/json' } }), 400, 'invalid-json', /not valid JSON/);
  expectError(await t.raw('POST', '/v1/records', { body: Uint8Array.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json' } }), 400, 'invalid-json', /UTF-8/);
  expectError(await t.raw('POST', '/v1/records', { body: '', headers: { 'content-type': 'application/json' } }), 400, 'invalid-json');
});

test('wrong types and unknown fields → 400 invalid-field naming the field', async () => {
  expectError(await t.call('POST', '/v1/records', { body: { records: 'abc' } }), 400, 'invalid-field', /"records" expected an array/);
  expectError(await t.call('POST', '/v1/records', { body: { records: [], extra: 1 } }), 400, 'invalid-field', /"extra" is not a known field/);
  expectError(await t.raw('POST', '/v1/records', { body: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'invalid-field', /"body" expected a JSON object/);
  expectError(await t.call('POST', '/v1/records', { body: { records: Array(65).fill('AA') } }), 400, 'invalid-field', /1\.\.64 items/);
  const voucher = (limit: unknown, pileNonce: unknown = 'aa'.repeat(16)) => t.call('POST', '/v1/vouchers', { body: { pileId: pile.pileIdHex, pileNonce, limit }, signer: user });
  expectError(await voucher({ mode: 'amount', amountMinor: '100' }), 400, 'invalid-field', /"limit\.amountMinor" expected an integer/);
  expectError(await voucher({ mode: 'amount', amountMinor: 1.5 }), 400, 'invalid-field', /limit\.amountMinor/);
  expectError(await voucher({ mode: 'warp' }), 400, 'invalid-field', /"limit\.mode" expected one of/);
  expectError(await voucher({ mode: 'full', energyWh: 5 }), 400, 'invalid-field', /"limit\.energyWh" is not a known field/);
  expectError(await voucher({ mode: 'energy', energyWh: 5, extra: 1 }), 400, 'invalid-field', /"limit\.extra" is not a known field/);
  const newcomer = generateKeyPair({ crypto: sodiumEd25519 });
  const register = (displayName: string) => t.call('POST', '/v1/users', { body: { publicKey: bytesToHex(newcomer.publicKey), displayName }, signer: newcomer });
  expectError(await register('é'.repeat(13)), 400, 'invalid-field', /"displayName" expected at most 24 UTF-8 bytes, got 26/);
  expectError(await register(''), 400, 'invalid-field', /"displayName" must not be empty/);
  expectError(await voucher({ mode: 'time', durationS: 0 }), 400, 'invalid-field', /expected 1\.\.4294967295, got 0/);
  expectError(await voucher({ mode: 'amount', amountMinor: 5 }, 'abc'), 400, 'invalid-field', /"pileNonce"/);
  expectError(await voucher({ mode: 'amount', amountMinor: 5 }, 'aa'.repeat(4)), 400, 'invalid-field', /expected 8\.\.16 bytes, got 4/);
  expectError(await t.call('POST', '/v1/vouchers', { body: { pileId: 12, pileNonce: 'aa'.repeat(8), limit: { mode: 'full' } }, signer: user }), 400, 'invalid-field', /"pileId" expected hex/);
  expectError(await t.call('GET', '/v1/users/xyz', { signer: t.operator }), 400, 'invalid-field', /"kid"/);
});

test('a signed body without atS → 400 naming it', async () => {
  const path = '/v1/transfers';
  const text = JSON.stringify({ toKid: user.kidHex, amountMinor: 1, idempotencyKey: 'cd'.repeat(16), nonce: 'cd'.repeat(16) });
  const signature = sodiumEd25519.sign(requestSigningBytes('POST', path, utf8Encode(text)), user.secretKey);
  const headers = { 'content-type': 'application/json', [KID_HEADER]: user.kidHex, [SIGNATURE_HEADER]: bytesToBase64url(signature) };
  expectError(await t.raw('POST', path, { body: text, headers }), 400, 'invalid-field', /"atS"/);
});

test('a name twice in one object → 400 invalid-json naming it, even under a valid signature; nothing moves', async () => {
  const sender = await t.newUser('sender');
  await t.topUp(sender.kidHex, 1_000);
  await t.relay.drainLedger();
  const path = '/v1/transfers';
  const text = `{"toKid":"${user.kidHex}","amountMinor":1,"amountMinor":900,"idempotencyKey":"${'ef'.repeat(16)}","nonce":"${'ce'.repeat(16)}","atS":${t.clock.nowS}}`;
  const signature = sodiumEd25519.sign(requestSigningBytes('POST', path, utf8Encode(text)), sender.secretKey);
  const headers = { 'content-type': 'application/json', [KID_HEADER]: sender.kidHex, [SIGNATURE_HEADER]: bytesToBase64url(signature) };
  expectError(await t.raw('POST', path, { body: text, headers }), 400, 'invalid-json', /names "amountMinor" twice/);
  const nested = `{"pileId":"${pile.pileIdHex}","pileNonce":"${'aa'.repeat(16)}","limit":{"mode":"full","mode":"amount"}}`;
  expectError(await t.raw('POST', '/v1/vouchers', { body: nested, headers: { 'content-type': 'application/json' } }), 400, 'invalid-json', /names "limit\.mode" twice/);
  assert.is((await t.call('GET', `/v1/users/${sender.kidHex}`, { signer: sender })).json.balanceMinor, 1_000, 'nothing moved');
});

test('huge bodies → 413 body-too-large, declared or streamed', async () => {
  expectError(await t.raw('POST', '/v1/records', { body: JSON.stringify({ records: ['A'.repeat(70_000)] }), headers: { 'content-type': 'application/json' } }), 413, 'body-too-large', /65536/);
  expectError(await postChunked('/v1/records', 1_000_000), 413, 'body-too-large');
  const after = await t.call('GET', '/v1/relay');
  assert.is(after.status, 200, 'the relay still answers');
});

test('wrong content type → 415 unsupported-media-type', async () => {
  expectError(await t.raw('POST', '/v1/records', { body: '{"records":[]}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type', /text\/plain/);
  expectError(await t.raw('POST', '/v1/records', { body: '{"records":[]}' }), 415, 'unsupported-media-type');
});

test('unknown endpoint → 404, wrong method → 405', async () => {
  expectError(await t.call('GET', '/v1/nothing'), 404, 'not-found');
  expectError(await t.raw('DELETE', '/v1/records'), 405, 'method-not-allowed', /allowed: POST/);
  expectError(await t.call('GET', '/v1/vouchers'), 405, 'method-not-allowed');
});

test('junk records are refused one by one; the good ones in the same upload still go through', async () => {
  const reply = await t.call('POST', '/v1/records', { body: { records: ['!!!', 5, bytesToBase64url(Uint8Array.from([0xa0])), bytesToBase64url(new Uint8Array(600))] } });
  assert.is(reply.status, 200);
  const errors = reply.json.results.map((r: { status: string; error: string }) => `${r.status}:${r.error}`);
  assert.equal(errors, ['rejected:invalid-record', 'rejected:invalid-record', 'rejected:invalid-record', 'rejected:invalid-record']);
  assert.equal(reply.json.acks, []);
  const pileUpdate = (await t.call('GET', `/v1/piles/${pile.pileIdHex}/update`)).json.pileUpdate;
  const wrongType = await t.call('POST', '/v1/records', { body: { records: [pileUpdate] } });
  assert.is(wrongType.json.results[0].error, 'unexpected-type');
  assert.is((await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.records, 0);
});

test('the OpenAPI document lists exactly the routes served', async () => {
  const doc = (await t.call('GET', '/openapi.json')).json;
  assert.is(doc.openapi, '3.1.0');
  const served = Object.values(relayApi).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort();
  const described = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  assert.equal(described, served);
});

test('GET /v1/relay: the trust anchor and the ledger', async () => {
  const info = (await t.call('GET', '/v1/relay')).json;
  assert.equal([info.relayPublicKey, info.relayKid, info.ledger.kind, info.storage], [t.relay.relayPublicKey, bytesToHex(t.relay.relayKey.kid), 'embedded', 'sqlite']);
});

test.after(() => t.close());
test.run();

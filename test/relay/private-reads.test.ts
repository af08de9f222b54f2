// Issue 14, "reads are private": every GET /v1/users/{kid}/* answers only a request signed by that
// user's key or an operator's, fresh and never replayed. A key id alone — which the user's phone
// sends to every pile it taps (UserHello) — reads nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { HEADER_KID, HEADER_SIGNATURE, signRequest } from '../../tools/relay-api/request-signing.ts';
import { startTestRelay } from '../support/relay-harness.ts';

const t = await startTestRelay();
const owner = await t.newUser('owner');
const other = await t.newUser('other');
await t.topUp(owner.kidHex, 1_234);
await t.relay.drainLedger();

const readPaths = ['', '/contracts', '/credit', '/history'].map((tail) => `/v1/users/${owner.kidHex}${tail}`);

function expectRefusal(reply: { status: number; json: any }, status: number, error: string, message?: RegExp): void {
  assert.is(reply.status, status, JSON.stringify(reply.json));
  assert.is(reply.json.error, error);
  if (message) assert.match(reply.json.message, message);
}

test('the owner reads every view of their account; an operator reads it too', async () => {
  for (const path of readPaths) {
    assert.is((await t.call('GET', path, { signer: owner })).status, 200, path);
    assert.is((await t.call('GET', path, { signer: t.operator })).status, 200, path);
  }
  assert.is((await t.call('GET', readPaths[0]!, { signer: owner })).json.balanceMinor, 1_234);
});

test('no signature (a key id is all a stranger has) → 401 on every view, nothing said about the user', async () => {
  for (const path of readPaths) {
    const reply = await t.call('GET', path);
    expectRefusal(reply, 401, 'unknown-signer', /must be signed/);
    assert.not.ok(reply.text.includes('1234'), 'no figure of the account in the refusal');
  }
});

test("another user's key → 403 not-owner on every view", async () => {
  for (const path of readPaths) expectRefusal(await t.call('GET', path, { signer: other }), 403, 'not-owner', /only that user or an operator/);
});

test('a replayed read (same signed path and nonce) → 409; a fresh one is served', async () => {
  const signed = signRequest({ signer: owner, method: 'GET', path: readPaths[0]!, fields: {}, nowMs: t.clock.nowMs(), crypto: sodiumEd25519 });
  assert.is((await t.raw('GET', signed.path, { headers: signed.headers })).status, 200);
  expectRefusal(await t.raw('GET', signed.path, { headers: signed.headers }), 409, 'replayed-request');
  assert.is((await t.call('GET', readPaths[0]!, { signer: owner })).status, 200);
});

test('a signed read moved to another account, or a stale one, or one without its nonce → refused', async () => {
  const signed = signRequest({ signer: other, method: 'GET', path: `/v1/users/${other.kidHex}`, fields: {}, nowMs: t.clock.nowMs(), crypto: sodiumEd25519 });
  const moved = signed.path.replace(other.kidHex, owner.kidHex);
  expectRefusal(await t.raw('GET', moved, { headers: signed.headers }), 401, 'bad-signature');
  expectRefusal(await t.call('GET', readPaths[0]!, { signer: owner, atS: t.clock.nowS - 3_600 }), 401, 'stale-request');
  const bare = readPaths[0]!;
  const headers = { [HEADER_KID]: owner.kidHex, [HEADER_SIGNATURE]: signed.headers[HEADER_SIGNATURE]! };
  expectRefusal(await t.raw('GET', bare, { headers }), 401, 'bad-signature');
});

test('the phone SDK reads its own account through signed requests', async () => {
  const client = new RelayClient({ baseUrl: t.relay.url, nowMs: () => t.clock.nowMs(), crypto: sodiumEd25519 });
  assert.is((await client.user(owner)).balanceMinor, 1_234);
  assert.is((await client.userHistory(owner)).length > 0, true);
  await client.user(other, owner.kid).then(
    () => assert.unreachable('another user read the account'),
    (error: { status: number; code: string }) => assert.equal([error.status, error.code], [403, 'not-owner']),
  );
});

test.after(() => t.close());
test.run();

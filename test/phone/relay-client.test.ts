// RelayClient (tools/phone/relay-client.ts) against the real relay (startRelay): its request
// signatures are accepted, and the relay's refusals — replayed, stale, tampered, unknown signer,
// wrong role — come back as typed RelayErrors with the HTTP status and the relay's error code.
// A last test feeds the client malformed answers from a plain HTTP server (untrusted input).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { RelayError, RelayUnreachableError } from '../../tools/phone/errors.ts';
import { type RunningRelay, startRelay } from '../../tools/relay/start-relay.ts';

type Sent = { url: string; init: RequestInit };
const client = suite<{ relay: RunningRelay; dir: string; sent: Sent[] }>('relay client', { relay: undefined as unknown as RunningRelay, dir: '', sent: [] });

client.before(async (context) => {
  context.dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-client-'));
  context.relay = await startRelay({ dataDir: context.dir, port: 0, log: () => undefined });
});

client.after(async ({ relay, dir }) => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client whose requests are also written down (to be replayed or altered by the test). */
function recordingClient(url: string, sent: Sent[], nowMs?: () => number): RelayClient {
  const fetchAndRecord: typeof fetch = (input, init) => {
    sent.push({ url: String(input), init: init! });
    return fetch(input, init);
  };
  return new RelayClient({ baseUrl: url, fetch: fetchAndRecord, ...(nowMs && { nowMs }) });
}

async function refusal(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, RelayError);
    return error as RelayError;
  }
  throw new assert.Assertion({ message: 'expected a RelayError', generated: false, operator: 'throws', expects: 'RelayError', actual: 'success' });
}

client('relay info, user registration (signed by the new key), account', async ({ relay, sent }) => {
  const relayClient = recordingClient(relay.url, sent);
  const info = await relayClient.relayInfo();
  assert.is(bytesToHex(info.relayPublicKey), relay.relayPublicKey);
  assert.is(bytesToHex(info.relayKid), relay.relayKid);
  const user = generateKeyPair();
  const registered = await relayClient.registerUser(user, 'Ada');
  assert.is(registered.kid, bytesToHex(user.kid));
  const request = sent.at(-1)!;
  const headers = request.init.headers as Record<string, string>;
  assert.is(headers['tapcharge-kid'], bytesToHex(user.kid));
  assert.match(headers['tapcharge-signature']!, /^[A-Za-z0-9_-]{86}$/);
  const account = await relayClient.user(user);
  assert.is(account.displayName, 'Ada');
  assert.is(account.balanceMinor, 0);
  const again = await refusal(relayClient.registerUser(user, 'Ada'));
  assert.is(again.status, 409);
  assert.is(again.code, 'already-registered');
});

client('the relay refuses a replayed request (409), a tampered one (401) and a stale one (401)', async ({ relay, sent }) => {
  const operator = recordingClient(relay.url, sent);
  const user = generateKeyPair();
  await operator.registerUser(user, 'Bea');
  await operator.issue(relay.operatorKey, user.kid, 100);
  const issued = sent.at(-1)!;
  const replay = await fetch(issued.url, issued.init);
  assert.is(replay.status, 409);
  assert.is(((await replay.json()) as { error: string }).error, 'replayed-request');

  const body = new TextDecoder().decode(issued.init.body as Uint8Array).replace('"amountMinor":100', '"amountMinor":900').replace(/"nonce":"[0-9a-f]+"/, `"nonce":"${'ab'.repeat(16)}"`);
  const tampered = await fetch(issued.url, { ...issued.init, body });
  assert.is(tampered.status, 401);
  assert.is(((await tampered.json()) as { error: string }).error, 'bad-signature');

  const late = recordingClient(relay.url, sent, () => Date.now() - 10 * 60_000);
  const stale = await refusal(late.transfer(user, relay.operatorKey.kid, 1));
  assert.is(stale.status, 401);
  assert.is(stale.code, 'stale-request');
  await relay.drainLedger();
  assert.is((await operator.user(relay.operatorKey, user.kid)).balanceMinor, 100, 'only the first, genuine issue moved money');
});

client('unknown signer 401, a user on an operator route 403, unknown pile 404, no update/ack 204', async ({ relay }) => {
  const relayClient = new RelayClient({ baseUrl: relay.url });
  const stranger = generateKeyPair();
  const unknown = await refusal(relayClient.requestVoucher(stranger, { pileId: new Uint8Array(8), pileNonce: new Uint8Array(16), limit: { mode: 'full' } }));
  assert.equal([unknown.status, unknown.code], [401, 'unknown-signer']);
  const user = generateKeyPair();
  await relayClient.registerUser(user, 'Cy');
  const notOperator = await refusal(relayClient.issue(user, user.kid, 5));
  assert.equal([notOperator.status, notOperator.code], [403, 'not-operator']);
  const noPile = await refusal(relayClient.pile(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
  assert.equal([noPile.status, noPile.code], [404, 'unknown-pile']);
  assert.match(noPile.message, /^relay refused GET \/v1\/piles\/0102030405060708: 404 unknown-pile: /);

  const pileKey = generateKeyPair();
  const registered = await relayClient.registerPile(relay.operatorKey, { pileId: pileKey.kid, publicKey: pileKey.publicKey, operator: 'test', label: 'Bay', maxPowerW: 7400, tariff: { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 0 } });
  assert.is(bytesToHex(registered.pileId), bytesToHex(pileKey.kid));
  assert.is((await relayClient.pile(pileKey.kid)).configVersion, 1);
  assert.is(await relayClient.pileUpdate(pileKey.kid, 1), undefined);
  assert.is((await relayClient.pileUpdate(pileKey.kid, 0))?.configVersion, 1);
  assert.is(await relayClient.pileAck(pileKey.kid), undefined);
  const broke = await refusal(relayClient.requestVoucher(user, { pileId: pileKey.kid, pileNonce: new Uint8Array(16), limit: { mode: 'energy', energyWh: 5000 } }));
  assert.equal([broke.status, broke.code], [402, 'insufficient-funds']);
});

client('records the relay cannot use come back rejected, one result per record', async ({ relay }) => {
  const relayClient = new RelayClient({ baseUrl: relay.url });
  const answer = await relayClient.submitRecords([new Uint8Array([0xd2, 0x84, 0x40]), new Uint8Array(10)]);
  assert.is(answer.results.length, 2);
  assert.ok(answer.results.every((r) => r.status === 'rejected' && typeof r.error === 'string'));
  assert.equal(answer.acks, []);
  const empty = await relayClient.submitRecords([]).then(() => undefined, (error: unknown) => error);
  assert.instance(empty, RangeError);
  assert.match((empty as Error).message, /"records" expected 1..64, got 0/);
});

client('no relay listening: RelayUnreachableError (status 0, code unreachable)', async () => {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  await new Promise((resolve) => server.close(resolve));
  const error = await refusal(new RelayClient({ baseUrl: `http://127.0.0.1:${port}` }).relayInfo());
  assert.instance(error, RelayUnreachableError);
  assert.equal([error.status, error.code], [0, 'unreachable']);
});

client('malformed answers are RelayError "bad-response" naming the field, never a crash', async () => {
  const answers: [string, number, string][] = [
    ['/v1/relay', 200, JSON.stringify({
      relayPublicKey: '00', relayKid: '0011223344556677', storage: 'sqlite',
      ledger: { kind: 'embedded', address: `0x${'11'.repeat(20)}`, operator: `0x${'22'.repeat(20)}`, revenueAccount: `0x${'33'.repeat(20)}` },
      outbox: { pending: 0, done: 0, rejected: 0, transactions: 0, gasByKind: {} },
    })],
    ['/v1/users/0011223344556677', 200, JSON.stringify({
      kid: '0011223344556677', displayName: 'b', address: `0x${'11'.repeat(20)}`, balanceMinor: 'lots', escrowMinor: 0, creditLimitMinor: 0, creditUsedMinor: 0,
      availableMinor: 0, reservedMinor: 0, openContracts: [], pendingLedgerWrites: 0, bookBalanceMinor: 0, bookEscrowMinor: 0,
    })],
    ['/v1/piles/0011223344556677/ack', 200, '{"ack":"not base64url!"}'],
    ['/v1/piles/0011223344556677', 200, 'not json'],
    ['/v1/piles/0011223344556677/update?configVersion=1', 500, '<html>oops</html>'],
  ];
  const server = createServer((request, response) => {
    const found = answers.find(([path]) => path === request.url!.replace(/[?&]nonce=[0-9a-f]+&atS=\d+$/, ''));
    response.writeHead(found?.[1] ?? 404, { 'content-type': 'application/json' });
    response.end(found?.[2] ?? '{}');
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  try {
    const relayClient = new RelayClient({ baseUrl: `http://127.0.0.1:${port}` });
    const id = Uint8Array.from([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
    const info = await refusal(relayClient.relayInfo());
    assert.equal([info.code, info.message], ['bad-response', 'relay answer to GET /v1/relay: "relayPublicKey" expected 32 bytes, got 1']);
    assert.match((await refusal(relayClient.user(generateKeyPair(), id))).message, /"balanceMinor" expected an integer/);
    assert.match((await refusal(relayClient.pileAck(id))).message, /"ack" expected base64url/);
    const notJson = await refusal(relayClient.pile(id));
    assert.equal([notJson.status, notJson.code], [200, 'bad-response']);
    const serverError = await refusal(relayClient.pileUpdate(id, 1));
    assert.equal([serverError.status, serverError.code], [500, 'http-500']);
  } finally {
    server.close();
  }
});

client.run();

// The relay as the OCPP 1.6J central system (tools/relay/ocpp): a real relay (SQLite in a temp
// folder) on 127.0.0.1, the firmware's OcppClient over the host uplink (WsUplinkSocket) on a
// virtual clock, and — for what a genuine pile never does — an ocpp-rpc client in strict mode
// playing an impostor. Covered: a registered pile proves its identity with its own key and is
// Accepted, its connector states listed by GET /v1/operator/uplinks; handshakes refused for an
// unknown or malformed pile id; another pile's key, a replayed proof, bad answers and no answer
// closing the connection, logged, never Accepted; CALLs before the proof answered SecurityError
// and recorded nowhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RPCClient } from 'ocpp-rpc';
import WebSocket from 'ws';
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { WsUplinkSocket } from '../../tools/pile-sim/uplink-socket.ts';
import { Configuration } from '../../firmware/ocpp/configuration.ts';
import { OcppClient } from '../../firmware/ocpp/ocpp-client.ts';
import { OcppRpc } from '../../firmware/ocpp/rpc.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { type TestPile, type TestRelay, startTestRelay } from '../support/relay-harness.ts';
import { until } from '../support/until.ts';

const PENDING_INTERVAL_S = 10;
const HEARTBEAT_INTERVAL_S = 300;
/** Short, so the no-answer case ends soon; a genuine pile answers within milliseconds. */
const PROOF_TIMEOUT_MS = 1500;

/** The relay's pino lines (request log and OCPP events), parsed. */
const logLines: Record<string, unknown>[] = [];
const events = (name: string, pileId?: string) => logLines.filter((line) => line.event === name && (pileId === undefined || line.pileId === pileId));

let t: TestRelay;

/** Records the frames the firmware sends and the closes it sees. */
class RecordingUplink implements UplinkSocket {
  readonly sent: unknown[][] = [];
  readonly closes: string[] = [];
  readonly #inner = new WsUplinkSocket();
  open(url: string, events: UplinkEvents): void {
    this.#inner.open(url, { onOpen: () => events.onOpen(), onMessage: (text) => events.onMessage(text), onClose: (reason) => {
      this.closes.push(reason);
      events.onClose(reason);
    } });
  }
  send(text: string): boolean {
    const sent = this.#inner.send(text);
    if (sent) this.sent.push(JSON.parse(text) as unknown[]);
    return sent;
  }
  close(): void {
    this.#inner.close();
  }
}

type Signer = Pick<KeyPair, 'kid' | 'secretKey'>;

/** The firmware's OCPP client connecting as `pile`; its proof names `claim.pileId` signed with `claim.key` (the pile's own unless told). */
function firmwarePile(pile: TestPile, claim: { pileId?: Uint8Array; key?: Signer } = {}) {
  const key = claim.key ?? pile.key;
  const clock = new VirtualClock({ startMs: t.clock.atMs });
  const uplink = new RecordingUplink();
  const log: string[] = [];
  const report = (level: string, text: string) => log.push(`${level}: ${text}`);
  const rpc = new OcppRpc(uplink, clock, new SeededRandom(7), report, { url: t.relay.ocppUrl + pile.pileIdHex, callTimeoutMs: 30_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000 });
  const configuration = new Configuration({ heartbeatIntervalS: 900, numberOfConnectors: 1 });
  const client = new OcppClient(rpc, clock, configuration, report, {
    chargePoint: { vendor: 'tapcharge', model: 'pile-v1' },
    connectorCount: 1,
    bootRetryS: 30,
    identity: { pileId: claim.pileId ?? pile.pileId, kid: key.kid, sign: (message) => sodiumEd25519.sign(message, key.secretKey) },
  });
  client.statusChanged(0, 'Available', 'NoError');
  client.statusChanged(1, 'Available', 'NoError');
  client.start();
  const answers = (action: string) => uplink.sent.filter((frame) => frame[0] === 2 && frame[2] === action).length;
  return { clock, uplink, rpc, configuration, client, log, answers };
}

async function uplinks(): Promise<{ pileId: string; connectors: { connectorId: number; status: string; errorCode: string }[]; pileClockOffsetS: number; lastSeenAtS: number }[]> {
  const reply = await t.call('GET', '/v1/operator/uplinks', { signer: t.operator });
  assert.is(reply.status, 200, reply.text);
  return reply.json.uplinks;
}

/** An ocpp-rpc client in strict mode claiming `pileIdHex`: what an impostor can send. */
async function impostor(pileIdHex: string, answerChallenge: (params: Record<string, unknown>) => unknown) {
  const client = new RPCClient({
    endpoint: t.relay.ocppUrl.replace(/\/$/, ''), identity: pileIdHex, protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
  } as never);
  const closes: { code: number; reason: string }[] = [];
  client.on('close', (event: { code: number; reason: string }) => closes.push(event));
  const challenges: Record<string, unknown>[] = [];
  client.handle('DataTransfer', ({ params }) => {
    challenges.push(params!);
    return answerChallenge(params!) as Promise<Record<string, unknown>>;
  });
  await client.connect();
  return { client, closes, challenges };
}

test.before(async () => {
  t = await startTestRelay({
    requestLog: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    ocpp: { pendingIntervalS: PENDING_INTERVAL_S, heartbeatIntervalS: HEARTBEAT_INTERVAL_S, proofTimeoutMs: PROOF_TIMEOUT_MS },
  });
});

test.after(async () => {
  await t.close();
});

test('a registered pile proves its identity with its own key, is Accepted, and its connector states are listed', async () => {
  const pile = await t.newPile();
  const fw = firmwarePile(pile);
  try {
    await until(() => events('ocpp-proven', pile.pileIdHex).length === 1, 'the proof');
    assert.is(fw.client.registration, 'Pending', 'the BootNotification sent before the proof was answered Pending');
    const proven = await uplinks();
    assert.equal(proven.map((u) => [u.pileId, u.connectors]), [[pile.pileIdHex, []]], 'listed once proven, no state reported yet');
    assert.ok(Math.abs(proven[0]!.pileClockOffsetS) <= 1, 'the pile clock offset as signed in the proof');

    fw.clock.advance(PENDING_INTERVAL_S * 1000 - 1);
    assert.is(fw.answers('BootNotification'), 1, 'the pile waits the Pending interval');
    fw.clock.advance(1);
    await until(() => fw.client.registration === 'Accepted', 'Accepted on the next BootNotification');
    assert.is(fw.configuration.heartbeatIntervalS, HEARTBEAT_INTERVAL_S, 'the interval of the relay settings');
    await until(async () => (await uplinks())[0]?.connectors.length === 2, 'both connector states');
    assert.equal((await uplinks())[0]!.connectors.map((c) => [c.connectorId, c.status, c.errorCode]), [[0, 'Available', 'NoError'], [1, 'Available', 'NoError']]);

    fw.client.statusChanged(1, 'Charging', 'NoError');
    await until(async () => (await uplinks())[0]?.connectors[1]?.status === 'Charging', 'the change of connector 1');
    t.clock.advanceS(60);
    fw.clock.advance(HEARTBEAT_INTERVAL_S * 1000);
    await until(async () => (await uplinks())[0]?.lastSeenAtS === t.clock.nowS, 'the heartbeat seen at the relay time');
    assert.equal(fw.log.filter((line) => /Heartbeat|StatusNotification|DataTransfer/.test(line)), [], 'every CALL of the pile answered as it expects');
    assert.equal(events('ocpp-identity-refused', pile.pileIdHex), []);

    fw.client.stop();
    await until(async () => (await uplinks()).length === 0, 'the pile gone from the list when its connection ends');
  } finally {
    fw.client.stop();
  }
});

test('after a reconnect the Accepted pile proves itself again before its states are sent: none is refused', async () => {
  const pile = await t.newPile();
  const fw = firmwarePile(pile);
  try {
    await until(() => events('ocpp-proven', pile.pileIdHex).length === 1, 'the first proof');
    fw.clock.advance(PENDING_INTERVAL_S * 1000);
    await until(async () => (await uplinks()).find((u) => u.pileId === pile.pileIdHex)?.connectors.length === 2, 'Accepted, states listed');
    fw.client.stop(); // the link closes and opens again; the pile keeps its registration
    fw.client.statusChanged(1, 'Preparing', 'NoError');
    fw.client.start();
    await until(() => events('ocpp-proven', pile.pileIdHex).length === 2, 'the second proof');
    await until(async () => (await uplinks()).find((u) => u.pileId === pile.pileIdHex)?.connectors.length === 2, 'the states of the new connection');
    const listed = (await uplinks()).find((u) => u.pileId === pile.pileIdHex)!;
    assert.equal(listed.connectors.map((c) => [c.connectorId, c.status]), [[0, 'Available'], [1, 'Preparing']]);
    assert.is(fw.answers('BootNotification'), 2, 'no new boot: the pile was Accepted');
    assert.equal(fw.log.filter((line) => /SecurityError/.test(line)), [], 'no CALL went before the proof');
  } finally {
    fw.client.stop();
  }
});

test('the handshake: an unknown pile id → 404, a malformed one or no ocpp1.6 → 400, another path → 404; HTTP untouched', async () => {
  const known = await t.newPile();
  const base = t.relay.ocppUrl;
  const cases: [string, string[], number][] = [
    [base + '50ffffffffffff01', ['ocpp1.6'], 404],
    [base + 'not-a-pile-id', ['ocpp1.6'], 400],
    [base + known.pileIdHex + '00', ['ocpp1.6'], 400],
    [base + known.pileIdHex, ['ocpp2.0.1'], 400],
    [base.replace('/ocpp/', '/v1/health/'), ['ocpp1.6'], 404],
  ];
  for (const [url, protocols, status] of cases) {
    const got = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(url, protocols);
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve('open');
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
    assert.is(got, status, url);
  }
  assert.is(events('ocpp-refused').filter((e) => e.status === 404 && e.pileId === '50ffffffffffff01').length, 1, 'the refusal is logged');
  assert.is((await t.call('GET', '/v1/health')).status, 200, 'plain HTTP still served');
  assert.is((await t.call('GET', `/v1/piles/${known.pileIdHex}`)).status, 200);
});

test("a client claiming pile A's id without A's key is closed, logged, and never Accepted", async () => {
  const a = await t.newPile();
  const b = await t.newPile();
  const cases: [string, { pileId: Uint8Array; key: Signer }, string][] = [
    ["A's id, signed with B's key", { pileId: a.pileId, key: b.key }, 'bad-signature'],
    ["B's own proof, on A's connection", { pileId: b.pileId, key: b.key }, 'bad-signature'],
    ["A's key naming pile B", { pileId: b.pileId, key: a.key }, 'other-pile'],
  ];
  for (const [name, claim, error] of cases) {
    const refusedBefore = events('ocpp-identity-refused', a.pileIdHex).length;
    const fw = firmwarePile(a, claim);
    try {
      await until(() => fw.uplink.closes.length === 1, `${name}: the connection closed`);
      assert.match(fw.uplink.closes[0]!, /1008 identity not proven/, name);
      const refused = events('ocpp-identity-refused', a.pileIdHex).slice(refusedBefore);
      assert.equal(refused.map((e) => e.error), [error], name);
      assert.is(fw.client.registration, 'Pending', `${name}: never Accepted`);
      assert.equal((await uplinks()).filter((u) => u.pileId === a.pileIdHex || u.pileId === b.pileIdHex), [], `${name}: nothing listed`);
    } finally {
      fw.client.stop();
    }
  }
});

test("a proof recorded on an earlier connection is refused: it answers that connection's challenge", async () => {
  const pile = await t.newPile();
  const fw = firmwarePile(pile);
  await until(() => events('ocpp-proven', pile.pileIdHex).length === 1, 'the genuine proof');
  const recorded = fw.uplink.sent.find((frame) => frame[0] === 3 && (frame[2] as { data?: string }).data !== undefined)![2] as Record<string, unknown>;
  fw.client.stop();
  await until(async () => (await uplinks()).every((u) => u.pileId !== pile.pileIdHex), 'the genuine connection gone');

  const replay = await impostor(pile.pileIdHex, () => recorded);
  await until(() => replay.closes.length === 1, 'the replaying connection closed');
  assert.equal(replay.closes[0], { code: 1008, reason: 'identity not proven' });
  assert.not.equal(replay.challenges[0]!.data, undefined);
  assert.equal(events('ocpp-identity-refused', pile.pileIdHex).map((e) => e.error), ['other-challenge']);
  assert.equal((await uplinks()).filter((u) => u.pileId === pile.pileIdHex), []);
});

test('before the proof: BootNotification Pending, every other CALL SecurityError, nothing recorded; no answer closes it', async () => {
  const pile = await t.newPile();
  const silent = await impostor(pile.pileIdHex, () => new Promise(() => undefined));
  await until(() => silent.challenges.length === 1, 'the challenge');
  assert.equal(silent.challenges.map((c) => [c.vendorId, c.messageId, /^[0-9a-f]{32}$/.test(String(c.data))]), [['com.tapcharge', 'IdentityChallenge', true]]);
  const boot = await silent.client.call('BootNotification', { chargePointVendor: 'tapcharge', chargePointModel: 'pile-v1' }) as Record<string, unknown>;
  assert.equal([boot.status, boot.interval], ['Pending', PENDING_INTERVAL_S]);
  const calls: [string, Record<string, unknown>][] = [
    ['Heartbeat', {}],
    ['StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }],
    ['Authorize', { idTag: 'user-1' }],
    ['DataTransfer', { vendorId: 'com.tapcharge', messageId: 'Contract', data: 'x' }],
  ];
  for (const [action, params] of calls) {
    const error = await silent.client.call(action, params).then(() => undefined, (e: { rpcErrorCode?: string }) => e.rpcErrorCode);
    assert.is(error, 'SecurityError', action);
  }
  assert.equal((await uplinks()).filter((u) => u.pileId === pile.pileIdHex), [], 'nothing recorded');
  await until(() => silent.closes.length === 1, 'the close at the proof timeout', PROOF_TIMEOUT_MS + 5000);
  assert.equal(silent.closes[0], { code: 1008, reason: 'identity not proven' });
  assert.equal(events('ocpp-identity-refused', pile.pileIdHex).map((e) => e.error), ['no-proof']);
});

test('answers that are no proof close the connection with their reason', async () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['Rejected', { status: 'Rejected' }, 'not-accepted'],
    ['UnknownMessageId (a pile without identity)', { status: 'UnknownMessageId' }, 'not-accepted'],
    ['Accepted without data', { status: 'Accepted' }, 'malformed'],
    ['data not base64url', { status: 'Accepted', data: '**' }, 'malformed'],
    ['data not a signed message', { status: 'Accepted', data: 'AAAA' }, 'malformed'],
  ];
  for (const [name, answer, error] of cases) {
    const pile = await t.newPile();
    const bad = await impostor(pile.pileIdHex, () => answer);
    await until(() => bad.closes.length === 1, `${name}: closed`);
    assert.equal(events('ocpp-identity-refused', pile.pileIdHex).map((e) => e.error), [error], name);
  }
  const pile = await t.newPile();
  const schemaBreaking = await impostor(pile.pileIdHex, () => ({ status: 'Maybe' }));
  await until(() => schemaBreaking.closes.length === 1, 'an answer the OCPP schema refuses: closed');
  assert.equal(events('ocpp-identity-refused', pile.pileIdHex).map((e) => e.error), ['no-proof']);
});

test('GET /v1/operator/uplinks is an operator read: unsigned 401, signed by a user 403', async () => {
  const user = await t.newUser();
  assert.equal([(await t.call('GET', '/v1/operator/uplinks')).json.error, (await t.call('GET', '/v1/operator/uplinks', { signer: user })).json.error], ['unknown-signer', 'not-operator']);
});

test.run();

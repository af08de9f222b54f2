// The OcppClient (firmware/ocpp/ocpp-client.ts) over a loopback uplink on a virtual clock: what
// the strict-server test cannot make a real central system do — BootNotification unanswered or
// answered with a malformed payload, interval 0, a heartbeat slower than its interval — and the
// bounds on what the firmware may ask of it; and, with an identity signer, when the pile's states
// go after a reconnect (after its answer to the relay's identity challenge, never before), and when
// the client is `ready` for the pile's other CALLs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { Configuration } from '../../../firmware/ocpp/configuration.ts';
import { OcppClient } from '../../../firmware/ocpp/ocpp-client.ts';
import { OcppRpc } from '../../../firmware/ocpp/rpc.ts';
import type { UplinkIdentitySigner } from '../../../firmware/ocpp/identity.ts';
import { LoopbackUplink } from './loopback-uplink.ts';

const chargePoint = { vendor: 'tapcharge', model: 'pile-v1' };

const challenge = (id: string) => `[2,"${id}","DataTransfer",{"vendorId":"com.tapcharge","messageId":"IdentityChallenge","data":"${'ab'.repeat(16)}"}]`;

function rig(identity?: UplinkIdentitySigner) {
  const clock = new VirtualClock();
  const uplink = new LoopbackUplink();
  const log: string[] = [];
  const report = (level: string, text: string) => log.push(`${level}: ${text}`);
  const rpc = new OcppRpc(uplink, clock, new SeededRandom(5), report, { url: 'ws://127.0.0.1:9/ocpp/P1', callTimeoutMs: 30_000, reconnectMinMs: 1000, reconnectMaxMs: 1000 });
  const configuration = new Configuration({ heartbeatIntervalS: 900, numberOfConnectors: 1 });
  const client = new OcppClient(rpc, clock, configuration, report, { chargePoint, connectorCount: 1, bootRetryS: 45, ...(identity && { identity }) });
  client.statusChanged(0, 'Available', 'NoError');
  client.start();
  uplink.accept();
  const actions = () => uplink.sent.map((text) => JSON.parse(text) as unknown[]).filter((f) => f[0] === 2).map((f) => f[2]);
  const answerLast = (payload: unknown) => uplink.deliver(JSON.stringify([3, uplink.last()[1], payload]));
  return { clock, uplink, rpc, configuration, client, log, actions, answerLast };
}

const accepted = (interval: number) => ({ status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval });

test('an unanswered BootNotification is sent again bootRetryS after its timeout', () => {
  const { clock, client, actions, log } = rig();
  assert.equal(actions(), ['BootNotification']);
  clock.advance(30_000);
  assert.ok(log.some((line) => line.includes('BootNotification timeout')));
  clock.advance(45_000 - 1);
  assert.equal(actions(), ['BootNotification']);
  clock.advance(1);
  assert.equal(actions(), ['BootNotification', 'BootNotification']);
  assert.is(client.registration, 'unregistered');
});

test('a malformed BootNotification.conf counts as no answer: not registered, retried after bootRetryS', () => {
  const { clock, client, actions, answerLast, configuration } = rig();
  answerLast({ status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: '60' });
  assert.is(client.registration, 'unregistered');
  assert.is(configuration.heartbeatIntervalS, 900);
  clock.advance(45_000);
  assert.equal(actions(), ['BootNotification', 'BootNotification']);
  answerLast({ status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: 60, extra: 1 });
  assert.is(client.registration, 'unregistered');
});

test('Pending with interval 0: the pile picks bootRetryS itself', () => {
  const { clock, client, actions, answerLast } = rig();
  answerLast({ status: 'Pending', currentTime: '2026-01-01T00:00:00Z', interval: 0 });
  assert.is(client.registration, 'Pending');
  clock.advance(44_999);
  assert.equal(actions(), ['BootNotification']);
  clock.advance(1);
  assert.equal(actions(), ['BootNotification', 'BootNotification']);
});

test('one Heartbeat at a time: a central system slower than the interval does not pile them up', () => {
  const { clock, actions, answerLast, rpc } = rig();
  answerLast(accepted(10));
  answerLast({});
  assert.equal(actions(), ['BootNotification', 'StatusNotification']);
  clock.advance(10_000);
  clock.advance(10_000);
  clock.advance(10_000);
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 1, 'still waiting for the first one');
  clock.advance(9_999);
  assert.is(rpc.stats.timeouts, 0);
  clock.advance(1);
  assert.is(rpc.stats.timeouts, 1, 'the first one timed out 30 s after it was sent');
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 2, 'and the next one went at the next tick');
  answerLast({ currentTime: '2026-01-01T00:00:40Z' });
  clock.advance(10_000);
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 3);
});

test('HeartbeatInterval 0 stops heartbeats; an interval over one day is capped', () => {
  const { clock, actions, answerLast, configuration, uplink } = rig();
  answerLast(accepted(0));
  answerLast({});
  clock.advance(7 * 86_400_000);
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 0);
  uplink.deliver('[2,"c1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"86401"}]');
  assert.equal(uplink.last(), [3, 'c1', { status: 'Rejected' }]);
  uplink.deliver('[2,"c2","ChangeConfiguration",{"key":"HeartbeatInterval","value":"120"}]');
  assert.equal(uplink.last(), [3, 'c2', { status: 'Accepted' }]);
  assert.is(configuration.heartbeatIntervalS, 120);
  clock.advance(120_000);
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 1);
});

test('bad arguments from the firmware throw: connector out of range, identity over its schema length', () => {
  const { client } = rig();
  assert.throws(() => client.statusChanged(2, 'Available', 'NoError'), /connectorId/);
  assert.throws(() => client.statusChanged(-1, 'Available', 'NoError'), /connectorId/);
  const rpc = new OcppRpc(new LoopbackUplink(), new VirtualClock(), new SeededRandom(1), () => {}, { url: 'ws://h/p', callTimeoutMs: 1, reconnectMinMs: 1, reconnectMaxMs: 1 });
  const configuration = new Configuration({ heartbeatIntervalS: 60, numberOfConnectors: 1 });
  assert.throws(() => new OcppClient(rpc, new VirtualClock(), configuration, () => {}, {
    chargePoint: { vendor: 'v'.repeat(21), model: 'm' }, connectorCount: 1, bootRetryS: 1,
  }), /"vendor" expected at most 20 characters, got 21/);
});

test('without an identity signer the challenge is answered UnknownMessageId, another vendor UnknownVendorId', () => {
  const { uplink } = rig();
  uplink.deliver(challenge('d1'));
  assert.equal(uplink.last(), [3, 'd1', { status: 'UnknownMessageId' }]);
  uplink.deliver('[2,"d2","DataTransfer",{"vendorId":"org.other","messageId":"IdentityChallenge"}]');
  assert.equal(uplink.last(), [3, 'd2', { status: 'UnknownVendorId' }]);
});

test('with an identity signer: after a reconnect an Accepted pile sends its states only after answering the challenge', () => {
  const signer: UplinkIdentitySigner = { pileId: new Uint8Array(8), kid: new Uint8Array(8), sign: () => new Uint8Array(64) };
  const { uplink, clock, actions, answerLast, client } = rig(signer);
  answerLast(accepted(60));
  assert.is(client.registration, 'Accepted');
  answerLast({});
  assert.equal(actions(), ['BootNotification', 'StatusNotification'], 'states at Accepted, as without identity');

  uplink.drop('network lost');
  clock.advance(1000);
  uplink.accept();
  assert.equal(actions(), ['BootNotification', 'StatusNotification'], 'nothing sent before the proof of the new connection');
  const sentBefore = uplink.sent.length;
  uplink.deliver(challenge('c2'));
  assert.is((uplink.sent.map((text) => JSON.parse(text) as unknown[]).find((f) => f[1] === 'c2')![2] as { status: string }).status, 'Accepted');
  const frames = uplink.sent.slice(sentBefore).map((text) => JSON.parse(text) as unknown[]);
  assert.equal(frames.map((f) => [f[0], f[0] === 2 ? f[2] : f[1]]), [[3, 'c2'], [2, 'StatusNotification']], 'the answer first, then the state');
});

test('ready: Accepted, connected and proven; call sends only then; onReady after Accepted and after each proven reconnect', () => {
  const signer: UplinkIdentitySigner = { pileId: new Uint8Array(8), kid: new Uint8Array(8), sign: () => new Uint8Array(64) };
  const { uplink, clock, actions, answerLast, client } = rig(signer);
  let readies = 0;
  client.onReady(() => readies++);
  const outcomes: boolean[] = [];
  assert.not.ok(client.ready);
  assert.not.ok(client.call('Heartbeat', {}, (outcome) => outcomes.push(outcome.ok)), 'not Accepted yet: nothing sent');
  answerLast(accepted(60));
  assert.equal([client.ready, readies], [true, 1]);
  answerLast({});
  assert.ok(client.call('Heartbeat', {}, (outcome) => outcomes.push(outcome.ok)));
  answerLast({ currentTime: '2026-01-01T00:00:00Z' });
  assert.equal(outcomes, [true]);

  uplink.drop('network lost');
  assert.not.ok(client.ready);
  clock.advance(1000);
  uplink.accept();
  assert.equal([client.ready, readies], [false, 1], 'connected, not proven');
  assert.not.ok(client.call('Heartbeat', {}, () => {}));
  uplink.deliver(challenge('c3'));
  assert.equal([client.ready, readies], [true, 2]);
  uplink.deliver(challenge('c4'));
  assert.is(readies, 2, 'a second challenge on the same connection changes nothing');
  assert.equal(actions().filter((a) => a === 'Heartbeat').length, 1);
});

test.run();

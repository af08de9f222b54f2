// The pile's OCPP 1.6J client (firmware/ocpp) over the host uplink (tools/pile-sim/uplink-socket.ts,
// the `ws` package) against an `ocpp-rpc` RPCServer in strict mode on 127.0.0.1 — a central
// system that is not the relay, validating every message against the official OCPP 1.6 JSON
// schemas `ocpp-rpc` ships. The pile's timers run on a virtual clock the test advances; the
// socket is real, so the test waits (bounded) for frames to cross it.
//
// Covered: BootNotification Accepted / Pending then Accepted / Rejected then Accepted, Heartbeat
// at the interval, StatusNotification per connector, Get/ChangeConfiguration, reconnection, the
// subprotocol refused, and the central system's malformed CALLs, unknown actions, wrong types,
// oversized frames and replies to unknown ids answered with the CALLERROR OCPP-J 1.6 names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { UplinkEvents, UplinkSocket } from '../../../hal/types.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { WsUplinkSocket } from '../../../tools/pile-sim/uplink-socket.ts';
import { Configuration } from '../../../firmware/ocpp/configuration.ts';
import { OcppClient } from '../../../firmware/ocpp/ocpp-client.ts';
import { OcppRpc } from '../../../firmware/ocpp/rpc.ts';
import { FRAME_MAX_CHARS } from '../../../firmware/ocpp/frame.ts';
import { until } from '../../support/until.ts';
import { strictCentralSystem } from '../../support/strict-central-system.ts';

/** Records what crosses the pile's socket, so the test can say what the pile sent and when. */
class RecordingUplink implements UplinkSocket {
  readonly sent: unknown[][] = [];
  readonly received: string[] = [];
  readonly closes: string[] = [];
  opened = 0;
  constructor(readonly inner: UplinkSocket) {}
  open(url: string, events: UplinkEvents): void {
    this.inner.open(url, {
      onOpen: () => {
        this.opened++;
        events.onOpen();
      },
      onMessage: (text) => {
        this.received.push(text);
        events.onMessage(text);
      },
      onClose: (reason) => {
        this.closes.push(reason);
        events.onClose(reason);
      },
    });
  }
  send(text: string): boolean {
    const sent = this.inner.send(text);
    if (sent) this.sent.push(JSON.parse(text) as unknown[]);
    return sent;
  }
  close(): void {
    this.inner.close();
  }
  /** The pile's CALLs of `action`, their payloads. */
  calls(action: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame[0] === 2 && frame[2] === action).map((frame) => frame[3] as Record<string, unknown>);
  }
  /** The pile's answer to the central system's CALL `id`. */
  answerTo(id: string): unknown[] | undefined {
    return this.sent.find((frame) => frame[0] !== 2 && frame[1] === id);
  }
}

/**
 * Waits until the central system has answered every CALL the pile sent, before the test moves the
 * pile's virtual clock past a call timeout (virtual time outruns the real socket otherwise).
 */
async function answered(uplink: RecordingUplink): Promise<void> {
  const ids = uplink.sent.filter((frame) => frame[0] === 2).map((frame) => frame[1] as string);
  await until(() => {
    const replied = new Set(uplink.received.map((text) => /^\[\s*[34]\s*,\s*"([^"]*)"/.exec(text)?.[1]));
    return ids.every((id) => replied.has(id));
  }, 'an answer to every CALL of the pile');
}

type BootAnswer = { status: 'Accepted' | 'Pending' | 'Rejected'; interval: number };

async function centralSystem(bootAnswers: BootAnswer[]) {
  return strictCentralSystem('/ocpp/PILE-1', (_client, answer) => {
    answer('BootNotification', () => ({ ...(bootAnswers.shift() ?? { status: 'Accepted', interval: 60 }), currentTime: new Date().toISOString() }));
    answer('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    answer('StatusNotification', () => ({}));
  });
}

async function pileAgainst(url: string, connectors = true) {
  const clock = new VirtualClock();
  const uplink = new RecordingUplink(new WsUplinkSocket());
  const log: string[] = [];
  const report = (level: string, text: string) => log.push(`${level}: ${text}`);
  const rpc = new OcppRpc(uplink, clock, new SeededRandom(3), report, { url, callTimeoutMs: 30_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000 });
  const configuration = new Configuration({ heartbeatIntervalS: 900, numberOfConnectors: 1 });
  const client = new OcppClient(rpc, clock, configuration, report, {
    chargePoint: { vendor: 'tapcharge', model: 'pile-v1', serialNumber: 'TC-0001', firmwareVersion: '0.1.0', meterSerialNumber: '12345678' },
    connectorCount: 1,
    bootRetryS: 30,
  });
  if (connectors) {
    client.statusChanged(0, 'Available', 'NoError');
    client.statusChanged(1, 'Available', 'NoError');
  }
  client.start();
  return { clock, uplink, rpc, configuration, client, log };
}

test('boot Accepted: statuses of both connectors, heartbeat at the interval, status changes, configuration', async () => {
  const cs = await centralSystem([{ status: 'Accepted', interval: 60 }]);
  const pile = await pileAgainst(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'two StatusNotifications');
    assert.is(pile.client.registration, 'Accepted');
    assert.equal(cs.of('BootNotification'), [{
      chargePointVendor: 'tapcharge', chargePointModel: 'pile-v1', chargePointSerialNumber: 'TC-0001', firmwareVersion: '0.1.0', meterSerialNumber: '12345678',
    }]);
    assert.equal(cs.of('StatusNotification').map((s) => [s.connectorId, s.status, s.errorCode]), [[0, 'Available', 'NoError'], [1, 'Available', 'NoError']]);
    assert.is(pile.configuration.heartbeatIntervalS, 60, 'the interval of BootNotification.conf');

    await answered(pile.uplink);
    pile.clock.advance(59_999);
    assert.is(pile.uplink.calls('Heartbeat').length, 0);
    pile.clock.advance(1);
    assert.is(pile.uplink.calls('Heartbeat').length, 1);
    await answered(pile.uplink);
    pile.clock.advance(60_000);
    assert.is(pile.uplink.calls('Heartbeat').length, 2);
    await until(() => cs.of('Heartbeat').length === 2, 'two Heartbeats');

    pile.client.statusChanged(1, 'Charging', 'NoError');
    pile.client.statusChanged(1, 'Charging', 'NoError');
    pile.client.statusChanged(0, 'Faulted', 'PowerMeterFailure');
    await until(() => cs.of('StatusNotification').length === 4, 'two more StatusNotifications');
    assert.equal(cs.of('StatusNotification').slice(2).map((s) => [s.connectorId, s.status, s.errorCode]), [[1, 'Charging', 'NoError'], [0, 'Faulted', 'PowerMeterFailure']]);

    const server = cs.clients[0]!;
    assert.equal(await server.call('ChangeConfiguration', { key: 'HeartbeatInterval', value: '30' }), { status: 'Accepted' });
    assert.equal(await server.call('ChangeConfiguration', { key: 'NumberOfConnectors', value: '2' }), { status: 'Rejected' });
    assert.equal(await server.call('ChangeConfiguration', { key: 'HeartbeatInterval', value: 'soon' }), { status: 'Rejected' });
    assert.equal(await server.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '10' }), { status: 'Accepted' });
    assert.equal(await server.call('ChangeConfiguration', { key: 'ClockAlignedDataInterval', value: '10' }), { status: 'NotSupported' });
    assert.equal(await server.call('GetConfiguration', { key: ['HeartbeatInterval', 'AuthorizeRemoteTxRequests'] }), {
      configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '30' }], unknownKey: ['AuthorizeRemoteTxRequests'],
    });
    const all = await server.call('GetConfiguration', {}) as { configurationKey: { key: string; readonly: boolean }[] };
    assert.equal(all.configurationKey.map((k) => [k.key, k.readonly]), [
      ['HeartbeatInterval', false], ['MeterValueSampleInterval', false], ['NumberOfConnectors', true], ['SupportedFeatureProfiles', true], ['GetConfigurationMaxKeys', true],
    ]);
    const before = pile.uplink.calls('Heartbeat').length;
    await answered(pile.uplink);
    pile.clock.advance(30_000);
    assert.is(pile.uplink.calls('Heartbeat').length, before + 1, 'the changed interval takes effect');
    await until(() => cs.of('Heartbeat').length === before + 1, 'the heartbeat at the new interval');
    await answered(pile.uplink);
    assert.equal(pile.log.filter((line) => /Heartbeat|StatusNotification/.test(line)), [], 'every answer of the central system was taken');
    assert.equal(cs.validationFailures, [], 'every message the pile sent passed the strict schemas');
  } finally {
    pile.client.stop();
    await cs.close();
  }
});

test('boot Pending: only BootNotification is sent, the central system\'s calls are answered, the retry waits the interval', async () => {
  const cs = await centralSystem([{ status: 'Pending', interval: 10 }, { status: 'Accepted', interval: 300 }]);
  const pile = await pileAgainst(cs.url);
  try {
    await until(() => pile.client.registration === 'Pending', 'Pending');
    assert.equal(await cs.clients[0]!.call('GetConfiguration', { key: ['NumberOfConnectors'] }), {
      configurationKey: [{ key: 'NumberOfConnectors', readonly: true, value: '1' }], unknownKey: [],
    });
    pile.client.statusChanged(1, 'Preparing', 'NoError');
    pile.clock.advance(9_999);
    assert.equal(pile.uplink.sent.filter((f) => f[0] === 2).map((f) => f[2]), ['BootNotification'], 'nothing but BootNotification while Pending');
    pile.clock.advance(1);
    await until(() => pile.client.registration === 'Accepted', 'Accepted on the second BootNotification');
    await until(() => cs.of('StatusNotification').length === 2, 'statuses after Accepted');
    assert.equal(cs.of('StatusNotification').map((s) => [s.connectorId, s.status]), [[0, 'Available'], [1, 'Preparing']], 'the current state, not the history');
    assert.is(pile.configuration.heartbeatIntervalS, 300);
    assert.equal(cs.validationFailures, []);
  } finally {
    pile.client.stop();
    await cs.close();
  }
});

test('boot Rejected: the pile answers nothing and sends nothing until the interval has passed', async () => {
  const cs = await centralSystem([{ status: 'Rejected', interval: 20 }, { status: 'Accepted', interval: 60 }]);
  const pile = await pileAgainst(cs.url);
  try {
    await until(() => pile.client.registration === 'Rejected', 'Rejected');
    const sentBefore = pile.uplink.sent.length;
    cs.clients[0]!.sendRaw('[2,"while-rejected","GetConfiguration",{}]');
    await until(() => pile.uplink.received.some((text) => text.includes('while-rejected')), 'the call reaching the pile');
    pile.clock.advance(19_999);
    assert.is(pile.uplink.sent.length, sentBefore, 'no answer, no request while Rejected');
    assert.is(pile.rpc.stats.droppedFrames, 1);
    pile.clock.advance(1);
    await until(() => pile.client.registration === 'Accepted', 'Accepted after the interval');
    assert.is(cs.of('BootNotification').length, 2);
    assert.equal(cs.validationFailures, []);
  } finally {
    pile.client.stop();
    await cs.close();
  }
});

test('the central system\'s bad frames get the CALLERROR OCPP-J 1.6 names and change nothing', async () => {
  const cs = await centralSystem([{ status: 'Accepted', interval: 60 }]);
  const pile = await pileAgainst(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'boot done');
    const server = cs.clients[0]!;
    const oversized = `[2,"m10","ChangeConfiguration",{"key":"HeartbeatInterval","value":"${'9'.repeat(FRAME_MAX_CHARS)}"}]`;
    const cases: [string, string][] = [
      ['[2,"m1","GetConfiguration",{"key":"HeartbeatInterval"}]', 'TypeConstraintViolation'],
      ['[2,"m2","ChangeConfiguration",{"key":"HeartbeatInterval"}]', 'OccurenceConstraintViolation'],
      ['[2,"m3","ChangeConfiguration",{"key":"HeartbeatInterval","value":"5","force":true}]', 'FormationViolation'],
      [`[2,"m4","ChangeConfiguration",{"key":"${'K'.repeat(51)}","value":"5"}]`, 'PropertyConstraintViolation'],
      ['[2,"m5","ChangeConfiguration",{"key":"HeartbeatInterval","value":5}]', 'TypeConstraintViolation'],
      ['[2,"m6","Teleport",{}]', 'NotImplemented'],
      ['[2,"m7","Reset",{"type":"Soft"}]', 'NotSupported'],
      ['[2,"m8","GetConfiguration"]', 'FormationViolation'],
      ['[2,"m9","ChangeConfiguration",{"key":"HeartbeatInterval","value":"5"', 'FormationViolation'],
      [oversized, 'FormationViolation'],
      ['[2,"m11","GetConfiguration",{"key":[[[[[[["HeartbeatInterval"]]]]]]]}]', 'FormationViolation'],
    ];
    for (const [frame, code] of cases) {
      const id = frame.slice(4, frame.indexOf('"', 4));
      server.sendRaw(frame);
      await until(() => pile.uplink.answerTo(id) !== undefined, `the answer to ${id}`);
      const answer = pile.uplink.answerTo(id)!;
      assert.equal([answer[0], answer[2]], [4, code], `${id}: ${String(answer[3])}`);
      assert.equal(answer[4], {});
    }
    server.sendRaw('[3,"never-asked",{}]');
    server.sendRaw('[4,"never-asked-either","GenericError","",{}]');
    server.sendRaw('[7,"x",{}]');
    await until(() => pile.rpc.stats.unknownReplies === 2 && pile.rpc.stats.droppedFrames === 1, 'the replies to unknown ids counted');
    assert.is(pile.uplink.sent.filter((f) => f[0] === 4).length, cases.length, 'replies to unknown ids and unknown types get no answer');

    assert.is(pile.configuration.heartbeatIntervalS, 60, 'no bad ChangeConfiguration changed the interval');
    assert.is(pile.client.registration, 'Accepted');
    assert.ok(pile.rpc.connected);
    assert.is(pile.uplink.opened, 1, 'the connection stayed up');
    await answered(pile.uplink);
    pile.clock.advance(60_000);
    await until(() => cs.of('Heartbeat').length === 1, 'the heartbeat still at its interval');
    assert.equal(cs.validationFailures, []);
  } finally {
    pile.client.stop();
    await cs.close();
  }
});

test('a dropped connection: the pile reconnects after the back-off and sends its statuses again, not a new boot', async () => {
  const cs = await centralSystem([{ status: 'Accepted', interval: 60 }]);
  const pile = await pileAgainst(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'boot done');
    await answered(pile.uplink);
    await cs.clients[0]!.close({ code: 1001, reason: 'maintenance' });
    await until(() => !pile.rpc.connected, 'the pile seeing the close');
    assert.match(pile.uplink.closes[0]!, /1001 maintenance/);
    pile.client.statusChanged(1, 'Preparing', 'NoError');
    pile.clock.advance(60_000);
    assert.is(pile.uplink.calls('Heartbeat').length, 0, 'no heartbeat while disconnected');
    await until(() => pile.uplink.opened === 2, 'the reconnection');
    await until(() => cs.of('StatusNotification').length === 4, 'statuses again');
    assert.equal(cs.of('StatusNotification').slice(2).map((s) => [s.connectorId, s.status]), [[0, 'Available'], [1, 'Preparing']]);
    assert.is(cs.of('BootNotification').length, 1);
    assert.is(cs.clients.length, 2);
    await answered(pile.uplink);
    pile.clock.advance(60_000);
    await until(() => cs.of('Heartbeat').length === 1, 'heartbeats on the new connection');
    assert.equal(cs.validationFailures, []);
  } finally {
    pile.client.stop();
    await cs.close();
  }
});

test('the uplink offers exactly ocpp1.6 and refuses a server that selects no subprotocol or another', async () => {
  const offered: (string | undefined)[] = [];
  for (const selected of [false, 'ocpp2.0.1'] as const) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => selected });
    wss.on('headers', (_headers, request) => offered.push(request.headers['sec-websocket-protocol']));
    await new Promise((resolve) => wss.once('listening', resolve));
    const socket = new WsUplinkSocket();
    const events: string[] = [];
    socket.open(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ocpp/PILE-1`, {
      onOpen: () => events.push('open'),
      onMessage: () => events.push('message'),
      onClose: (reason) => events.push(`close: ${reason}`),
    });
    await until(() => events.length > 0, 'the refusal');
    assert.is(events.length, 1);
    assert.match(events[0]!, selected === false ? /close: Server sent no subprotocol/ : /close: Server sent an invalid subprotocol/);
    assert.not.ok(socket.send('[2,"a","Heartbeat",{}]'), 'nothing is sent on a refused connection');
    socket.open(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ocpp/PILE-1`, { onOpen() {}, onMessage() {}, onClose() {} });
    socket.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  assert.equal(offered.slice(0, 2), ['ocpp1.6', 'ocpp1.6']);
});

test.run();

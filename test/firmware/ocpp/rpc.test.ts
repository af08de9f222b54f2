// The OCPP-J RPC layer (firmware/ocpp/rpc.ts) over a loopback uplink on a virtual clock: one
// outstanding CALL, timeouts, replies to unknown uniqueIds, the answers to the central system's
// CALLs (handlers, NotImplemented / NotSupported, codec refusals, silence while not answering),
// and losing and regaining the connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { fail, ok } from '../../../contracts-offline/result.ts';
import { type CallOutcome, OcppRpc } from '../../../firmware/ocpp/rpc.ts';
import { LoopbackUplink } from './loopback-uplink.ts';

const callTimeoutMs = 30_000;

function rig() {
  const clock = new VirtualClock();
  const uplink = new LoopbackUplink();
  const events: string[] = [];
  const rpc = new OcppRpc(uplink, clock, new SeededRandom(7), (level, text) => events.push(`${level}: ${text}`), {
    url: 'ws://127.0.0.1:9/ocpp/PILE-1', callTimeoutMs, reconnectMinMs: 1000, reconnectMaxMs: 8000,
  });
  const connection: string[] = [];
  rpc.start({ onConnected: () => connection.push('up'), onDisconnected: () => connection.push('down') });
  uplink.accept();
  const outcomes: [string, CallOutcome][] = [];
  const call = (action: string) => rpc.call(action, { n: action }, (outcome) => outcomes.push([action, outcome]));
  return { clock, uplink, rpc, events, connection, outcomes, call };
}

test('one outstanding CALL at a time: the next goes when the previous is answered', () => {
  const { uplink, outcomes, call } = rig();
  assert.ok(call('A'));
  assert.ok(call('B'));
  assert.ok(call('C'));
  assert.is(uplink.sent.length, 1);
  const [type, idA, action, payload] = uplink.last();
  assert.equal([type, action, payload], [2, 'A', { n: 'A' }]);
  uplink.deliver(JSON.stringify([3, idA, { ok: 1 }]));
  assert.equal(outcomes, [['A', ok({ ok: 1 })]]);
  assert.is(uplink.sent.length, 2);
  const [, idB, actionB] = uplink.last();
  assert.is(actionB, 'B');
  assert.is.not(idB, idA);
  uplink.deliver(JSON.stringify([4, idB, 'GenericError', 'busy', {}]));
  assert.equal(outcomes[1], ['B', fail('call-error', 'GenericError: busy')]);
  assert.is(uplink.last()[2], 'C');
});

test('a CALL without an answer times out on the clock, is reported, and its late answer is ignored and counted', () => {
  const { clock, uplink, rpc, events, outcomes, call } = rig();
  call('A');
  call('B');
  const idA = uplink.last()[1];
  clock.advance(callTimeoutMs - 1);
  assert.equal(outcomes, []);
  clock.advance(1);
  assert.is(outcomes.length, 1);
  assert.is(outcomes[0]![1].ok ? '' : outcomes[0]![1].code, 'timeout');
  assert.is(rpc.stats.timeouts, 1);
  assert.ok(events.some((e) => e.startsWith('warning: A ') && e.includes('unanswered')));
  assert.is(uplink.last()[2], 'B');
  uplink.deliver(JSON.stringify([3, idA, {}]));
  assert.is(rpc.stats.unknownReplies, 1);
  assert.is(outcomes.length, 1, 'B is still waiting for its own answer');
  uplink.deliver(JSON.stringify([3, uplink.last()[1], {}]));
  assert.equal(outcomes[1], ['B', ok({})]);
});

test('CALLRESULT and CALLERROR for unknown uniqueIds are ignored and counted; the outstanding CALL still completes', () => {
  const { uplink, rpc, outcomes, call } = rig();
  uplink.deliver('[3,"nobody",{}]');
  call('A');
  uplink.deliver('[3,"nobody-else",{"status":"Accepted"}]');
  uplink.deliver('[4,"nobody","InternalError","x",{}]');
  assert.is(rpc.stats.unknownReplies, 3);
  assert.equal(outcomes, []);
  assert.is(uplink.sent.length, 1, 'replies are never answered');
  uplink.deliver(JSON.stringify([3, uplink.last()[1], {}]));
  assert.equal(outcomes, [['A', ok({})]]);
});

test('the central system\'s CALLs: handler answers, unknown and unsupported actions, codec refusals, throwing handlers', () => {
  const { uplink, rpc, events, outcomes, call } = rig();
  rpc.handle('GetConfiguration', (payload) => (Object.keys(payload).length ? fail('FormationViolation', 'no fields here') : ok({ configurationKey: [] })));
  rpc.handle('ClearCache', () => {
    throw new Error('flash busy');
  });
  call('A');
  const idA = uplink.last()[1];
  const answers: [string, unknown[]][] = [
    ['[2,"c1","GetConfiguration",{}]', [3, 'c1', { configurationKey: [] }]],
    ['[2,"c2","GetConfiguration",{"x":1}]', [4, 'c2', 'FormationViolation', 'no fields here', {}]],
    ['[2,"c3","Reset",{"type":"Hard"}]', [4, 'c3', 'NotSupported', 'Reset is not supported', {}]],
    ['[2,"c4","MakeCoffee",{}]', [4, 'c4', 'NotImplemented', 'MakeCoffee is not supported', {}]],
    ['[2,"c5","ClearCache",{}]', [4, 'c5', 'InternalError', 'ClearCache failed', {}]],
    ['[2,"c6","GetConfiguration",[]]', [4, 'c6', 'FormationViolation', 'CALL payload is not an object', {}]],
    ['[2,"c7","GetConfiguration",{}', [4, 'c7', 'FormationViolation', 'frame is not JSON', {}]],
  ];
  for (const [frame, answer] of answers) {
    uplink.deliver(frame);
    assert.equal(uplink.last(), answer, frame);
  }
  assert.ok(events.some((e) => e === 'fault: ClearCache handler: flash busy'));
  const sentBefore = uplink.sent.length;
  for (const frame of ['[9,"c8","A",{}]', '{}', '[2,12,"GetConfiguration",{}]', '']) uplink.deliver(frame);
  assert.is(uplink.sent.length, sentBefore, 'unanswerable frames get no answer');
  assert.is(rpc.stats.droppedFrames, 4);
  assert.equal(outcomes, [], 'the pile\'s own CALL is untouched by the central system\'s');
  uplink.deliver(JSON.stringify([3, idA, {}]));
  assert.equal(outcomes, [['A', ok({})]]);
});

test('while not answering, the central system\'s CALLs get no answer at all', () => {
  const { uplink, rpc } = rig();
  rpc.handle('GetConfiguration', () => ok({}));
  rpc.setAnswering(false);
  uplink.deliver('[2,"c1","GetConfiguration",{}]');
  uplink.deliver('[2,"c2","Reset",{}]');
  uplink.deliver('[2,"c3","GetConfiguration",[]]');
  assert.is(uplink.sent.length, 0);
  assert.is(rpc.stats.droppedFrames, 3);
  rpc.setAnswering(true);
  uplink.deliver('[2,"c4","GetConfiguration",{}]');
  assert.equal(uplink.last(), [3, 'c4', {}]);
});

test('a lost connection completes waiting CALLs as disconnected, refuses new ones, and reconnects with back-off', () => {
  const { clock, uplink, rpc, connection, outcomes, call } = rig();
  call('A');
  call('B');
  const idA = uplink.last()[1];
  uplink.drop('network down');
  assert.equal(outcomes.map(([action, outcome]) => [action, outcome.ok ? '' : outcome.code]), [['A', 'disconnected'], ['B', 'disconnected']]);
  assert.equal(connection, ['up', 'down']);
  assert.not.ok(rpc.connected);
  assert.not.ok(call('C'), 'no CALL is queued while disconnected');
  assert.is(clock.pendingTimers, 1, 'only the reconnect timer: the timeout of A is gone');
  // Attempts at 1 s, then 2 s, then 4 s after each failure.
  const attemptsAt: number[] = [];
  for (let second = 1; second <= 8; second++) {
    clock.advance(1000);
    if (uplink.state === 'opening') {
      attemptsAt.push(second);
      uplink.drop('connection refused');
    }
  }
  assert.equal(attemptsAt, [1, 3, 7]);
  assert.equal(connection, ['up', 'down'], 'failed attempts are not disconnections');
  clock.advance(8000);
  uplink.accept();
  assert.equal(connection, ['up', 'down', 'up']);
  assert.ok(call('D'));
  const idD = uplink.last()[1];
  assert.is.not(idD, idA);
  uplink.deliver(JSON.stringify([3, idA, {}]));
  assert.is(rpc.stats.unknownReplies, 1, 'an answer from before the reconnect answers nothing');
  uplink.deliver(JSON.stringify([3, idD, {}]));
  assert.equal(outcomes[2], ['D', ok({})]);
  uplink.drop('again');
  clock.advance(1000);
  assert.is(uplink.state, 'opening', 'a successful connection resets the back-off');
});

test('stop closes the connection, forgets every CALL and never reconnects', () => {
  const { clock, uplink, rpc, outcomes, call } = rig();
  call('A');
  rpc.stop();
  assert.is(uplink.state, 'closed');
  assert.is(clock.pendingTimers, 0);
  clock.advance(60_000);
  assert.equal(uplink.opens.length, 1);
  assert.equal(outcomes, []);
});

test('uniqueIds are unique, at most 36 characters, and differ between piles', () => {
  const { uplink, call } = rig();
  const ids = new Set<unknown>();
  for (let i = 0; i < 50; i++) {
    call('A');
    const id = uplink.last()[1] as string;
    assert.ok(id.length <= 36);
    ids.add(id);
    uplink.deliver(JSON.stringify([3, id, {}]));
  }
  assert.is(ids.size, 50);
  const otherUplink = new LoopbackUplink();
  const other = new OcppRpc(otherUplink, new VirtualClock(), new SeededRandom(8), () => {}, {
    url: 'ws://127.0.0.1:9/x', callTimeoutMs, reconnectMinMs: 1, reconnectMaxMs: 1,
  });
  other.start({ onConnected() {}, onDisconnected() {} });
  otherUplink.accept();
  other.call('A', {}, () => {});
  assert.not.ok(ids.has(otherUplink.last()[1]), 'another random prefix');
});

test('a URL that is not ws:// or wss:// is refused at construction', () => {
  for (const url of ['http://relay/ocpp/P1', 'ws://', 'ws://host name/x', 'relay:9000']) {
    assert.throws(() => new OcppRpc(new LoopbackUplink(), new VirtualClock(), new SeededRandom(1), () => {}, {
      url, callTimeoutMs, reconnectMinMs: 1, reconnectMaxMs: 1,
    }), /ws:\/\/ or wss:\/\//, url);
  }
});

test.run();

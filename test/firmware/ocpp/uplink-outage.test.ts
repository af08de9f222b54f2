// The simulated uplink outage (hal/sim/uplink-outage.ts) over the loopback uplink, the test playing
// both the pile (the events it hears, the frames it sends) and the central system (the loopback's
// far end): cut and restore, and the planned cut at the k-th frame of a kind in each phase. Here,
// beside the loopback uplink of the OCPP tests, rather than under test/hal/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { UplinkEvents } from '../../../hal/types.ts';
import { UplinkOutage } from '../../../hal/sim/uplink-outage.ts';
import { LoopbackUplink } from './loopback-uplink.ts';

const URL = 'ws://central/ocpp/0011223344556677';
const call = (id: string, action: string, payload: object = {}) => JSON.stringify([2, id, action, payload]);
const billingRecord = (id: string) => call(id, 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: 'AA' });
const result = (id: string) => JSON.stringify([3, id, {}]);

/** What the pile heard, in order; `onMessage` may run `reply` (the pile's handler sending at once). */
function pileEnd(reply?: (text: string) => void): { events: UplinkEvents; heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    events: {
      onOpen: () => heard.push('open'),
      onMessage: (text) => {
        heard.push(`message ${text}`);
        reply?.(text);
      },
      onClose: (reason) => heard.push(`close ${reason}`),
    },
  };
}

function connected(reply?: (text: string) => void) {
  const link = new LoopbackUplink();
  const outage = new UplinkOutage(link);
  const pile = pileEnd(reply);
  outage.open(URL, pile.events);
  link.accept();
  return { link, outage, pile };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

test('while up, everything passes both ways', () => {
  const { link, outage, pile } = connected();
  assert.ok(outage.send(call('a-1', 'Heartbeat')));
  link.deliver(result('a-1'));
  assert.equal(link.sent, [call('a-1', 'Heartbeat')]);
  assert.equal(pile.heard, ['open', `message ${result('a-1')}`]);
  assert.equal([outage.up, outage.cuts, outage.armed], [true, 0, false]);
});

test('cut(): the connection ends at once, nothing more goes, opens fail (later, never inside open) until restore()', async () => {
  const { link, outage, pile } = connected();
  outage.cut();
  assert.equal(pile.heard, ['open', 'close link lost (simulated outage)']);
  assert.is(link.state, 'closed');
  assert.not.ok(outage.send(call('a-1', 'Heartbeat')), 'no connection: nothing sent');
  assert.equal(link.sent, []);

  const retry = pileEnd();
  outage.open(URL, retry.events);
  assert.equal(retry.heard, [], 'not from inside open()');
  assert.throws(() => outage.open(URL, pileEnd().events), /already open or opening/);
  await tick();
  assert.equal(retry.heard, ['close no route to the central system (simulated outage)']);
  assert.equal(link.opens, [URL], 'the attempt never reached the link');
  assert.equal([outage.up, outage.cuts], [false, 1]);

  outage.restore();
  const again = pileEnd();
  outage.open(URL, again.events);
  link.accept();
  assert.equal(again.heard, ['open']);
  assert.equal(link.opens, [URL, URL]);
  assert.ok(outage.up);
});

test('before-send at the 2nd BillingRecord: earlier ones and other kinds pass; that frame is lost, onClose comes after send returns', async () => {
  const { link, outage, pile } = connected();
  outage.send(billingRecord('a-0')); // sent before the plan: not counted
  outage.cutAt({ kind: 'BillingRecord', nth: 2, phase: 'before-send' });
  assert.ok(outage.send(billingRecord('a-1')));
  assert.ok(outage.send(call('a-2', 'Heartbeat')));
  assert.ok(outage.send(call('a-3', 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'Other' })));
  assert.ok(outage.armed);
  assert.ok(outage.send(billingRecord('a-4')), 'handed over, as a dead TCP link takes a write');
  assert.equal(pile.heard, ['open'], 'not from inside send()');
  assert.ok(outage.send(call('a-5', 'Heartbeat')), 'the pile has not heard yet: its writes still go nowhere');
  assert.equal(link.sent.map((t) => JSON.parse(t)[1]), ['a-0', 'a-1', 'a-2', 'a-3']);
  assert.is(link.state, 'closed');
  await tick();
  assert.equal(pile.heard, ['open', 'close link lost (simulated outage: BillingRecord #2 before-send, the frame lost)']);
  assert.equal([outage.up, outage.cuts, outage.armed], [false, 1, false]);
});

test('after-send: the frame reaches the central system, its reply never reaches the pile; the central system\'s own CALLs and other replies still do', () => {
  const { link, outage, pile } = connected();
  outage.cutAt({ kind: 'StartTransaction', nth: 1, phase: 'after-send' });
  assert.ok(outage.send(call('a-1', 'StartTransaction', { connectorId: 1 })));
  assert.equal(link.sent, [call('a-1', 'StartTransaction', { connectorId: 1 })]);
  assert.ok(outage.up, 'up until the reply comes');
  link.deliver(call('r-1', 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'ChannelSelect' }));
  link.deliver(result('a-0'));
  link.deliver(JSON.stringify([3, 'a-1', { transactionId: 7, idTagInfo: { status: 'Accepted' } }]));
  assert.equal(pile.heard.slice(1, 3), [`message ${call('r-1', 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'ChannelSelect' })}`, `message ${result('a-0')}`]);
  assert.equal(pile.heard.slice(3), ['close link lost (simulated outage: StartTransaction #1 after-send)']);
  assert.is(link.state, 'closed');
  assert.equal([outage.up, outage.cuts], [false, 1]);
});

test('after-send: a CALLERROR answer cuts as a CALLRESULT does', () => {
  const { link, outage, pile } = connected();
  outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'after-send' });
  outage.send(call('a-1', 'Heartbeat'));
  link.deliver(JSON.stringify([4, 'a-1', 'SecurityError', 'not proven', {}]));
  assert.equal(pile.heard, ['open', 'close link lost (simulated outage: Heartbeat #1 after-send)']);
});

test('after-reply: the pile gets the reply; what it sends while handling it is lost; then onClose', () => {
  const { link, outage, pile } = connected((text) => {
    if (JSON.parse(text)[1] === 'a-1') outage.send(call('a-2', 'StartTransaction'));
  });
  outage.cutAt({ kind: 'BillingRecord', nth: 1, phase: 'after-reply' });
  outage.send(billingRecord('a-1'));
  link.deliver(result('a-1'));
  assert.equal(pile.heard, ['open', `message ${result('a-1')}`, 'close link lost (simulated outage: BillingRecord #1 after-reply)']);
  assert.equal(link.sent, [billingRecord('a-1')], 'StartTransaction never left');
  assert.equal([outage.up, outage.cuts], [false, 1]);
});

test('a connection the far end closes ends as it would without the outage; a planned after-send cut then waits for no reply', () => {
  const { link, outage, pile } = connected();
  outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'after-send' });
  outage.send(call('a-1', 'Heartbeat'));
  link.drop('closed by the server (1000)');
  assert.equal(pile.heard, ['open', 'close closed by the server (1000)']);
  assert.equal([outage.up, outage.cuts], [true, 0]);
});

test('the pile closing first hears nothing more, not even a pending onClose', async () => {
  const { outage, pile } = connected();
  outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'before-send' });
  outage.send(call('a-1', 'Heartbeat'));
  outage.close();
  await tick();
  assert.equal(pile.heard, ['open']);
  const link = new LoopbackUplink();
  const fresh = new UplinkOutage(link);
  fresh.cut();
  const opening = pileEnd();
  fresh.open(URL, opening.events);
  fresh.close();
  await tick();
  assert.equal(opening.heard, []);
});

test('frames that are not CALLs, or not JSON, pass and are not counted', () => {
  const { link, outage } = connected();
  outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'before-send' });
  for (const text of ['not json', '[3,"r-1",{}]', '[2]', '{"x":1}', '[2,"id",5,{}]']) assert.ok(outage.send(text));
  assert.is(link.sent.length, 5);
  assert.ok(outage.armed);
});

test('a plan that cannot be met is refused', () => {
  const outage = new UplinkOutage(new LoopbackUplink());
  assert.throws(() => outage.cutAt({ kind: '', nth: 1, phase: 'before-send' }), /"kind" expected/);
  assert.throws(() => outage.cutAt({ kind: 'Heartbeat', nth: 0, phase: 'before-send' }), /"nth" expected an integer ≥ 1, got 0/);
  assert.throws(() => outage.cutAt({ kind: 'Heartbeat', nth: 1.5, phase: 'before-send' }), /"nth" expected/);
  assert.throws(() => outage.cutAt({ kind: 'Heartbeat', nth: 1, phase: 'during' as 'before-send' }), /"phase" expected before-send, after-send, after-reply, got during/);
  assert.not.ok(outage.armed);
});

test.run();

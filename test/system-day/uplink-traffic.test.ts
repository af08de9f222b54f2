// What the simulated system waits on before moving a networked pile's virtual clock
// (tools/system-day/uplink-traffic.ts): quiet only with no connection, or an open one the relay
// has challenged and where every CALL either way is answered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';
import { UplinkTraffic } from '../../tools/system-day/uplink-traffic.ts';

/** The relay's end, driven by the test. */
class FarEnd implements UplinkSocket {
  events: UplinkEvents | undefined;
  isOpen = false;
  open(_url: string, events: UplinkEvents): void {
    this.events = events;
  }
  send(): boolean {
    return this.isOpen;
  }
  close(): void {
    this.events = undefined;
    this.isOpen = false;
  }
  accept(): void {
    this.isOpen = true;
    this.events!.onOpen();
  }
}

const pile: UplinkEvents = { onOpen: () => {}, onMessage: () => {}, onClose: () => {} };

test('opening, open but not challenged, a CALL either way unanswered: not quiet; answered: quiet', () => {
  const far = new FarEnd();
  const traffic = new UplinkTraffic(far);
  assert.ok(traffic.quiet, 'no connection');
  traffic.open('ws://relay/ocpp/00', pile);
  assert.not.ok(traffic.quiet);
  assert.match(traffic.describe(), /^opening/);
  far.accept();
  assert.not.ok(traffic.quiet);
  assert.match(traffic.describe(), /^open, not challenged yet/);
  far.events!.onMessage(JSON.stringify([2, 'r-1', 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'IdentityChallenge', data: '00' }]));
  assert.not.ok(traffic.quiet, 'the challenge unanswered');
  traffic.send(JSON.stringify([3, 'r-1', { status: 'Accepted', data: 'x' }]));
  assert.ok(traffic.quiet);
  traffic.send(JSON.stringify([2, 'p-1', 'DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: 'x' }]));
  traffic.send(JSON.stringify([2, 'p-2', 'Heartbeat', {}]));
  assert.not.ok(traffic.quiet);
  assert.match(traffic.describe(), /pile CALLs unanswered \[p-1, p-2\]/);
  far.events!.onMessage(JSON.stringify([3, 'p-1', { status: 'Accepted' }]));
  far.events!.onMessage(JSON.stringify([4, 'p-2', 'InternalError', '', {}]));
  assert.ok(traffic.quiet);
  assert.equal(traffic.calls, ['BillingRecord', 'Heartbeat']);
});

test('a frame the link did not take is not in flight; a closed connection forgets what was', () => {
  const far = new FarEnd();
  const traffic = new UplinkTraffic(far);
  traffic.open('ws://relay/ocpp/00', pile);
  assert.not.ok(traffic.send(JSON.stringify([2, 'p-1', 'Heartbeat', {}])));
  assert.equal(traffic.calls, []);
  far.accept();
  far.events!.onMessage(JSON.stringify([2, 'r-1', 'DataTransfer', {}]));
  traffic.send(JSON.stringify([2, 'p-2', 'Heartbeat', {}]));
  far.events!.onClose('gone');
  assert.ok(traffic.quiet);
});

test.run();

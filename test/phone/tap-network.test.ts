// What a tap waits on the network while the phone is held to the pile (tools/phone/field-relay.ts):
// START, STOP and collect send the relay nothing; tap 1 sends every request it needs at once (one
// round trip) and, against a relay that does not answer, goes on offline after the field timeout
// with nothing in the wallet changed by answers that come late. Real firmware on simulated piles,
// the real relay; the relay's HTTP traffic counted by an injected fetch.
import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Phone, type RelayInField } from '../../tools/phone/phone.ts';
import type { IsoDepTransport } from '../../tools/phone/pile-reader.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { newWalletState } from '../../tools/phone/wallet-state.ts';
import { SimSystem, type SimPile } from '../../tools/system-day/sim-system.ts';

const FIELD_TIMEOUT_MS = 200;

const net = suite<{ rig: SimSystem }>('phone: the network during a tap', { rig: new SimSystem() });

net.before(async ({ rig }) => {
  await rig.start();
});

net.after(async ({ rig }) => {
  await rig.close();
});

/** Counts the relay requests sent while a pile's field is held, and those sent after one of them was answered. */
class FieldTraffic {
  inField = false;
  sent = 0;
  answered = 0;
  sentAfterAnAnswer = 0;
  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const counted = this.inField;
    if (counted) {
      this.sent++;
      if (this.answered > 0) this.sentAfterAnAnswer++;
    }
    const response = await globalThis.fetch(input, init);
    if (counted) this.answered++;
    return response;
  };

  async tap<T>(rig: SimSystem, pile: SimPile, flow: (transport: IsoDepTransport) => Promise<T>): Promise<T> {
    Object.assign(this, { inField: true, sent: 0, answered: 0, sentAfterAnAnswer: 0 });
    try {
      return await rig.tap(pile, flow);
    } finally {
      this.inField = false;
    }
  }
}

const roundTrip = (r: RelayInField) => [r.roundTrips, r.answered, r.timedOut];

net('START, STOP and collect send the relay nothing; tap 1 sends all it needs at once, one round trip', async ({ rig }) => {
  const pile = await rig.addPile('Quiet bay');
  const traffic = new FieldTraffic();
  const ada = Phone.create({ displayName: 'Ada', relay: new RelayClient({ baseUrl: rig.relay.url, nowMs: () => rig.clock.nowMs(), fetch: traffic.fetch }), nowMs: () => rig.clock.nowMs() });
  await ada.register();
  await rig.operatorClient.issue(rig.relay.operatorKey, ada.keyPair.kid, 5_000);
  await rig.relay.drainLedger();

  const hello = await traffic.tap(rig, pile, (t) => ada.tapHello(t));
  assert.equal(roundTrip(hello.relayInField), [1, true, false]);
  assert.equal([traffic.sent, traffic.sentAfterAnAnswer], [2, 0], 'the pile key and the update offer, sent together');
  assert.ok(hello.screen.verified);
  rig.plug(pile);
  await ada.requestVoucher({ mode: 'time', durationS: 3600 });
  const started = await traffic.tap(rig, pile, (t) => ada.tapStart(t));
  assert.equal([roundTrip(started.relayInField), traffic.sent], [[0, false, false], 0]);
  await ada.sync();
  rig.advance(5 * 60_000);
  const stopped = await traffic.tap(rig, pile, (t) => ada.tapStop(t));
  assert.equal([roundTrip(stopped.relayInField), stopped.relayInField.waitedMs, traffic.sent], [[0, false, false], 0, 0]);
  assert.ok(stopped.carried.ackDelivered, 'the Ack the sync after tap 2 brought');
  const collected = await traffic.tap(rig, pile, (t) => ada.tapCollect(t));
  assert.equal([roundTrip(collected.relayInField), traffic.sent], [[0, false, false], 0]);
  assert.is(collected.pileStillHolds, 1, 'the receipt waits for the Ack of the sync after the stop');

  // a new phone that pins no relay key yet, at a pile whose outbox is not empty: four requests, still one round trip
  const bob = Phone.create({ displayName: 'Bob', relay: new RelayClient({ baseUrl: rig.relay.url, fetch: traffic.fetch }), nowMs: () => rig.clock.nowMs() });
  const bobHello = await traffic.tap(rig, pile, (t) => bob.tapHello(t));
  assert.equal([traffic.sent, traffic.sentAfterAnAnswer], [4, 0], 'relay key, pile key, update offer and the pile\'s Ack, sent together');
  assert.equal(roundTrip(bobHello.relayInField), [1, true, false]);
  assert.ok(bobHello.carried.ackDelivered, 'the pile\'s Ack fetched in the round trip went to the pile in the same tap');
  assert.ok(bobHello.screen.verified);
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Waits (bounded) until `done()` holds. */
async function until(done: () => boolean, boundMs: number): Promise<boolean> {
  for (const startedMs = Date.now(); !done(); ) {
    if (Date.now() - startedMs > boundMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

net('tap 1 against a relay that never answers: offline after the field timeout, its requests abandoned', async ({ rig }) => {
  const pile = await rig.addPile('Stalled bay');
  const held: { res: ServerResponse; closed: boolean }[] = [];
  const stalled = createServer((_req, res) => {
    const request = { res, closed: false };
    held.push(request);
    res.on('close', () => { request.closed = true; });
  });
  const url = await listen(stalled);
  try {
    const cy = Phone.create({ displayName: 'Cy', relay: new RelayClient({ baseUrl: url }), fieldRelayTimeoutMs: FIELD_TIMEOUT_MS });
    const hello = await rig.tap(pile, (t) => cy.tapHello(t));
    assert.equal(roundTrip(hello.relayInField), [1, false, true]);
    assert.is(hello.screen.verified, false, 'never seen online: the pile key is unknown');
    assert.is(hello.air.apdus, 2, 'SELECT and HELLO: the tap went on');
    assert.is(held.length, 3, 'relay key, pile key and update offer were asked');
    assert.ok(await until(() => held.every((r) => r.closed), 2000), 'the phone abandoned every request');
    assert.is(cy.state.relayPublicKey, null);
  } finally {
    stalled.closeAllConnections();
    await new Promise((resolve) => stalled.close(resolve));
  }
});

net('answers that come after the field timeout change nothing in the wallet; the next tap writes the update', async ({ rig }) => {
  const pile = await rig.addPile('Late bay');
  await rig.operatorClient.configurePile(rig.relay.operatorKey, pile.pileId, { tariff: { energyMinorPerKwh: 41, timeMinorPerHour: 0, sessionFeeMinor: 10 } });
  // a link that answers only once the tap is over, and ignores the phone's abandoning
  let release!: () => void;
  const afterTap = new Promise<void>((resolve) => { release = resolve; });
  const late: Promise<unknown>[] = [];
  const lateFetch: typeof globalThis.fetch = (input, init) => {
    const answer = afterTap.then(() => globalThis.fetch(input, { ...init, signal: null }));
    late.push(answer);
    return answer;
  };
  const saved: unknown[] = [];
  const dee = Phone.create({ displayName: 'Dee', relay: new RelayClient({ baseUrl: rig.relay.url, fetch: lateFetch }), fieldRelayTimeoutMs: FIELD_TIMEOUT_MS, save: (s) => saved.push(s) });
  const hello = await rig.tap(pile, (t) => dee.tapHello(t));
  assert.equal(roundTrip(hello.relayInField), [1, false, true]);
  assert.is(hello.screen.updatedTo, undefined);
  const afterTheTap = { wallet: dee.state, saves: saved.length };
  release();
  await Promise.allSettled(late);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.is(late.length, 3);
  assert.equal({ wallet: dee.state, saves: saved.length }, afterTheTap, 'the late answers were ignored');
  assert.is(pile.handle.services!.config().configVersion, 1);

  const online = new Phone({ state: dee.state, relay: new RelayClient({ baseUrl: rig.relay.url }) });
  const again = await rig.tap(pile, (t) => online.tapHello(t));
  assert.equal([roundTrip(again.relayInField), again.screen.updatedTo], [[1, true, false], 2]);
  assert.is(pile.handle.services!.config().tariff.energyMinorPerKwh, 41);
});

net('tap 1 with the relay unreachable goes on offline at once; a bad field timeout is refused', async ({ rig }) => {
  const pile = await rig.addPile('Underground bay');
  const eve = Phone.create({ displayName: 'Eve', relay: new RelayClient({ baseUrl: 'http://127.0.0.1:1' }) });
  const hello = await rig.tap(pile, (t) => eve.tapHello(t));
  assert.equal(roundTrip(hello.relayInField), [1, false, false]);
  assert.equal([hello.screen.label, hello.screen.verified], ['Underground bay', false]);
  assert.is(eve.state.hello?.pileId, pile.pileIdHex, 'the tap-1 nonce is kept for a voucher');
  for (const fieldRelayTimeoutMs of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new Phone({ state: newWalletState('11'.repeat(32), 'Eve', null), fieldRelayTimeoutMs }), /"fieldRelayTimeoutMs" expected a positive integer/);
  }
});

net.run();

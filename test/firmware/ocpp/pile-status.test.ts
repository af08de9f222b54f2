// The pile's states as OCPP 1.6 StatusNotifications (firmware/ocpp/pile-status.ts), table-driven:
// connector 1 (the outlet) for every PileState, connector 0 (the pile) limited to the three
// statuses §4.9 allows it; then the running mapping (pile-uplink.ts) over a loopback uplink: the
// pile's URL, and a state change sent as StatusNotification once, at the next sample.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PILE_STATES, type PileState } from '../../../contracts-offline/messages/fields.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { outletStatusOf, pileStatusOf } from '../../../firmware/ocpp/pile-status.ts';
import { startPileUplink } from '../../../firmware/ocpp/pile-uplink.ts';
import { CHARGE_POINT_ERROR_CODES, CHARGE_POINT_STATUSES } from '../../../firmware/ocpp/status-notification.ts';
import { LoopbackUplink } from './loopback-uplink.ts';

// state → [connector 1 status, errorCode, connector 0 status, errorCode]
const table: [PileState, string, string, string, string][] = [
  ['available', 'Available', 'NoError', 'Available', 'NoError'],
  ['preparing', 'Preparing', 'NoError', 'Available', 'NoError'],
  ['charging', 'Charging', 'NoError', 'Available', 'NoError'],
  ['suspended', 'SuspendedEV', 'NoError', 'Available', 'NoError'],
  ['finishing', 'Finishing', 'NoError', 'Available', 'NoError'],
  ['unavailable', 'Unavailable', 'NoError', 'Unavailable', 'NoError'],
  ['faulted', 'Faulted', 'OtherError', 'Faulted', 'OtherError'],
];

test('the table names every pile state once', () => {
  assert.equal(table.map((row) => row[0]).sort(), [...PILE_STATES].sort());
});

for (const [state, outlet, outletError, pile, pileError] of table) {
  test(`${state} → connector 1 ${outlet}/${outletError}, connector 0 ${pile}/${pileError}`, () => {
    assert.equal(outletStatusOf(state), { status: outlet, errorCode: outletError });
    assert.equal(pileStatusOf(state), { status: pile, errorCode: pileError });
    assert.ok((CHARGE_POINT_STATUSES as readonly string[]).includes(outlet));
    assert.ok((CHARGE_POINT_ERROR_CODES as readonly string[]).includes(outletError));
    assert.ok(['Available', 'Unavailable', 'Faulted'].includes(pile), 'OCPP 1.6 §4.9: connector 0 is Available, Unavailable or Faulted');
  });
}

const pileId = Uint8Array.from([0x0a, 1, 2, 3, 4, 5, 6, 0xff]);

function rig(centralSystemUrl: string) {
  const clock = new VirtualClock();
  const uplink = new LoopbackUplink();
  let state: PileState = 'available';
  const running = startPileUplink({ clock, random: new SeededRandom(3), uplink }, () => state, () => {}, {
    centralSystemUrl, firmwareVersion: '0.1.0', identity: { pileId, kid: new Uint8Array(8), sign: () => new Uint8Array(64) }, statePeriodMs: 1000,
  });
  const calls = () => uplink.sent.map((text) => JSON.parse(text) as unknown[]).filter((f) => f[0] === 2);
  const answerLast = (payload: unknown) => uplink.deliver(JSON.stringify([3, uplink.last()[1], payload]));
  return { clock, uplink, running, calls, answerLast, setState: (next: PileState) => (state = next) };
}

test('the pile connects to the central system at its own id, with or without the final "/"', () => {
  for (const base of ['ws://127.0.0.1:9/ocpp/', 'ws://127.0.0.1:9/ocpp']) {
    const { uplink, running } = rig(base);
    assert.equal(uplink.opens, ['ws://127.0.0.1:9/ocpp/0a010203040506ff']);
    running.stop();
  }
});

test('once Accepted both connectors are sent; a state change goes at the next sample, once; stop closes the uplink', () => {
  const { clock, uplink, running, calls, answerLast, setState } = rig('ws://127.0.0.1:9/ocpp/');
  uplink.accept();
  assert.equal(calls().map((f) => f[2]), ['BootNotification']);
  assert.equal((calls()[0]![3] as Record<string, unknown>).chargePointSerialNumber, '0a010203040506ff');
  answerLast({ status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: 300 });
  answerLast({}); // connector 0
  answerLast({}); // connector 1
  const statuses = () => calls().filter((f) => f[2] === 'StatusNotification').map((f) => f[3] as Record<string, unknown>).map((p) => `${p.connectorId} ${p.status} ${p.errorCode}`);
  assert.equal(statuses(), ['0 Available NoError', '1 Available NoError']);
  setState('preparing');
  assert.is(statuses().length, 2, 'nothing before the next sample');
  clock.advance(1000);
  assert.equal(statuses().slice(2), ['1 Preparing NoError']);
  answerLast({});
  clock.advance(5000);
  assert.is(statuses().length, 3, 'an unchanged state is not sent again');
  setState('faulted');
  clock.advance(1000);
  assert.equal(statuses().slice(3), ['0 Faulted OtherError']);
  answerLast({});
  assert.equal(statuses().slice(4), ['1 Faulted OtherError']);
  running.stop();
  assert.is(uplink.state, 'closed');
  setState('available');
  clock.advance(10_000);
  assert.is(statuses().length, 5, 'nothing after stop');
});

test.run();

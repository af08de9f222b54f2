// Refusals of the service console while a vehicle charges (README.md "Who may do what"): each is a
// clear Error answer naming why, the flash image stays byte for byte what it was, and the session
// goes on (contactor closed, energy counting). Also device faults and a port that refuses writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCbor } from '../../../contracts-offline/cbor-encode.ts';
import { encodeFrame } from '../../../contracts-offline/console/frame.ts';
import type { ConsoleError } from '../../../contracts-offline/console/answers.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { defaultEv, voucher, genuine } from '../../support/pile-rig.ts';
import { type ConsoleRig, provisionedConsoleRig } from './console-rig.ts';
import { consolePileId, otherRelay, relay, signedAuthorization, signedPileUpdate, startMs } from '../../support/console-signing.ts';

/** A provisioned pile charging a vehicle (contract 1, contactor closed). */
function chargingRig(): ConsoleRig {
  const rig = provisionedConsoleRig();
  rig.sim.circuit.plug(new EvSim(defaultEv));
  rig.sim.clock.advance(1000);
  assert.ok(rig.runtime.handle.services!.startSession(voucher({ mode: 'energy', energyWh: 20_000 }, 100_000, { pileId: consolePileId }), 'Zoe', genuine).ok);
  rig.sim.clock.advance(5000);
  assert.ok(rig.sim.contactor.commandedClosed, 'charging');
  return rig;
}

function energyWh(rig: ConsoleRig): number {
  return rig.runtime.handle.services!.session!.usage.energyWh;
}

/** The answer is this Error; the flash is unchanged and the session still runs. */
function expectRefused(rig: ConsoleRig, label: string, run: () => unknown, code: ConsoleError['code'], reason: RegExp): void {
  const flash = rig.sim.flash.contents();
  const session = rig.runtime.handle.services!.session;
  const answer = run() as ConsoleError;
  assert.ok(answer && 'code' in answer, `${label}: an Error answer, got ${JSON.stringify(answer)}`);
  assert.is(answer.code, code, `${label}: ${answer.reason}`);
  assert.match(answer.reason, reason, label);
  assert.equal(rig.sim.flash.contents(), flash, `${label}: the flash image is unchanged`);
  assert.is(rig.runtime.handle.services!.session?.contract.seq, session?.contract.seq, `${label}: the session runs on`);
  assert.ok(rig.sim.contactor.commandedClosed, `${label}: the contactor stays closed`);
}

test('changing commands without a valid authorisation are unauthorized, naming the check; charging goes on', () => {
  const rig = chargingRig();
  const { host, sim } = rig;
  const pilePublicKey = sim.keyStore.publicKey;
  const atS = startMs / 1000 + 7200;
  const auth = (changes: Partial<Parameters<typeof signedAuthorization>[0]> = {}) =>
    signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge: host.challenge(), scope: 'set-clock', ...changes });
  const energyBefore = energyWh(rig);

  expectRefused(rig, 'no authorisation (not COSE)', () => host.ask('SetClock', { atS, authorization: Uint8Array.of(0x01) }), 'unauthorized', /authorization malformed/);
  expectRefused(rig, 'no authorisation field', () => {
    host.sendBytes(encodeFrame(encodeCbor(new Map<number, number>([[0, 71], [1, 1], [2, 900], [3, atS]]))));
    const last = host.answers[host.answers.length - 1]!;
    return last.command === 'Error' && last.error.requestId === 900 ? last.error : last;
  }, 'malformed', /authorization|missing/);
  expectRefused(rig, 'forged (another relay key)', () => host.ask('SetClock', { atS, authorization: auth({ secretKey: otherRelay.secretKey }) }), 'unauthorized', /not signed by the relay key/);
  const earlier = host.challenge();
  host.challenge();
  expectRefused(rig, 'stale (an earlier challenge)', () => host.ask('SetClock', { atS, authorization: auth({ challenge: earlier }) }), 'unauthorized', /stale/);
  expectRefused(rig, 'wrong scope', () => host.ask('SetClock', { atS, authorization: auth({ scope: 'factory-reset' }) }), 'unauthorized', /scope factory-reset, not set-clock/);
  expectRefused(rig, 'wrong pile', () => host.ask('SetClock', { atS, authorization: auth({ pileId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }) }), 'unauthorized', /another pile$/);
  expectRefused(rig, 'wrong pile key', () => host.ask('SetClock', { atS, authorization: auth({ pilePublicKey: relay.publicKey }) }), 'unauthorized', /another pile key/);
  expectRefused(rig, 'factory reset, forged', () => host.ask('FactoryReset', { authorization: auth({ scope: 'factory-reset', secretKey: otherRelay.secretKey }) }), 'unauthorized', /not signed/);
  expectRefused(rig, 'a valid authorisation replayed after the challenge moved on', () => {
    const replayed = auth();
    host.challenge();
    return host.ask('SetClock', { atS, authorization: replayed });
  }, 'unauthorized', /stale/);

  expectRefused(rig, 'SetClock, valid, while charging', () => host.ask('SetClock', { atS, authorization: auth() }), 'refused', /session 1 is running/);
  expectRefused(rig, 'FactoryReset, valid, while charging', () => host.ask('FactoryReset', { authorization: auth({ scope: 'factory-reset' }) }), 'refused', /session 1 is running/);
  expectRefused(rig, 'Provision of a provisioned pile', () => host.ask('Provision', {
    pileId: consolePileId, relayPublicKey: relay.publicKey, pilePublicKey, pileUpdate: signedPileUpdate(consolePileId, 2), firstBillingSeq: 1, authorization: auth({ scope: 'provision' }),
  }), 'refused', /not blank/);
  expectRefused(rig, 'CreateKey with a key', () => host.ask('CreateKey', {}), 'refused', /never replaced/);
  assert.is(Math.floor(sim.clock.nowMs() / 1000), startMs / 1000 + 6, 'the clock was not set');

  sim.clock.advance(60_000);
  assert.ok(energyWh(rig) > energyBefore + 100, `energy keeps counting (${energyBefore} → ${energyWh(rig)} Wh)`);
  assert.is(rig.runtime.handle.services!.state(), 'charging');
});

test('busy during an NFC tap: changing commands answer busy, reading ones still answer; after the tap they run', () => {
  const rig = chargingRig();
  const { host, sim } = rig;
  const pilePublicKey = sim.keyStore.publicKey;
  const tap = sim.nfc.tap();
  const auth = signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge: host.challenge(), scope: 'set-clock' });
  expectRefused(rig, 'SetClock during a tap', () => host.ask('SetClock', { atS: startMs / 1000, authorization: auth }), 'busy', /tap is in progress/);
  expectRefused(rig, 'FactoryReset during a tap', () => host.ask('FactoryReset', { authorization: auth }), 'busy', /tap is in progress/);
  expectRefused(rig, 'SelfTest during a tap', () => host.ask('SelfTest', {}), 'busy', /tap is in progress/);
  assert.is(host.expect('Status', {}).state, 'charging', 'reading commands answer during a tap');
  tap.end();
  expectRefused(rig, 'SetClock after the tap (its challenge still current)', () => host.ask('SetClock', { atS: startMs / 1000, authorization: auth }), 'refused', /session 1 is running/);
});

test('factory reset with an unacknowledged billing record is refused and changes nothing', () => {
  const rig = chargingRig();
  const { host, sim, runtime } = rig;
  const services = runtime.handle.services!;
  assert.ok(services.stopSession(1, 'user', genuine).ok);
  assert.is(services.session, undefined);
  const pilePublicKey = sim.keyStore.publicKey;
  expectRefusedIdle(rig, () => host.ask('FactoryReset', { authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge: host.challenge(), scope: 'factory-reset' }) }));
  assert.is(host.expect('Status', {}).unacknowledged, 2);
  assert.ok(runtime.handle.services, 'still running');
});

function expectRefusedIdle(rig: ConsoleRig, run: () => unknown): void {
  const flash = rig.sim.flash.contents();
  const answer = run() as ConsoleError;
  assert.is(answer.code, 'refused', JSON.stringify(answer));
  assert.match(answer.reason, /2 billing records are not acknowledged/);
  assert.equal(rig.sim.flash.contents(), flash);
}

test('a device fault answers device and changes nothing; a port that refuses a write loses that answer only', () => {
  const rig = chargingRig();
  const { host, sim, runtime } = rig;
  const meter = sim.hal.meter;
  const readSerialNumber = meter.readSerialNumber.bind(meter);
  meter.readSerialNumber = () => {
    throw new Error('modbus: no answer from slave 1');
  };
  expectRefused(rig, 'Status with a meter off the bus', () => host.ask('Status', {}), 'device', /no answer from slave 1/);
  meter.readSerialNumber = readSerialNumber;

  const port = sim.servicePort!;
  const write = port.write.bind(port);
  port.write = () => {
    throw new Error('usb: endpoint stalled');
  };
  const before = host.answers.length;
  host.sendBytes(encodeFrame(encodeCbor(new Map<number, number>([[0, 68], [1, 1], [2, 77]]))));
  assert.is(host.answers.length, before, 'the answer was lost');
  port.write = write;
  assert.is(host.expect('Status', {}).state, 'charging', 'the next request is answered');
  assert.ok(runtime.log.after(0, 64).entries.some((e) => e.level === 'warning' && e.text === 'service port write failed: usb: endpoint stalled'));
});

test.run();

// Every service-console command's happy path on the real firmware (runPile on the simulated board,
// through the ServicePortSim loopback), and provisioning from blank: create the key, provision
// with a relay-signed authorisation, the pile boots provisioned, a second Provision is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { defaultEv, voucher, genuine } from '../../support/pile-rig.ts';
import { blankConsoleRig, board, provisionThroughConsole, provisionedConsoleRig } from './console-rig.ts';
import { consolePileId, relay, signedAuthorization, signedPileUpdate, startMs } from '../../support/console-signing.ts';

test('Identify on a blank board: no key, blank, unavailable, a fresh challenge every time', () => {
  const { host } = blankConsoleRig();
  const first = host.expect('Identify', {});
  assert.is(first.board, board);
  assert.is(first.firmwareVersion, '0.1.0');
  assert.is(first.configVersion, 0);
  assert.is(first.pileId.length, 0);
  assert.is(first.pilePublicKey.length, 0);
  assert.is(first.provisioning, 'blank');
  assert.is(first.state, 'unavailable');
  assert.is(first.fault, 'not provisioned');
  assert.is(first.clockS, startMs / 1000);
  const second = host.expect('Identify', {});
  assert.not.equal(second.challenge, first.challenge, 'Identify renews the challenge');
});

test('CreateKey once; a second CreateKey is refused and the key stays', () => {
  const { host, sim } = blankConsoleRig();
  const created = host.expect('CreateKey', {});
  assert.equal(created.pilePublicKey, sim.keyStore.publicKey);
  const again = host.ask('CreateKey', {});
  assert.ok('code' in again && again.code === 'refused', JSON.stringify(again));
  assert.equal(host.expect('Identify', {}).pilePublicKey, created.pilePublicKey);
});

test('Provision from blank: the pile reboots provisioned and running; ReadProvisioning reads it back; a second Provision is refused', () => {
  const rig = blankConsoleRig();
  const { host, runtime, sim } = rig;
  provisionThroughConsole(rig);
  const services = runtime.handle.services;
  assert.ok(services, 'the runtime rebooted the pile provisioned');
  assert.equal(services?.pileId, consolePileId);
  assert.equal(services?.relayPublicKey, relay.publicKey);
  assert.is(services?.state(), 'available');
  const identity = host.expect('Identify', {});
  assert.is(identity.provisioning, 'provisioned');
  assert.is(identity.configVersion, 1);
  assert.equal(identity.pileId, consolePileId);
  assert.is(identity.fault, '');
  const record = host.expect('ReadProvisioning', {});
  assert.equal(record.pileId, consolePileId);
  assert.equal(record.relayPublicKey, relay.publicKey);
  assert.equal(record.pilePublicKey, sim.keyStore.publicKey);
  assert.equal(record.pileUpdate, signedPileUpdate(consolePileId));

  const before = sim.flash.contents();
  const pilePublicKey = sim.keyStore.publicKey;
  const second = host.ask('Provision', {
    pileId: consolePileId, relayPublicKey: relay.publicKey, pilePublicKey, pileUpdate: signedPileUpdate(consolePileId, 2), firstBillingSeq: 1,
    authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge: host.challenge(), scope: 'provision' }),
  });
  assert.ok('code' in second && second.code === 'refused', JSON.stringify(second));
  assert.equal(sim.flash.contents(), before, 'nothing written');
  assert.ok(runtime.log.after(0, 64).entries.some((e) => e.text.startsWith('provisioned as pile 50a1e0000000c0de')));
});

test('Provision before CreateKey is refused; ReadProvisioning on a blank pile is refused', () => {
  const { host, sim } = blankConsoleRig();
  const answer = host.ask('Provision', {
    pileId: consolePileId, relayPublicKey: relay.publicKey, pilePublicKey: new Uint8Array(32).fill(9), pileUpdate: signedPileUpdate(consolePileId), firstBillingSeq: 1,
    authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey: new Uint8Array(32).fill(9), challenge: host.challenge(), scope: 'provision' }),
  });
  assert.ok('code' in answer && answer.code === 'refused' && /CreateKey first/.test(answer.reason), JSON.stringify(answer));
  const read = host.ask('ReadProvisioning', {});
  assert.ok('code' in read && read.code === 'refused');
  assert.ok(sim.flash.contents().every((b) => b === 0xff));
});

test('Status: uptime, journal, meter, state, last faults; Logs pages the event log', () => {
  const rig = provisionedConsoleRig();
  const { host, sim } = rig;
  sim.clock.advance(90_000);
  const status = host.expect('Status', {});
  assert.is(status.uptimeS, 90);
  assert.is(status.journalTotalBytes, sim.flash.byteLength);
  assert.ok(status.journalUsedBytes > 100 && status.journalUsedBytes < 1000, String(status.journalUsedBytes));
  assert.is(status.unacknowledged, 0);
  assert.is(status.outboxCount, 0);
  assert.is(status.meterSerial, 4_242_001);
  assert.is(status.meterEnergyWh, 1_000_000);
  assert.is(status.state, 'available');
  assert.equal(status.faults.map((f) => f.text), ['boot: not provisioned'], 'the blank boot before provisioning was a warning');

  const first = host.expect('Logs', { afterSeq: 0 });
  assert.ok(first.entries.length > 0 && first.entries.length <= 8);
  assert.is(first.entries[0]!.text, 'boot: not provisioned');
  assert.ok(first.entries.some((e) => e.text === 'boot: running, state available'), JSON.stringify(first.entries));
  const last = first.entries[first.entries.length - 1]!;
  const next = host.expect('Logs', { afterSeq: last.seq });
  assert.is(next.entries.length, first.remaining > 8 ? 8 : first.remaining);
});

test('SelfTest with no vehicle: every part passes, the contactor closed and opened with feedback', () => {
  const { host, sim } = provisionedConsoleRig();
  const closes = sim.contactor.commandedClosed;
  assert.is(closes, false);
  const answer = host.expect('SelfTest', {}, 2_000);
  const byPart = new Map(answer.results.map((r) => [r.part, r]));
  assert.equal([...byPart.keys()].sort(), ['contactor', 'meter', 'nfc', 'pilot', 'secure-element']);
  for (const result of answer.results) assert.is(result.outcome, 'pass', `${result.part}: ${result.detail}`);
  assert.match(byPart.get('pilot')!.detail, /^state A/);
  assert.match(byPart.get('meter')!.detail, /serial 4242001/);
  assert.is(sim.contactor.commandedClosed, false, 'open again');
});

test('SelfTest with a vehicle plugged: the contactor is skipped, not moved', () => {
  const { host, sim } = provisionedConsoleRig();
  sim.circuit.plug(new EvSim(defaultEv));
  sim.clock.advance(1000);
  const answer = host.expect('SelfTest', {});
  const contactor = answer.results.find((r) => r.part === 'contactor')!;
  assert.is(contactor.outcome, 'skipped');
  assert.is(answer.results.find((r) => r.part === 'pilot')!.detail.startsWith('state B'), true);
});

test('SelfTest of a welded contactor: fail, the fault is latched and logged, the pile stops offering energy', () => {
  const { host, sim, runtime } = provisionedConsoleRig();
  sim.contactor.weld();
  const answer = host.expect('SelfTest', {}, 2_000);
  const contactor = answer.results.find((r) => r.part === 'contactor')!;
  assert.is(contactor.outcome, 'fail');
  assert.match(contactor.detail, /did not open \(welded\)/);
  assert.is(runtime.handle.services?.state(), 'faulted');
  assert.equal(host.expect('Status', {}).faults.map((f) => f.text).slice(-1), ['contactor welded']);
});

test('SelfTest is refused while a session runs', () => {
  const { host, sim, runtime } = provisionedConsoleRig();
  sim.circuit.plug(new EvSim(defaultEv));
  sim.clock.advance(1000);
  assert.ok(runtime.handle.services!.startSession(voucher({ mode: 'energy', energyWh: 5000 }, 10_000, { pileId: consolePileId }), 'Zoe', genuine).ok);
  const answer = host.ask('SelfTest', {});
  assert.ok('code' in answer && answer.code === 'refused' && /session 1 is running/.test(answer.reason), JSON.stringify(answer));
});

test('SetClock with the relay authorisation: the wall clock moves, uptime does not jump', () => {
  const { host, sim, runtime } = provisionedConsoleRig();
  sim.clock.advance(10_000);
  const pilePublicKey = sim.keyStore.publicKey;
  const atS = startMs / 1000 + 3600;
  const answer = host.expect('SetClock', { atS, authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge: host.challenge(), scope: 'set-clock' }) });
  assert.is(answer.previousAtS, startMs / 1000 + 10);
  assert.is(answer.atS, atS);
  assert.is(Math.floor(sim.clock.nowMs() / 1000), atS);
  assert.is(host.expect('Status', {}).uptimeS, 10);
  assert.ok(runtime.log.after(0, 64).entries.some((e) => e.text === `clock set from ${startMs / 1000 + 10} to ${atS}`));
});

test('FactoryReset with every record acknowledged: the pile reboots blank, keeps its key, and can be provisioned again', () => {
  const rig = provisionedConsoleRig();
  const { host, sim, runtime } = rig;
  const services = runtime.handle.services!;
  sim.circuit.plug(new EvSim(defaultEv));
  sim.clock.advance(1000);
  assert.ok(services.startSession(voucher({ mode: 'energy', energyWh: 200 }, 10_000, { pileId: consolePileId }), 'Zoe', genuine).ok);
  for (let i = 0; i < 600 && services.session; i++) sim.clock.advance(1000);
  assert.is(services.session, undefined);
  assert.equal(services.acknowledge([{ fromSeq: 1, toSeq: 10 }]), { ok: true, value: 0 });
  const key = sim.keyStore.publicKey;
  const answer = host.ask('FactoryReset', { authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey: key, challenge: host.challenge(), scope: 'factory-reset' }) });
  assert.ok(!('code' in answer), JSON.stringify(answer));
  assert.is(runtime.handle.services, undefined);
  assert.is(runtime.handle.fault, 'not provisioned');
  assert.ok(sim.flash.contents().every((b) => b === 0xff), 'the partition is erased');
  const identity = host.expect('Identify', {});
  assert.is(identity.provisioning, 'blank');
  assert.equal(identity.pilePublicKey, key, 'the key store keeps the pile key');
  const again = host.ask('CreateKey', {});
  assert.ok('code' in again && again.code === 'refused');
  const challenge = host.challenge();
  host.expect('Provision', {
    pileId: consolePileId, relayPublicKey: relay.publicKey, pilePublicKey: key, pileUpdate: signedPileUpdate(consolePileId), firstBillingSeq: 1,
    authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey: key, challenge, scope: 'provision' }),
  });
  assert.ok(runtime.handle.services);
  assert.ok(runtime.log.after(0, 64).entries.some((e) => e.text === 'factory reset: journal erased'));
});

test('the secure-element self-test signs with the key store and verifies with its public key', () => {
  const { host, sim } = provisionedConsoleRig();
  const signaturesBefore = sim.keyStore.signatures;
  const answer = host.expect('SelfTest', {}, 2_000);
  assert.is(sim.keyStore.signatures, signaturesBefore + 1);
  assert.is(answer.results.find((r) => r.part === 'secure-element')!.outcome, 'pass');
});

test('the secure-element self-test fails when the key store signs with another key than it reports', () => {
  const { host, sim } = provisionedConsoleRig();
  const reported = sim.keyStore.publicKey;
  const hal = sim.hal;
  const otherSigner = { ...hal.keyStore, publicKey: reported, hasKey: () => true, createKey: () => reported, sign: (m: Uint8Array) => nobleEd25519.sign(m, new Uint8Array(32).fill(7)) };
  hal.keyStore = otherSigner;
  const answer = host.expect('SelfTest', {}, 2_000);
  assert.equal(answer.results.find((r) => r.part === 'secure-element'), { part: 'secure-element', outcome: 'fail', detail: 'signature does not verify' });
});

test.run();

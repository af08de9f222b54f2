// Provisioning writes one record into a blank partition and nothing else; boot refuses to run
// (fault screen, −12 V on the pilot, no NFC answers, nothing written) when the pile is not
// provisioned, the journal does not mount, or the key store holds another key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PILOT_CONSTANT_MINUS_12V } from '../../../hal/types.ts';
import { keyPairFromSecret } from '../../../contracts-offline/keys.ts';
import { createSimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import { NfcTagLostError } from '../../../hal/sim/nfc-field.ts';
import { mountJournal } from '../../../firmware/journal/mount.ts';
import { encodeRecord, flagAcknowledged } from '../../../firmware/journal/layout.ts';
import { provisionPile } from '../../../firmware/provisioning/provision-pile.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { RecordKind } from '../../../firmware/records/record-kinds.ts';
import { decodeProvisioningRecord } from '../../../firmware/records/provisioning-record.ts';
import { openPileSigned, pileId, pileKey, pileSecretKey, pileUpdate, plugEv, provisionedRig, relayKey, startMs, startSession } from '../../support/pile-rig.ts';

const record = () => ({ pileId, relayPublicKey: relayKey.publicKey, pilePublicKey: pileKey.publicKey, pileUpdate: pileUpdate(1).signedBytes, firstBillingSeq: 1 });
const blankBoard = () => createSimulatedPile({ secretKey: pileSecretKey, startMs });

test('provisionPile: formats a blank partition and writes the one provisioning record', () => {
  const sim = blankBoard();
  assert.equal(provisionPile(sim.flash, record()), { ok: true, value: undefined });
  const journal = mountJournal(sim.flash);
  assert.ok(journal.ok);
  if (!journal.ok) return;
  const records = journal.value.records();
  assert.equal(records.map((r) => [r.seq, r.kind, r.retention]), [[1, RecordKind.provisioning, 'state']]);
  const payload = journal.value.read(1);
  const decoded = payload.ok ? decodeProvisioningRecord(payload.value) : undefined;
  assert.ok(decoded?.ok);
  if (decoded?.ok) assert.equal(decoded.value, record());
});

test('provisionPile refuses a partition that is not blank, and changes nothing', () => {
  const sim = blankBoard();
  assert.ok(provisionPile(sim.flash, record()).ok);
  const before = sim.flash.contents();
  const again = provisionPile(sim.flash, record());
  assert.not.ok(again.ok);
  if (!again.ok) assert.match(again.reason, /not blank/);
  assert.equal(sim.flash.contents(), before);
  const garbage = blankBoard();
  garbage.flash.write(Uint8Array.of(0x12, 0x34), 5000);
  garbage.flash.write(Uint8Array.of(0x56), 9000);
  const garbageBefore = garbage.flash.contents();
  assert.not.ok(provisionPile(garbage.flash, record()).ok, 'two touched blocks without a journal header');
  assert.equal(garbage.flash.contents(), garbageBefore);
});

test('mountJournal: a partition without a block header is blank only with one touched block holding nothing unacknowledged', () => {
  const remains = blankBoard();
  remains.flash.write(Uint8Array.of(0x12, 0x34), 5000);
  const one = mountJournal(remains.flash);
  assert.is(!one.ok && one.code, 'blank', 'the remains of a cut provisioning or factory reset');
  assert.ok(provisionPile(remains.flash, record()).ok);

  const billing = blankBoard();
  const unacknowledged = encodeRecord({ kind: RecordKind.contract, retention: 'billing', flags: 0xff, seq: 7, payloadLength: 3 }, Uint8Array.of(1, 2, 3));
  billing.flash.write(unacknowledged, 4096 + 100);
  const held = mountJournal(billing.flash);
  assert.is(!held.ok && held.code, 'unrecognized', 'an unacknowledged billing record is never treated as blank, wherever it sits');
  assert.not.ok(provisionPile(billing.flash, record()).ok);

  const acknowledged = blankBoard();
  acknowledged.flash.write(encodeRecord({ kind: RecordKind.contract, retention: 'billing', flags: 0xff & ~flagAcknowledged, seq: 7, payloadLength: 3 }, Uint8Array.of(1, 2, 3)), 4096 + 100);
  const gone = mountJournal(acknowledged.flash);
  assert.is(!gone.ok && gone.code, 'blank');
});

test('provisionPile refuses an update not signed by the relay key or meant for another pile', () => {
  const sim = blankBoard();
  const otherRelay = keyPairFromSecret(new Uint8Array(32).fill(3));
  const forged = provisionPile(sim.flash, { ...record(), relayPublicKey: otherRelay.publicKey });
  assert.not.ok(forged.ok);
  if (!forged.ok) assert.match(forged.reason, /pileUpdate refused/);
  const foreign = provisionPile(sim.flash, { ...record(), pileId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
  assert.not.ok(foreign.ok);
  assert.throws(() => provisionPile(sim.flash, { ...record(), relayPublicKey: new Uint8Array(31) }), /"relayPublicKey" expected 32 bytes, got 31/);
  assert.ok(sim.flash.contents().every((b) => b === 0xff), 'nothing written');
});

function expectRefusal(sim: ReturnType<typeof blankBoard>, reason: RegExp): void {
  const before = sim.flash.contents();
  const handle = bootPile(sim.hal);
  assert.is(handle.services, undefined);
  assert.match(handle.fault ?? '', reason);
  assert.is(sim.display.status, 'fault');
  assert.ok(sim.display.text().startsWith('OUT OF SERVICE'), sim.display.text());
  assert.is(sim.pilot.dutyPerMille, PILOT_CONSTANT_MINUS_12V);
  assert.not.ok(sim.contactor.commandedClosed);
  assert.throws(() => sim.nfc.tap(), (e: unknown) => e instanceof NfcTagLostError, 'no answer to a tap');
  assert.equal(sim.flash.contents(), before, 'never formats, never writes');
}

test('boot refuses to run on a blank partition (not provisioned)', () => {
  expectRefusal(blankBoard(), /not provisioned/);
});

test('boot refuses to run on an unrecognizable partition (no format)', () => {
  const sim = blankBoard();
  sim.flash.write(new Uint8Array(64).fill(0x5a), 0);
  sim.flash.write(new Uint8Array(64).fill(0x5a), 4096);
  expectRefusal(sim, /refusing to mount/);
});

test('boot refuses to run when the key store holds another key than the provisioned one', () => {
  const sim = blankBoard();
  assert.ok(provisionPile(sim.flash, { ...record(), pilePublicKey: relayKey.publicKey }).ok);
  expectRefusal(sim, /another key/);
});

test('boot of a provisioned pile: idle screen, +12 V on the pilot, contactor open, NFC answering', () => {
  const sim = blankBoard();
  assert.ok(provisionPile(sim.flash, record()).ok);
  const handle = bootPile(sim.hal, { firmwareVersion: '1.2.3' });
  assert.ok(handle.services);
  assert.is(handle.services?.firmwareVersion, '1.2.3');
  assert.equal(handle.services?.pileId, pileId);
  assert.equal(handle.services?.relayPublicKey, relayKey.publicKey);
  assert.is(handle.services?.state(), 'available');
  assert.is(sim.pilot.dutyPerMille, 1000);
  assert.not.ok(sim.contactor.commandedClosed);
  assert.ok(sim.display.text().includes('Pile 50a1e00000000017'), sim.display.text());
  const tap = sim.nfc.tap();
  assert.ok(tap.active);
  tap.end();
  handle.shutdown();
  assert.throws(() => sim.nfc.tap(), (e: unknown) => e instanceof NfcTagLostError);
  assert.throws(() => bootPile(sim.hal, { meteringPeriodMs: 0 }), /"meteringPeriodMs" expected a positive integer, got 0/);
});

test('a pile provisioned again numbers its contracts from the record\'s firstBillingSeq, across reboots', () => {
  const rig = provisionedRig({ firstBillingSeq: 41 });
  plugEv(rig.sim);
  const contract = openPileSigned(startSession(rig.pile, { mode: 'energy', energyWh: 1000 }, 500), 'Contract');
  assert.is(contract.seq, 41);
  rig.handle.shutdown();
  const rebooted = rig.boot();
  assert.ok(rebooted.outbox(0, 8).records.every((r) => r.seq >= 41));
  assert.throws(() => provisionPile(blankBoard().flash, { ...record(), firstBillingSeq: 0 }), /"firstBillingSeq" expected 1\.\./);
});

test.run();

// R12 through APDUs on the real pile: forged, tampered, replayed, misdirected and too-late messages,
// and STOPs by the wrong signer, each get their status word and change nothing — the journal (flash
// program/erase count), the outbox, the contactor, the pile state and the config are compared
// before and after, and the nonce they carried still works for the genuine message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, encodeStopData, selectCommand } from '../../../contracts-offline/apdu.ts';
import { encodeAuthorization } from '../../../contracts-offline/messages/authorization.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { PILE_NONCE_LIFETIME_MS } from '../../../contracts-offline/voucher-lifetime.ts';
import type { NfcTap } from '../../../hal/sim/nfc-field.ts';
import { type NfcPileRig, nfcPileRig, plugEv, testRelay, userStop } from './nfc-pile-rig.ts';
import {
  command, dataOf, otherPileId, payloadOf, otherUserKeys, pileKeys, signedAck, signedVoucher, startMs, statusOf, userKeys, voucher, withBadSignature, withPayload,
} from '../../support/tap-kit.ts';

function snapshot(rig: NfcPileRig) {
  const services = rig.handle.services!;
  return {
    flashOperations: rig.flashOperations(),
    outbox: services.outbox(0, 1000).records.map((r) => r.seq),
    contactorClosed: rig.sim.contactor.commandedClosed,
    state: services.state(),
    configVersion: services.config().configVersion,
  };
}

function nonceOf(tap: NfcTap): Uint8Array {
  const hello = decodePileHello(dataOf(tap.transceive(selectCommand())));
  if (!hello.ok) throw new Error(hello.reason);
  return hello.value.pileNonce;
}

function refusedUnchanged(rig: NfcPileRig, tap: NfcTap, apdu: Uint8Array, sw: number, what: string): void {
  const before = snapshot(rig);
  assert.is(statusOf(tap.transceive(apdu)).toString(16), sw.toString(16), what);
  assert.equal(snapshot(rig), before, `${what}: nothing changed`);
}

const nowS = (rig: NfcPileRig) => Math.floor(rig.sim.clock.nowMs() / 1000);
const energy = { mode: 'energy', energyWh: 20_000 } as const;

test('START: forged, tampered, misdirected, unknown-nonce, too-late, old-tariff and replayed vouchers start nothing', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const tap = rig.sim.nfc.tap();
  const stale = nonceOf(tap);
  rig.sim.clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  const nonce = nonceOf(tap);
  const genuine = testRelay.voucher(nonce, userKeys, energy, 1000);
  const cases: [Uint8Array, number, string][] = [
    [signedVoucher(nonce, { tariffVersion: 1 }, userKeys), SW.securityNotSatisfied, 'forged: signed by a user key'],
    [signedVoucher(nonce, { tariffVersion: 1 }, pileKeys), SW.securityNotSatisfied, 'forged: signed by the pile key'],
    [withBadSignature(genuine), SW.securityNotSatisfied, 'signature bit flipped'],
    [withPayload(genuine, encodeAuthorization(voucher(nonce, { tariffVersion: 1, capMinor: 1 }))), SW.securityNotSatisfied, 'tampered: cap changed'],
    [testRelay.voucher(new Uint8Array(16).fill(7), userKeys, energy, 1000), SW.referenceNotFound, 'unknown nonce'],
    [signedVoucher(nonce, { tariffVersion: 1, pileId: otherPileId }), SW.referenceNotUsable, 'voucher for another pile'],
    [testRelay.voucher(stale, userKeys, energy, 1000), SW.nonceExpired, 'voucher over a nonce older than its lifetime'],
    [testRelay.voucher(nonce, userKeys, energy, 1000, 2), SW.tariffChanged, 'voucher for another tariff version'],
    [new Uint8Array([0xd2, 0x84, 0x40]), SW.wrongData, 'malformed'],
  ];
  for (const [data, sw, what] of cases) refusedUnchanged(rig, tap, command(INS.start, data), sw, what);

  assert.is(statusOf(tap.transceive(command(INS.start, genuine))), SW.ok, 'the genuine voucher, same nonce');
  rig.sim.clock.advance(60_000);
  const seq = rig.handle.services!.session!.contract.seq;
  const stop = userStop(userKeys, nonceOf(tap), seq, nowS(rig));
  assert.is(statusOf(tap.transceive(command(INS.stop, encodeStopData({ signedStopRequest: stop, userPublicKey: userKeys.publicKey })))), SW.ok);
  refusedUnchanged(rig, tap, command(INS.start, genuine), SW.referenceNotUsable, 'replayed voucher (same voucher twice)');
  tap.end();
});

test('the status-word order with the overlap: a forged voucher or stop also refused for something else is 6982 and shows nothing; the genuine one gets that refusal', () => {
  const rig = nfcPileRig();
  const tap = rig.sim.nfc.tap();
  const nonce = nonceOf(tap);
  const display = () => (rig.sim.clock.advance(0), rig.sim.display.text());
  const shown = display();
  const refusals: [Uint8Array, number, string][] = [
    [signedVoucher(nonce, { tariffVersion: 1, pileId: otherPileId }), SW.referenceNotUsable, 'another pile'],
    [testRelay.voucher(new Uint8Array(16).fill(7), userKeys, energy, 1000), SW.referenceNotFound, 'an unknown nonce'],
    [testRelay.voucher(nonce, userKeys, energy, 1000, 2), SW.tariffChanged, 'another tariff version'],
    [testRelay.voucher(nonce, userKeys, energy, 1000), SW.conditionsNotSatisfied, 'no vehicle (a refusal of the pile\'s state)'],
  ];
  for (const [genuine, sw, what] of refusals) {
    refusedUnchanged(rig, tap, command(INS.start, withBadSignature(genuine)), SW.securityNotSatisfied, `forged, ${what}`);
    assert.is(display(), shown, `forged, ${what}: the display did not change`);
    refusedUnchanged(rig, tap, command(INS.start, genuine), sw, `genuine, ${what}`);
    assert.is.not(display(), shown, `genuine, ${what}: the reason is on the display`);
    rig.sim.clock.advance(60_000); // the refusal screen goes
  }

  plugEv(rig);
  const running = testRelay.voucher(nonceOf(tap), userKeys, energy, 1000);
  assert.is(statusOf(tap.transceive(command(INS.start, running))), SW.ok);
  const busy = testRelay.voucher(nonceOf(tap), userKeys, energy, 1000);
  refusedUnchanged(rig, tap, command(INS.start, withBadSignature(busy)), SW.securityNotSatisfied, 'forged, a session running');
  refusedUnchanged(rig, tap, command(INS.start, busy), SW.conditionsNotSatisfied, 'genuine, a session running');

  const seq = rig.handle.services!.session!.contract.seq;
  const stopNonce = nonceOf(tap);
  const stopData = (request: Uint8Array) => encodeStopData({ signedStopRequest: request, userPublicKey: userKeys.publicKey });
  const stops: [Uint8Array, number, string][] = [
    [userStop(userKeys, new Uint8Array(16).fill(7), seq, nowS(rig)), SW.referenceNotFound, 'an unknown nonce'],
    [userStop(userKeys, stopNonce, seq + 5, nowS(rig)), SW.conditionsNotSatisfied, 'no such contract'],
  ];
  for (const [genuine, sw, what] of stops) {
    refusedUnchanged(rig, tap, command(INS.stop, stopData(withBadSignature(genuine))), SW.securityNotSatisfied, `forged stop, ${what}`);
    refusedUnchanged(rig, tap, command(INS.stop, stopData(genuine)), sw, `genuine stop, ${what}`);
  }
  refusedUnchanged(rig, tap, command(INS.stop, stopData(withBadSignature(userStop(userKeys, stopNonce, seq, nowS(rig))))), SW.securityNotSatisfied, 'forged stop of the running session');
  assert.is(statusOf(tap.transceive(command(INS.stop, stopData(userStop(userKeys, stopNonce, seq, nowS(rig)))))), SW.ok, 'the genuine stop, same nonce');
  tap.end();
});

test('STOP: another user, a key whose kid mismatches, no key, another pile or a stale nonce stop nothing; the relay may stop', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const tap = rig.sim.nfc.tap();
  assert.is(statusOf(tap.transceive(command(INS.start, testRelay.voucher(nonceOf(tap), userKeys, energy, 1000)))), SW.ok);
  rig.sim.clock.advance(120_000);
  assert.ok(rig.sim.contactor.commandedClosed);
  const seq = rig.handle.services!.session!.contract.seq;
  const nonce = nonceOf(tap);
  const stopData = (signedStopRequest: Uint8Array, userPublicKey?: Uint8Array) => command(INS.stop, encodeStopData({ signedStopRequest, userPublicKey }));
  const cases: [Uint8Array, number, string][] = [
    [stopData(userStop(otherUserKeys, nonce, seq, nowS(rig)), otherUserKeys.publicKey), SW.securityNotSatisfied, 'signed by another user with their key'],
    [stopData(userStop(userKeys, nonce, seq, nowS(rig)), otherUserKeys.publicKey), SW.securityNotSatisfied, 'carried key kid mismatches the signer'],
    [stopData(userStop(otherUserKeys, nonce, seq, nowS(rig)), userKeys.publicKey), SW.securityNotSatisfied, 'signed by another user, carrying the user key'],
    [stopData(userStop(userKeys, nonce, seq, nowS(rig))), SW.securityNotSatisfied, 'user-signed without the key'],
    [stopData(withBadSignature(userStop(userKeys, nonce, seq, nowS(rig))), userKeys.publicKey), SW.securityNotSatisfied, 'tampered'],
    [stopData(userStop(userKeys, new Uint8Array(16).fill(3), seq, nowS(rig)), userKeys.publicKey), SW.referenceNotFound, 'unknown nonce'],
    [stopData(userStop(userKeys, nonce, seq + 5, nowS(rig)), userKeys.publicKey), SW.conditionsNotSatisfied, 'another contract'],
  ];
  for (const [apdu, sw, what] of cases) refusedUnchanged(rig, tap, apdu, sw, what);
  assert.is(rig.handle.services!.state(), 'charging');

  const relayStop = testRelay.stop(nonce, seq, nowS(rig));
  const stopped = tap.transceive(stopData(relayStop));
  assert.is(statusOf(stopped), SW.ok, 'relay-signed STOP accepted');
  assert.not.ok(rig.sim.contactor.commandedClosed);
  refusedUnchanged(rig, tap, stopData(relayStop), SW.referenceNotUsable, 'replayed relay stop');
  tap.end();
});

test('UPDATE and ACK: forged, tampered, misdirected or older change nothing', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const tap = rig.sim.nfc.tap();
  assert.is(statusOf(tap.transceive(command(INS.start, testRelay.voucher(nonceOf(tap), userKeys, { mode: 'time', durationS: 60 }, 100)))), SW.ok);
  rig.sim.clock.advance(70_000);
  const update2 = testRelay.update(2);
  const cases: [Uint8Array, number, string][] = [
    [command(INS.update, withBadSignature(update2)), SW.securityNotSatisfied, 'update with a flipped signature bit'],
    [command(INS.update, withPayload(update2, payloadOf(testRelay.update(3)))), SW.securityNotSatisfied, 'update payload swapped'],
    [command(INS.update, testRelay.update(1)), SW.referenceNotUsable, 'update to the held version'],
    [command(INS.ack, signedAck({ ranges: [{ fromSeq: 1, toSeq: 100 }], atS: startMs / 1000 }, userKeys)), SW.securityNotSatisfied, 'ack signed by a user'],
    [command(INS.ack, signedAck({ pileId: otherPileId, ranges: [{ fromSeq: 1, toSeq: 100 }], atS: startMs / 1000 })), SW.referenceNotUsable, 'ack for another pile'],
  ];
  for (const [apdu, sw, what] of cases) refusedUnchanged(rig, tap, apdu, sw, what);
  assert.is(snapshot(rig).outbox.length, 2, 'contract and receipt still held');
  tap.end();
});

test.run();

// The commands of the NFC application (firmware/nfc/README.md "Rules per command") against the
// RecordingPileServicesDouble: what each answers, which checks come first, that every refusal has
// its status word and calls no service that changes the pile, and the signature budget per command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, encodeAckAnswer, encodeOutboxRequest, encodeStopData, parseOutboxAnswer, selectCommand } from '../../../contracts-offline/apdu.ts';
import { encodeCbor } from '../../../contracts-offline/cbor-encode.ts';
import { encodeAuthorization } from '../../../contracts-offline/messages/authorization.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';
import { PILE_NONCE_LIFETIME_MS } from '../../../contracts-offline/voucher-lifetime.ts';
import type { NfcTap } from '../../../hal/sim/nfc-field.ts';
import {
  command, dataOf, doubleRig, payloadOf, otherPileId, otherUserKeys, pileId, pileKeys, pileUpdate, relayKeys, signedAck, signedStop,
  signedUpdate, signedVoucher, startS, statusOf, userKeys, voucher, withBadSignature, withPayload,
} from '../../support/tap-kit.ts';

type Rig = ReturnType<typeof doubleRig>;

function selected(rig: Rig): { tap: NfcTap; nonce: Uint8Array } {
  const { tap } = rig.tap();
  const hello = decodePileHello(dataOf(tap.transceive(selectCommand())));
  if (!hello.ok) throw new Error(hello.reason);
  return { tap, nonce: hello.value.pileNonce };
}

function nextNonce(tap: NfcTap): Uint8Array {
  const hello = decodePileHello(dataOf(tap.transceive(selectCommand())));
  if (!hello.ok) throw new Error(hello.reason);
  return hello.value.pileNonce;
}

/** Sends `apdu`, expects `sw`, and that no service changing the pile was called and no signature made. */
function refusedUnchanged(rig: Rig, tap: NfcTap, apdu: Uint8Array, sw: number, what: string): void {
  const mutations = rig.services.mutations.length;
  const signatures = rig.services.signatures;
  assert.is(statusOf(tap.transceive(apdu)).toString(16), sw.toString(16), what);
  assert.is(rig.services.mutations.length, mutations, `${what}: no service changed the pile`);
  assert.is(rig.services.signatures, signatures, `${what}: nothing signed`);
}

const phoneNonce = new Uint8Array(12).fill(9);
const userHello = encodeUserHello({ userKid: userKeys.kid, displayName: 'Ada', phoneNonce });

test('HELLO answers PileInfo signed by the pile over the phone nonce (1 signature), then greets', () => {
  const rig = doubleRig();
  const { tap } = selected(rig);
  const response = tap.transceive(command(INS.hello, userHello));
  assert.is(statusOf(response), SW.ok);
  const opened = openSigned(dataOf(response), { publicKey: pileKeys.publicKey, expectType: 'PileInfo' });
  assert.ok(opened.ok);
  if (!opened.ok) return;
  assert.equal(opened.value.message, {
    pileId, phoneNonce, state: 'preparing', configVersion: 3, tariff: rig.services.pileConfig.tariff, label: 'Double bay 1',
  });
  assert.is(rig.services.signatures, 1);
  assert.equal(rig.services.mutations.map((c) => c.method), ['greet']);

  refusedUnchanged(rig, tap, command(INS.hello, userHello.subarray(0, userHello.length - 1)), SW.wrongData, 'truncated UserHello');
  refusedUnchanged(rig, tap, command(INS.hello, encodeAuthorization(voucher(phoneNonce))), SW.wrongData, 'another message type');
});

test('UPDATE: applied when relay-signed, ours and newer; 6A80 / 6982 / 6984 otherwise', () => {
  const rig = doubleRig();
  const { tap } = selected(rig);
  const update4 = signedUpdate(pileUpdate(4));
  refusedUnchanged(rig, tap, command(INS.update, new Uint8Array([0xa0])), SW.wrongData, 'not COSE');
  refusedUnchanged(rig, tap, command(INS.update, signedUpdate(pileUpdate(4), userKeys)), SW.securityNotSatisfied, 'signed by a user');
  refusedUnchanged(rig, tap, command(INS.update, withBadSignature(update4)), SW.securityNotSatisfied, 'bad signature');
  refusedUnchanged(rig, tap, command(INS.update, withPayload(update4, payloadOf(signedUpdate(pileUpdate(9))))), SW.securityNotSatisfied, 'payload swapped');
  refusedUnchanged(rig, tap, command(INS.update, signedUpdate(pileUpdate(4, { pileId: otherPileId }))), SW.referenceNotUsable, 'another pile');
  refusedUnchanged(rig, tap, command(INS.update, signedUpdate(pileUpdate(3))), SW.referenceNotUsable, 'same version');
  refusedUnchanged(rig, tap, command(INS.update, signedUpdate(pileUpdate(2))), SW.referenceNotUsable, 'older version');

  const response = tap.transceive(command(INS.update, update4));
  assert.equal(Array.from(response), [0x90, 0x00]);
  const applied = rig.services.mutations.at(-1)!;
  assert.is(applied.method, 'applyUpdate');
  assert.equal(applied.args[1], update4, 'the signed bytes go to the journal');
  assert.is(rig.services.pileConfig.configVersion, 4);
  refusedUnchanged(rig, tap, command(INS.update, update4), SW.referenceNotUsable, 'replayed update');

  rig.services.refuseNext = { code: 'device', reason: 'flash' };
  assert.is(statusOf(tap.transceive(command(INS.update, signedUpdate(pileUpdate(5))))), SW.deviceFault);
  assert.is(rig.services.pileConfig.configVersion, 4);
});

test('START: checks in README order, each refusal changes nothing, keeps the nonce and names its reason for the display', () => {
  const rig = doubleRig();
  const { tap, nonce: stale } = selected(rig);
  rig.clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  const nonce = nextNonce(tap);
  const good = signedVoucher(nonce);
  const goodPayload = payloadOf(good);
  const cases: [Uint8Array, number, string][] = [
    [encodeCbor([1, 2]), SW.wrongData, 'not COSE'],
    [withPayload(good, goodPayload.subarray(0, goodPayload.length - 1)), SW.wrongData, 'payload cut'],
    [withPayload(good, encodeAuthorization(voucher(nonce, { capMinor: 99_999 }))), SW.securityNotSatisfied, 'cap raised after signing'],
    [withBadSignature(good), SW.securityNotSatisfied, 'bad signature'],
    [signedVoucher(nonce, {}, userKeys), SW.securityNotSatisfied, 'signed by the user, not the relay'],
    [signedVoucher(nonce, {}, pileKeys), SW.securityNotSatisfied, 'signed by the pile'],
    [signedVoucher(nonce, { pileId: otherPileId }), SW.referenceNotUsable, 'for another pile'],
    [signedVoucher(new Uint8Array(16).fill(1)), SW.referenceNotFound, 'unknown nonce'],
    [signedVoucher(stale), SW.nonceExpired, 'nonce older than its lifetime on the pile clock'],
    [signedVoucher(nonce, { tariffVersion: 2 }), SW.tariffChanged, 'older tariff version'],
  ];
  for (const [data, sw, what] of cases) refusedUnchanged(rig, tap, command(INS.start, data), sw, what);
  const shown = rig.services.calls.filter((c) => c.method === 'showStartRefusal').map((c) => c.args[0]);
  assert.equal(shown, ['other-pile', 'nonce-unknown', 'nonce-expired', 'tariff-changed'], 'a refused voucher says why on the display; a forged one does not');

  for (const [status, sw] of [['conditions', SW.conditionsNotSatisfied], ['full', SW.memoryFull], ['device', SW.deviceFault]] as const) {
    rig.services.refuseNext = { code: status, reason: status };
    assert.is(statusOf(tap.transceive(command(INS.start, good))), sw, status);
  }
  assert.is(rig.services.signatures, 0);

  const response = tap.transceive(command(INS.start, signedVoucher(nonce, { expiresAtS: startS - 86_400 })));
  assert.is(statusOf(response), SW.ok, 'the same nonce still works; expiresAtS (the relay clock) is not compared with the pile clock');
  const contract = openSigned(dataOf(response), { publicKey: pileKeys.publicKey, expectType: 'Contract' });
  assert.ok(contract.ok && contract.value.message.seq === 1);
  assert.is(rig.services.signatures, 1, 'one signature for the contract');
});

test('START passes the display name of the HELLO by the same user, and only that', () => {
  const rig = doubleRig();
  const { tap, nonce } = selected(rig);
  tap.transceive(command(INS.hello, userHello));
  tap.transceive(command(INS.start, signedVoucher(nonce)));
  const other = doubleRig();
  const second = selected(other);
  second.tap.transceive(command(INS.hello, encodeUserHello({ userKid: otherUserKeys.kid, displayName: 'Eve', phoneNonce })));
  second.tap.transceive(command(INS.start, signedVoucher(second.nonce)));
  const startArgs = (r: Rig) => r.services.calls.find((c) => c.method === 'startSession')!.args;
  assert.is(startArgs(rig)[1], 'Ada');
  assert.is(startArgs(other)[1], undefined);
});

function started(): { rig: Rig; tap: NfcTap; contractSeq: number } {
  const rig = doubleRig();
  const { tap, nonce } = selected(rig);
  assert.is(statusOf(tap.transceive(command(INS.start, signedVoucher(nonce)))), SW.ok);
  return { rig, tap, contractSeq: 1 };
}

test('STOP by the contract\'s user: answers the Receipt; the same stop later re-answers it without signing', () => {
  const { rig, tap, contractSeq } = started();
  const nonce = nextNonce(tap);
  const request = signedStop({ pileId, contractSeq, pileNonce: nonce, atS: startS }, userKeys);
  const response = tap.transceive(command(INS.stop, encodeStopData({ signedStopRequest: request, userPublicKey: userKeys.publicKey })));
  assert.is(statusOf(response), SW.ok);
  const receipt = openSigned(dataOf(response), { publicKey: pileKeys.publicKey, expectType: 'Receipt' });
  assert.ok(receipt.ok && receipt.value.message.contractSeq === contractSeq);
  assert.equal(rig.services.mutations.at(-1)!.args, [contractSeq, 'user']);
  refusedUnchanged(rig, tap, command(INS.stop, encodeStopData({ signedStopRequest: request, userPublicKey: userKeys.publicKey })), SW.referenceNotUsable, 'replayed stop (nonce used)');

  const signaturesBefore = rig.services.signatures;
  const again = signedStop({ pileId, contractSeq, pileNonce: nextNonce(tap), atS: startS }, userKeys);
  const second = tap.transceive(command(INS.stop, encodeStopData({ signedStopRequest: again, userPublicKey: userKeys.publicKey })));
  assert.equal(dataOf(second), dataOf(response), 'the stored receipt again');
  assert.is(rig.services.signatures, signaturesBefore);
});

test('STOP by the relay needs no user key', () => {
  const { rig, tap, contractSeq } = started();
  const request = signedStop({ pileId, contractSeq, pileNonce: nextNonce(tap), atS: startS }, relayKeys);
  assert.is(statusOf(tap.transceive(command(INS.stop, encodeStopData({ signedStopRequest: request, userPublicKey: undefined })))), SW.ok);
  assert.equal(rig.services.mutations.at(-1)!.args, [contractSeq, 'relay']);
});

test('STOP refusals: malformed 6A80, signer 6982, pile 6984, nonce 6A88, no such contract 6985 — nothing stops', () => {
  const { rig, tap, contractSeq } = started();
  const nonce = nextNonce(tap);
  const stopBy = (signer: typeof userKeys, overrides: object = {}) => signedStop({ pileId, contractSeq, pileNonce: nonce, atS: startS, ...overrides }, signer);
  const data = (signedStopRequest: Uint8Array, userPublicKey: Uint8Array | undefined) => encodeStopData({ signedStopRequest, userPublicKey });
  const good = stopBy(userKeys);
  const cases: [Uint8Array, number, string][] = [
    [good, SW.wrongData, 'bare COSE, not in an array'],
    [encodeCbor([good, userKeys.publicKey, userKeys.publicKey]), SW.wrongData, 'array of 3'],
    [encodeCbor([good, userKeys.publicKey.subarray(1)]), SW.wrongData, '31-byte key'],
    [encodeCbor([userKeys.publicKey]), SW.wrongData, 'a key, not a COSE_Sign1'],
    [data(good, undefined), SW.securityNotSatisfied, 'user-signed without the user key'],
    [data(stopBy(otherUserKeys), otherUserKeys.publicKey), SW.securityNotSatisfied, 'signed by another user'],
    [data(good, otherUserKeys.publicKey), SW.securityNotSatisfied, 'carried key is not the signer (kid mismatch)'],
    [data(stopBy(otherUserKeys), userKeys.publicKey), SW.securityNotSatisfied, 'signed by another user, carrying our user key'],
    [data(withBadSignature(good), userKeys.publicKey), SW.securityNotSatisfied, 'bad signature'],
    [data(withBadSignature(stopBy(relayKeys)), undefined), SW.securityNotSatisfied, 'relay kid, bad signature'],
    [data(stopBy(userKeys, { pileId: otherPileId }), userKeys.publicKey), SW.referenceNotUsable, 'another pile'],
    [data(stopBy(userKeys, { pileNonce: new Uint8Array(16) }), userKeys.publicKey), SW.referenceNotFound, 'unknown nonce'],
    [data(stopBy(userKeys, { contractSeq: 77 }), userKeys.publicKey), SW.conditionsNotSatisfied, 'no such contract (user)'],
    [data(stopBy(relayKeys, { contractSeq: 77 }), undefined), SW.conditionsNotSatisfied, 'no such contract (relay)'],
  ];
  for (const [apduData, sw, what] of cases) refusedUnchanged(rig, tap, command(INS.stop, apduData), sw, what);
  assert.is(rig.services.pileState, 'charging');
  assert.is(statusOf(tap.transceive(command(INS.stop, data(good, userKeys.publicKey)))), SW.ok, 'the nonce was kept for the real stop');
});

test('OUTBOX hands records after a sequence, at most 4, oldest first, and changes nothing', () => {
  const rig = doubleRig();
  for (let seq = 1; seq <= 6; seq++) rig.services.outboxRecords.push({ seq, bytes: new Uint8Array([seq]) });
  const { tap } = selected(rig);
  const page = (after: number) => {
    const parsed = parseOutboxAnswer(dataOf(tap.transceive(command(INS.outbox, encodeOutboxRequest(after)))));
    if (!parsed.ok) throw new Error(parsed.reason);
    return { seqs: parsed.value.records.map((r) => r[0]), remaining: parsed.value.remaining };
  };
  assert.equal(page(0), { seqs: [1, 2, 3, 4], remaining: 2 });
  assert.equal(page(4), { seqs: [5, 6], remaining: 0 });
  assert.equal(page(0xffff_ffff), { seqs: [], remaining: 0 });
  assert.is(rig.services.outboxRecords.length, 6);
  assert.equal(rig.services.mutations, []);
});

test('ACK: relay-signed for this pile marks records; answers the count left; refusals change nothing', () => {
  const rig = doubleRig();
  for (let seq = 1; seq <= 3; seq++) rig.services.outboxRecords.push({ seq, bytes: new Uint8Array([seq]) });
  const { tap } = selected(rig);
  refusedUnchanged(rig, tap, command(INS.ack, new Uint8Array([1, 2, 3])), SW.wrongData, 'not COSE');
  refusedUnchanged(rig, tap, command(INS.ack, signedAck({ ranges: [{ fromSeq: 1, toSeq: 3 }] }, pileKeys)), SW.securityNotSatisfied, 'signed by the pile itself');
  refusedUnchanged(rig, tap, command(INS.ack, withBadSignature(signedAck({}))), SW.securityNotSatisfied, 'bad signature');
  refusedUnchanged(rig, tap, command(INS.ack, signedAck({ pileId: otherPileId })), SW.referenceNotUsable, 'another pile');
  const response = tap.transceive(command(INS.ack, signedAck({ ranges: [{ fromSeq: 1, toSeq: 2 }, { fromSeq: 9, toSeq: 12 }] })));
  assert.is(statusOf(response), SW.ok);
  assert.equal(dataOf(response), encodeAckAnswer(1));
  assert.equal(rig.services.outboxRecords.map((r) => r.seq), [3]);
});

test.run();

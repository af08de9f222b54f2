// The pile's end of the virtual channel (firmware/ocpp/channel.ts): the relay's DataTransfer
// ChannelSelect / ChannelHello / ChannelUpdate / ChannelStart / ChannelStop / Ack run the NFC card
// commands, with the answers of contracts-offline/uplink-channel.ts — Accepted + the response data,
// Rejected + the status word — over the pile's one nonce book, so a nonce issued in a tap serves
// the channel and is used once whichever way its START comes. The greeting through the channel
// prompts for no second tap; an update through it is checked as at a tap (signature, pile,
// version). Bad `data` is a CALLERROR and changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, TAPCHARGE_AID, encodeStopData, swHex } from '../../../contracts-offline/apdu.ts';
import { base64urlToBytes, bytesToBase64url } from '../../../contracts-offline/bytes.ts';
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { UPLINK_VENDOR_ID } from '../../../contracts-offline/messages/uplink-identity.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';
import { CHANNEL_MESSAGE_IDS, parseStatusWordText } from '../../../contracts-offline/uplink-channel.ts';
import { createNfcApplication } from '../../../firmware/nfc/application.ts';
import type { TapContext } from '../../../firmware/nfc/answer.ts';
import { NonceBook } from '../../../firmware/nfc/nonce-book.ts';
import { channelMessages } from '../../../firmware/ocpp/channel.ts';
import { dataTransferHandler } from '../../../firmware/ocpp/data-transfer.ts';
import type { CallAnswer } from '../../../firmware/ocpp/rpc.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { RecordingPileServicesDouble } from '../../support/pile-services-double.ts';
import {
  command, dataOf, otherPileId, otherUserKeys, pileId, pileKeys, pileUpdate, relayKeys, signedAck, signedStop, signedUpdate, signedVoucher, startMs, startS, statusOf,
  userKeys, withBadSignature,
} from '../../support/tap-kit.ts';

function rig() {
  const clock = new VirtualClock({ startMs });
  const services = new RecordingPileServicesDouble({ pileId, pileKeys, relayPublicKey: relayKeys.publicKey, nowS: startS });
  const nonces = new NonceBook(clock, new SeededRandom(9));
  const channel: TapContext = { services, crypto: nobleEd25519, nonces, lastGreeting: undefined };
  const nfc = createNfcApplication(services, { crypto: nobleEd25519, nonces });
  const handle = dataTransferHandler(UPLINK_VENDOR_ID, channelMessages(channel));
  const transfer = (messageId: string, data?: Uint8Array | string): CallAnswer =>
    handle({ vendorId: UPLINK_VENDOR_ID, messageId, ...(data !== undefined && { data: typeof data === 'string' ? data : bytesToBase64url(data) }) });
  const accepted = (answer: CallAnswer): Uint8Array => {
    assert.ok(answer.ok, 'a DataTransfer.conf');
    assert.is(answer.value.status, 'Accepted', `answered ${String(answer.value.data)}`);
    return base64urlToBytes(answer.value.data as string);
  };
  const rejectedSw = (answer: CallAnswer): number | undefined => {
    assert.ok(answer.ok, 'a DataTransfer.conf');
    assert.is(answer.value.status, 'Rejected');
    return parseStatusWordText(answer.value.data);
  };
  const selectNonce = (): Uint8Array => {
    const hello = decodePileHello(accepted(transfer(CHANNEL_MESSAGE_IDS.select)));
    assert.ok(hello.ok);
    return hello.value.pileNonce;
  };
  return { services, nfc, transfer, accepted, rejectedSw, selectNonce };
}

test('ChannelSelect answers the PileHello with a fresh nonce; ChannelHello greets the user and answers PileInfo signed over the phone nonce', () => {
  const r = rig();
  const hello = decodePileHello(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.select)));
  assert.ok(hello.ok);
  assert.equal(hello.value.pileId, pileId);
  assert.is(hello.value.pileNonce.length, 16);
  assert.not.equal(r.selectNonce(), hello.value.pileNonce, 'each select issues its own nonce');

  const phoneNonce = new Uint8Array(16).fill(0x5a);
  const info = openSigned(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.hello, encodeUserHello({ userKid: userKeys.kid, displayName: 'Ada', phoneNonce }))), {
    publicKey: pileKeys.publicKey, expectType: 'PileInfo', crypto: nobleEd25519,
  });
  assert.ok(info.ok, 'signed by the pile');
  assert.equal(info.value.message.phoneNonce, phoneNonce);
  assert.equal(r.services.calls.filter((c) => c.method === 'greet').map((c) => c.args[1]), ['channel'], 'the pile shows the user, prompted for no second tap');
});

test('a HELLO by tap still greets as a tap', () => {
  const r = rig();
  r.nfc.onFieldOn();
  assert.is(statusOf(r.nfc.onApdu(command(INS.select, Uint8Array.from(TAPCHARGE_AID), { cla: 0x00, p1: 0x04 }))), SW.ok);
  const hello = encodeUserHello({ userKid: userKeys.kid, displayName: 'Ada', phoneNonce: new Uint8Array(16) });
  assert.is(statusOf(r.nfc.onApdu(command(INS.hello, hello))), SW.ok);
  assert.equal(r.services.calls.filter((c) => c.method === 'greet').map((c) => c.args[1]), ['tap']);
});

test('ChannelUpdate: a relay-signed newer PileUpdate is applied (no data answered); a START on the new tariff then starts', () => {
  const r = rig();
  const onNewTariff = signedVoucher(r.selectNonce(), { tariffVersion: 4 });
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.start, onNewTariff)), SW.tariffChanged, 'the pile holds tariff 3 yet');
  const update4 = signedUpdate(pileUpdate(4));
  assert.equal([...r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.update, update4))], []);
  assert.equal(r.services.calls.find((c) => c.method === 'applyUpdate')?.args[1], update4, 'the signed bytes go to the journal');
  assert.is(r.services.pileConfig.configVersion, 4);
  const contract = openSigned(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher(r.selectNonce(), { tariffVersion: 4 }))), {
    publicKey: pileKeys.publicKey, expectType: 'Contract', crypto: nobleEd25519,
  });
  assert.ok(contract.ok);
  assert.is(contract.value.message.tariff.version, 4);
});

test('ChannelUpdate forged, of another pile, not newer, or replayed: refused with the card\'s status word, nothing changed', () => {
  const r = rig();
  const update4 = signedUpdate(pileUpdate(4));
  const refusals: [string, Uint8Array, number][] = [
    ['signed by a user', signedUpdate(pileUpdate(4), userKeys), SW.securityNotSatisfied],
    ['bad signature', withBadSignature(update4), SW.securityNotSatisfied],
    ['another pile', signedUpdate(pileUpdate(4, { pileId: otherPileId })), SW.referenceNotUsable],
    ['same version', signedUpdate(pileUpdate(3)), SW.referenceNotUsable],
    ['older version', signedUpdate(pileUpdate(2)), SW.referenceNotUsable],
    ['a voucher, not a PileUpdate', signedVoucher(r.selectNonce()), SW.wrongData],
  ];
  for (const [why, data, sw] of refusals) {
    assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.update, data)), sw, why);
    assert.is(r.services.mutations.length, 0, why);
  }
  assert.is(r.services.pileConfig.configVersion, 3);
  r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.update, update4));
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.update, update4)), SW.referenceNotUsable, 'replayed');
  assert.is(r.services.mutations.length, 1);
  assert.is(r.services.pileConfig.configVersion, 4);
});

test('ChannelStart: a voucher on a channel nonce starts the contract; the same voucher again is 6984 (nonce used)', () => {
  const r = rig();
  const voucher = signedVoucher(r.selectNonce());
  const contract = openSigned(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.start, voucher)), { publicKey: pileKeys.publicKey, expectType: 'Contract', crypto: nobleEd25519 });
  assert.ok(contract.ok);
  assert.equal(contract.value.message.userKid, userKeys.kid);
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.start, voucher)), SW.referenceNotUsable);
  assert.is(r.services.sessions.length, 1);
});

test('one nonce book: a nonce a tap issued serves the channel once, and the tap cannot use it after', () => {
  const r = rig();
  r.nfc.onFieldOn();
  const selected = r.nfc.onApdu(command(INS.select, Uint8Array.from([0xf0, 0x54, 0x41, 0x50, 0x43, 0x48, 0x47, 0x31]), { cla: 0x00, p1: 0x04 }));
  assert.is(statusOf(selected), SW.ok);
  const hello = decodePileHello(dataOf(selected));
  assert.ok(hello.ok);
  const voucher = signedVoucher(hello.value.pileNonce);
  r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.start, voucher));
  assert.is(statusOf(r.nfc.onApdu(command(INS.start, voucher))), SW.referenceNotUsable);
  assert.is(r.services.sessions.length, 1);
});

test('forged requests: a voucher, a stop and an Ack with a bad signature are 6982 and change nothing', () => {
  const r = rig();
  const mutations = () => r.services.mutations.length;
  const before = mutations();
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.start, withBadSignature(signedVoucher(r.selectNonce())))), SW.securityNotSatisfied);
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher(r.selectNonce(), {}, otherUserKeys))), SW.securityNotSatisfied, 'signed by a user, not the relay');
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.ack, withBadSignature(signedAck({})))), SW.securityNotSatisfied);
  assert.is(mutations(), before);
  assert.is(r.services.sessions.length, 0);
});

test('ChannelStop: a relay-signed stop ends the running session with its receipt; a user stop needs the contract user\'s key', () => {
  const r = rig();
  const contract = openSigned(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher(r.selectNonce()))), { publicKey: pileKeys.publicKey, expectType: 'Contract', crypto: nobleEd25519 });
  assert.ok(contract.ok);
  const contractSeq = contract.value.message.seq;
  const byOther = encodeStopData({ signedStopRequest: signedStop({ pileId, contractSeq, pileNonce: r.selectNonce(), atS: startS }, otherUserKeys), userPublicKey: otherUserKeys.publicKey });
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.stop, byOther)), SW.securityNotSatisfied);
  assert.is(r.services.sessions[0]!.receipt, undefined);

  const byRelay = encodeStopData({ signedStopRequest: signedStop({ pileId, contractSeq, pileNonce: r.selectNonce(), atS: startS }, relayKeys), userPublicKey: undefined });
  const receipt = openSigned(r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.stop, byRelay)), { publicKey: pileKeys.publicKey, expectType: 'Receipt', crypto: nobleEd25519 });
  assert.ok(receipt.ok);
  assert.is(receipt.value.message.contractSeq, contractSeq);
  assert.equal(r.services.calls.find((c) => c.method === 'stopSession')?.args, [contractSeq, 'relay']);
});

test('Ack: a relay-signed Ack for this pile marks its records acknowledged and answers the count left', () => {
  const r = rig();
  r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher(r.selectNonce())));
  assert.is(r.services.outboxRecords.length, 1);
  const left = r.accepted(r.transfer(CHANNEL_MESSAGE_IDS.ack, signedAck({ ranges: [{ fromSeq: 1, toSeq: 1 }] })));
  assert.equal([...left], [0x00, 0x00], 'none left (u16)');
  assert.is(r.services.outboxRecords.length, 0);
});

const badData: [string, string | undefined, string][] = [
  ['ChannelStart without data', undefined, 'OccurenceConstraintViolation'],
  ['ChannelStart with data that is not base64url', 'not base64url!', 'PropertyConstraintViolation'],
  ['ChannelStart with padded base64', 'AAAA==', 'PropertyConstraintViolation'],
];
for (const [name, data, code] of badData) {
  test(`bad data: ${name} → ${code}, nothing changed`, () => {
    const r = rig();
    const answer = r.transfer(CHANNEL_MESSAGE_IDS.start, data);
    assert.is(answer.ok ? 'ok' : answer.code, code);
    assert.is(r.services.mutations.length, 0);
  });
}

test('data that decodes but is not the command\'s message: Rejected with the card\'s status word (6A80)', () => {
  const r = rig();
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.start, new Uint8Array([1, 2, 3]))), SW.wrongData);
  assert.is(r.rejectedSw(r.transfer(CHANNEL_MESSAGE_IDS.hello, new Uint8Array([0xa0]))), SW.wrongData);
  assert.is(swHex(SW.wrongData), '6A80');
  assert.is(r.services.mutations.length, 0);
});

test('parseStatusWordText reads only 4 uppercase hex digits', () => {
  assert.is(parseStatusWordText('6982'), 0x6982);
  assert.is(parseStatusWordText('6a80'), undefined);
  assert.is(parseStatusWordText('698'), undefined);
  assert.is(parseStatusWordText(6982), undefined);
});

test.run();

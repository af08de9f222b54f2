// The phone's reader side (tools/phone/pile-reader.ts): every command against the card application
// (with the RecordingPileServicesDouble) over the simulated field, chaining and GET RESPONSE, typed
// refusals per status word, and a pile whose answers break the protocol (scripted transports).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SW, encodeOutboxAnswer, encodeResponseApdu } from '../../contracts-offline/apdu.ts';
import { encodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodePileInfo } from '../../contracts-offline/messages/pile-info.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { NfcTagLostError } from '../../hal/sim/nfc-field.ts';
import { COMMAND_APDU_MAX_BYTES, type IsoDepTransport, PileReader, expectShortCommandApdu } from '../../tools/phone/pile-reader.ts';
import { ApduTooLongError, PileAnswerError, PileRefusedError, describeStatusWord } from '../../tools/phone/errors.ts';
import {
  doubleRig, otherUserKeys, pileId, pileKeys, pileUpdate, relayKeys, signedAck, signedStop, signedUpdate, signedVoucher, startS, userKeys,
} from '../support/tap-kit.ts';

const userHello = { userKid: userKeys.kid, displayName: 'Ada', phoneNonce: new Uint8Array(12).fill(3) };

async function refusal(promise: Promise<unknown>): Promise<PileRefusedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PileRefusedError) return error;
    throw error;
  }
  throw new Error('expected a PileRefusedError');
}

async function answerError(promise: Promise<unknown>): Promise<PileAnswerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PileAnswerError) return error;
    throw error;
  }
  throw new Error('expected a PileAnswerError');
}

test('a whole session through the reader: select, hello, update, start, stop, outbox, ack', async () => {
  const rig = doubleRig();
  const { tap, reader } = rig.tap();
  const hello = await reader.select();
  assert.equal(hello.pileId, pileId);
  reader.trustPileKey(pileKeys.publicKey);
  const info = await reader.hello(userHello);
  assert.is(info.message.label, 'Double bay 1');
  await reader.update(signedUpdate(pileUpdate(4)));
  assert.is(rig.services.pileConfig.configVersion, 4);
  const contract = await reader.start(signedVoucher(hello.pileNonce, { tariffVersion: 4 }));
  assert.is(contract.message.seq, 1);
  const stopNonce = (await reader.select()).pileNonce;
  const receipt = await reader.stop(signedStop({ pileId, contractSeq: 1, pileNonce: stopNonce, atS: startS }, userKeys), userKeys.publicKey);
  assert.is(receipt.message.contractSeq, 1);
  const page = await reader.outbox(0);
  assert.equal(page.records.map((r) => [r.kind, r.seq]), [['contract', 1], ['receipt', 2]]);
  assert.equal(page.records[1]!.signed, receipt.signed);
  assert.is(await reader.ack(signedAck({ ranges: [{ fromSeq: 1, toSeq: 2 }] })), 0);
  assert.equal((await reader.outbox(0)).records, []);
  const stats = tap.stats;
  assert.ok(stats.apdus >= 10 && stats.responseBytes > 0);
});

test('allOutbox follows 61xx/GET RESPONSE and pages until nothing remains', async () => {
  const rig = doubleRig();
  let tapped = rig.tap();
  for (let i = 0; i < 5; i++) {
    const nonce = (await tapped.reader.select()).pileNonce;
    await tapped.reader.start(signedVoucher(nonce, { voucherId: Uint8Array.of(0x70, 0, 0, 0, 0, 0, 0, i) }));
    const stopNonce = (await tapped.reader.select()).pileNonce;
    await tapped.reader.stop(signedStop({ pileId, contractSeq: 2 * i + 1, pileNonce: stopNonce, atS: startS }, relayKeys));
  }
  tapped.tap.end();
  tapped = rig.tap(); // any phone, a later tap
  await tapped.reader.select();
  tapped.reader.trustPileKey(pileKeys.publicKey);
  const before = tapped.tap.stats.apdus;
  const all = await tapped.reader.allOutbox();
  assert.equal(all.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(all.map((r) => r.kind), ['contract', 'receipt', 'contract', 'receipt', 'contract', 'receipt', 'contract', 'receipt', 'contract', 'receipt']);
  assert.ok(tapped.tap.stats.apdus - before > 3, 'three OUTBOX commands, some with GET RESPONSE');
  assert.equal((await tapped.reader.allOutbox(8)).map((r) => r.seq), [9, 10]);
});

test('refusals are PileRefusedError with the status word and what it means', async () => {
  const rig = doubleRig();
  const { reader } = rig.tap();
  const notSelected = await refusal(reader.hello(userHello));
  assert.is(notSelected.sw, SW.notAllowed);
  assert.is(notSelected.command, 'HELLO');
  assert.is(notSelected.message, 'HELLO refused by the pile: 6986 the tapcharge application is not selected in this tap');
  const nonce = (await reader.select()).pileNonce;
  await reader.start(signedVoucher(nonce));
  const replay = await refusal(reader.start(signedVoucher(nonce)));
  assert.is(replay.sw, SW.referenceNotUsable);
  assert.is(replay.startRefusal, 'nonce-used');
  assert.is(replay.message, 'START refused by the pile: 6984 Voucher already used: tap again', 'a START refusal names its condition');
  const forged = await refusal(reader.update(signedUpdate(pileUpdate(5), otherUserKeys)));
  assert.is(forged.sw, SW.securityNotSatisfied);
  assert.is(describeStatusWord(0x6a84), "the pile's journal is full");
});

test('long commands are chained by the reader; the card refuses a chain over 1024 bytes with 6700', async () => {
  const rig = doubleRig();
  const { tap, reader } = rig.tap();
  await reader.select();
  const before = tap.stats.apdus;
  const junk = await refusal(reader.update(new Uint8Array(600).fill(0xa1)));
  assert.is(junk.sw, SW.wrongData, 'joined, then refused as malformed');
  assert.is(tap.stats.apdus - before, 3, '255 + 255 + 90 bytes');
  const tooLong = await refusal(reader.ack(new Uint8Array(1100)));
  assert.is(tooLong.sw, SW.wrongLength);
  assert.equal(rig.services.mutations, []);
});

test('a tag lost mid-command rejects with the transport error', async () => {
  const rig = doubleRig();
  const { tap, reader } = rig.tap();
  await reader.select();
  tap.loseField();
  try {
    await reader.outbox(0);
    assert.unreachable('the tag is gone');
  } catch (error) {
    assert.instance(error, NfcTagLostError);
  }
});

/** A transport that plays the given responses in order and records the commands. */
function scripted(responses: Uint8Array[]): IsoDepTransport & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    async transceive(apdu: Uint8Array) {
      sent.push(apdu);
      const next = responses.shift();
      if (!next) throw new Error('script: no more responses');
      return next;
    },
  };
}

const ok = (data: Uint8Array = new Uint8Array(0)) => encodeResponseApdu(data, SW.ok);
const pileHelloBytes = encodePileHello({ pileId, firmwareVersion: '1', configVersion: 1, state: 'available', outboxCount: 0, pileNonce: new Uint8Array(16) });

test('the reader refuses answers that break the protocol with PileAnswerError', async () => {
  const signedInfo = (phoneNonce: Uint8Array, key = pileKeys) =>
    signMessage(encodePileInfo({ pileId, phoneNonce, state: 'available', configVersion: 1, tariff: { version: 1, energyMinorPerKwh: 1, timeMinorPerHour: 0, sessionFeeMinor: 0 }, label: 'x' }), key.secretKey);
  const cases: [string, Uint8Array[], (reader: PileReader) => Promise<unknown>, RegExp][] = [
    ['response under 2 bytes', [new Uint8Array(1)], (r) => r.select(), /shorter than 2 bytes/],
    ['SELECT answer not a PileHello', [ok(new Uint8Array([1, 2]))], (r) => r.select(), /SELECT: .*cbor/],
    ['PileInfo over another nonce', [ok(signedInfo(new Uint8Array(12)))], (r) => r.hello(userHello), /does not cover our phone nonce/],
    ['refusal with data', [encodeResponseApdu(new Uint8Array([1]), 0x6985)], (r) => r.update(new Uint8Array(10)), /refusal came with data/],
    ['UPDATE answered with data', [ok(new Uint8Array([1]))], (r) => r.update(new Uint8Array(10)), /expected no data/],
    ['61xx forever', Array.from({ length: 40 }, () => encodeResponseApdu(new Uint8Array(200), 0x6100)), (r) => r.ack(new Uint8Array(3)), /longer than 4096/],
    ['61xx without data', [encodeResponseApdu(new Uint8Array(0), 0x6110), encodeResponseApdu(new Uint8Array(0), 0x6110)], (r) => r.ack(new Uint8Array(3)), /brought no data/],
    ['ACK count not 2 bytes', [ok(new Uint8Array(3))], (r) => r.ack(new Uint8Array(3)), /expected 2 bytes/],
    ['OUTBOX not the outbox shape', [ok(new Uint8Array([0x80]))], (r) => r.outbox(0), /OUTBOX answer is not/],
    ['OUTBOX record is a PileInfo', [ok(encodeOutboxAnswer({ records: [signedInfo(new Uint8Array(12))], remaining: 0 }))], (r) => r.outbox(0), /a PileInfo is not a billing record/],
    ['OUTBOX remaining but no records', [ok(encodeOutboxAnswer({ records: [], remaining: 3 }))], (r) => r.outbox(0), /no records but 3 remaining/],
  ];
  for (const [what, responses, call, reason] of cases) {
    const error = await answerError(call(new PileReader(scripted(responses))));
    assert.match(error.message, reason, what);
  }
  const trusting = new PileReader(scripted([ok(signedInfo(userHello.phoneNonce, otherUserKeys))]));
  trusting.trustPileKey(pileKeys.publicKey);
  assert.match((await answerError(trusting.hello(userHello))).message, /kid mismatch/, 'signed by another key than the trusted pile key');
});

test('a chain part answered with anything but a bare 9000 stops the command', async () => {
  const transport = scripted([ok(new Uint8Array([7]))]);
  const error = await answerError(new PileReader(transport).update(new Uint8Array(300)));
  assert.match(error.message, /chained part was answered with data/);
  const refused = await refusal(new PileReader(scripted([encodeResponseApdu(new Uint8Array(0), SW.notAllowed)])).update(new Uint8Array(300)));
  assert.is(refused.sw, SW.notAllowed);
});

test('own bad arguments throw TypeError/RangeError before anything is sent', async () => {
  const transport = scripted([ok(pileHelloBytes)]);
  const reader = new PileReader(transport);
  assert.throws(() => reader.trustPileKey(new Uint8Array(31)), /"publicKey" expected 32 bytes, got 31/);
  await reader.start(new Uint8Array([1])).then(() => assert.unreachable(), (error: unknown) => assert.instance(error, TypeError));
  await reader.outbox(-1).then(() => assert.unreachable(), (error: unknown) => assert.instance(error, RangeError));
  assert.is(transport.sent.length, 0);
});

test('no command APDU over 261 bytes: long data is chained into short APDUs; a longer one is refused unsent', async () => {
  const transport = scripted([ok(), ok(), ok(), ok()]);
  await new PileReader(transport).update(new Uint8Array(1000)); // near the 1024 bytes a chain may carry
  assert.equal(transport.sent.map((apdu) => apdu.length), [260, 260, 260, 241]); // 3 chained parts of 255 (no Le), then 235 + Le
  assert.is(COMMAND_APDU_MAX_BYTES, 261);
  expectShortCommandApdu(new Uint8Array(261));
  try {
    expectShortCommandApdu(new Uint8Array(262));
    assert.unreachable('a 262-byte APDU passed');
  } catch (error) {
    assert.instance(error, ApduTooLongError);
    assert.is((error as ApduTooLongError).byteLength, 262);
    assert.is((error as ApduTooLongError).maxBytes, 261);
    assert.match((error as Error).message, /^command APDU of 262 bytes refused: the link carries at most 261/);
  }
});

test.run();

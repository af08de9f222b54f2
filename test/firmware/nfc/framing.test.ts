// ISO-DEP framing of the NFC application (firmware/nfc/README.md "Framing"): selection, header
// checks, command chaining and its limits, 61xx + GET RESPONSE paging, field loss mid-chain and
// mid-answer. Runs against the RecordingPileServicesDouble.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CHAIN_MAX_BYTES, CLA_CHAINING_BIT, CLA_ISO, CLA_PROPRIETARY, INS, SW, TAPCHARGE_AID, chainCommand, encodeOutboxAnswer,
  encodeOutboxRequest, getResponseCommand, selectCommand,
} from '../../../contracts-offline/apdu.ts';
import { concatBytes, equalBytes } from '../../../contracts-offline/bytes.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { command, dataOf, doubleRig, pileId, statusOf, userKeys } from '../../support/tap-kit.ts';

const userHello = encodeUserHello({ userKid: userKeys.kid, displayName: 'Ada', phoneNonce: new Uint8Array(12).fill(5) });

test('SELECT answers a PileHello with a fresh 16-byte nonce and the pile\'s own fields', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  const first = tap.transceive(selectCommand());
  const second = tap.transceive(selectCommand());
  assert.is(statusOf(first), SW.ok);
  const hello = decodePileHello(dataOf(first));
  assert.ok(hello.ok);
  if (!hello.ok) return;
  assert.equal(hello.value.pileId, pileId);
  assert.is(hello.value.configVersion, 3);
  assert.is(hello.value.state, 'preparing');
  assert.is(hello.value.pileNonce.length, 16);
  const again = decodePileHello(dataOf(second));
  assert.ok(again.ok && !equalBytes(again.value.pileNonce, hello.value.pileNonce));
});

test('every command but SELECT needs the application selected in this tap (6986), even across taps', () => {
  const rig = doubleRig();
  let { tap } = rig.tap();
  for (const ins of [INS.hello, INS.update, INS.start, INS.stop, INS.outbox, INS.ack]) {
    assert.is(statusOf(tap.transceive(command(ins, new Uint8Array([1, 2, 3, 4])))), SW.notAllowed, `INS ${ins}`);
  }
  assert.is(statusOf(tap.transceive(getResponseCommand(256))), SW.notAllowed);
  assert.is(statusOf(tap.transceive(selectCommand())), SW.ok);
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.ok);
  tap.end();
  ({ tap } = rig.tap());
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.notAllowed, 'selection ends with the tap');
  assert.equal(rig.services.mutations.map((c) => c.method), ['greet']);
});

test('SELECT of another AID answers 6A82 and deselects; wrong P1/P2 6A86', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const otherAid = Uint8Array.from(TAPCHARGE_AID);
  otherAid[7] = 0x32;
  assert.is(statusOf(tap.transceive(command(INS.select, otherAid, { cla: CLA_ISO, p1: 4 }))), SW.appNotFound);
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.notAllowed);
  assert.is(statusOf(tap.transceive(command(INS.select, Uint8Array.from(TAPCHARGE_AID).subarray(0, 5), { cla: CLA_ISO, p1: 4 }))), SW.appNotFound);
  assert.is(statusOf(tap.transceive(command(INS.select, Uint8Array.from(TAPCHARGE_AID), { cla: CLA_ISO, p1: 0 }))), SW.wrongP1P2);
  assert.is(statusOf(tap.transceive(command(INS.select, Uint8Array.from(TAPCHARGE_AID), { cla: CLA_ISO, p1: 4, p2: 0x0c }))), SW.wrongP1P2);
});

test('header checks: class 6E00, instruction 6D00, P1/P2 6A86, length 6700', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const cases: [Uint8Array, number, string][] = [
    [command(INS.hello, userHello, { cla: 0x40 }), SW.claNotSupported, 'CLA 40'],
    [command(INS.hello, userHello, { cla: 0x84 }), SW.claNotSupported, 'secure messaging CLA 84'],
    [command(INS.select, Uint8Array.from(TAPCHARGE_AID), { cla: CLA_ISO | CLA_CHAINING_BIT, p1: 4 }), SW.claNotSupported, 'chained SELECT'],
    [command(0x20, userHello), SW.insNotSupported, 'unknown proprietary INS'],
    [command(INS.hello, userHello, { cla: CLA_ISO }), SW.insNotSupported, 'HELLO with CLA 00'],
    [command(INS.select, Uint8Array.from(TAPCHARGE_AID), { cla: CLA_PROPRIETARY, p1: 4 }), SW.insNotSupported, 'SELECT with CLA 80'],
    [command(INS.hello, userHello, { p1: 1 }), SW.wrongP1P2, 'HELLO P1 01'],
    [command(INS.outbox, encodeOutboxRequest(0), { p2: 0xff }), SW.wrongP1P2, 'OUTBOX P2 FF'],
    [command(INS.getResponse, new Uint8Array(0), { cla: CLA_ISO, p1: 1, le: 256 }), SW.wrongP1P2, 'GET RESPONSE P1 01'],
    [Uint8Array.of(0x80, INS.hello, 0, 0, 10, 1, 2, 3), SW.wrongLength, 'Lc 10 with 3 bytes'],
    [Uint8Array.of(0x80, INS.hello, 0, 0, 0, 0, 3, 1, 2, 3), SW.wrongLength, 'extended length'],
    [command(INS.outbox, new Uint8Array(3)), SW.wrongLength, 'OUTBOX with 3 bytes'],
    [command(INS.outbox, new Uint8Array(5)), SW.wrongLength, 'OUTBOX with 5 bytes'],
  ];
  for (const [apdu, sw, what] of cases) assert.is(statusOf(tap.transceive(apdu)), sw, what);
  assert.equal(rig.services.mutations, []);
});

test('frames a reader would never send still get a status word, not an exception', () => {
  const rig = doubleRig();
  rig.handler.onFieldOn();
  assert.is(statusOf(rig.handler.onApdu(new Uint8Array(0))), SW.wrongLength);
  assert.is(statusOf(rig.handler.onApdu(Uint8Array.of(0x00, 0xa4, 0x04))), SW.wrongLength);
  assert.is(statusOf(rig.handler.onApdu(undefined as unknown as Uint8Array)), SW.wrongLength);
  rig.handler.onFieldOff();
});

test('a chained command is joined: parts answer 9000 without data, the last part answers the command', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const parts = chainCommand(CLA_PROPRIETARY, INS.hello, 0, 0, userHello, 7);
  assert.ok(parts.length > 3);
  for (const part of parts.slice(0, -1)) assert.equal(Array.from(tap.transceive(part)), [0x90, 0x00]);
  assert.is(statusOf(tap.transceive(parts[parts.length - 1]!)), SW.ok);
  assert.equal(rig.services.mutations.map((c) => c.method), ['greet']);
});

test(`a chain joins at most ${CHAIN_MAX_BYTES} bytes: exactly that is handed to the command, one more is 6700`, () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const exact = chainCommand(CLA_PROPRIETARY, INS.update, 0, 0, new Uint8Array(CHAIN_MAX_BYTES).fill(0xa1));
  for (const part of exact.slice(0, -1)) assert.is(statusOf(tap.transceive(part)), SW.ok);
  assert.is(statusOf(tap.transceive(exact[exact.length - 1]!)), SW.wrongData, 'joined and decoded: not a COSE_Sign1');

  const over = chainCommand(CLA_PROPRIETARY, INS.update, 0, 0, new Uint8Array(CHAIN_MAX_BYTES + 1).fill(0xa1));
  const answers = over.map((part) => statusOf(tap.transceive(part)));
  assert.equal(answers.slice(0, 4), [SW.ok, SW.ok, SW.ok, SW.ok]);
  assert.is(answers[4], SW.wrongLength, 'the part that crosses the limit');
  assert.equal(rig.services.mutations, []);
});

test('a chain broken by another INS, other P1/P2, SELECT or GET RESPONSE answers 6883 and is dropped', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const parts = chainCommand(CLA_PROPRIETARY, INS.hello, 0, 0, userHello, 16);
  const breakers = [
    command(INS.ack, new Uint8Array(4)),
    command(INS.hello, userHello.subarray(16, 32), { cla: CLA_PROPRIETARY | CLA_CHAINING_BIT, p1: 1 }),
    selectCommand(),
    getResponseCommand(256),
    command(INS.hello, userHello, { cla: 0x40 }),
  ];
  for (const breaker of breakers) {
    assert.is(statusOf(tap.transceive(parts[0]!)), SW.ok);
    assert.is(statusOf(tap.transceive(breaker)), SW.chainBroken);
    // The rest of the chain now stands alone: its first bytes are not a UserHello.
    assert.is(statusOf(tap.transceive(parts[parts.length - 1]!)), SW.wrongData);
  }
  assert.equal(rig.services.mutations, []);
  assert.is(statusOf(tap.transceive(selectCommand())), SW.ok, 'the application stays selected');
});

test('field loss mid-chain drops the chain: nothing half-received is ever executed', () => {
  const rig = doubleRig();
  let { tap } = rig.tap();
  tap.transceive(selectCommand());
  const parts = chainCommand(CLA_PROPRIETARY, INS.hello, 0, 0, userHello, 20);
  tap.transceive(parts[0]!);
  tap.loseField();
  ({ tap } = rig.tap());
  assert.is(statusOf(tap.transceive(parts[1]!)), SW.notAllowed);
  tap.transceive(selectCommand());
  for (const part of parts.slice(1, -1)) assert.is(statusOf(tap.transceive(part)), SW.ok);
  assert.is(statusOf(tap.transceive(parts[parts.length - 1]!)), SW.wrongData, 'the chain restarted at part 2');
  assert.equal(rig.services.mutations, []);
});

function fillOutbox(rig: ReturnType<typeof doubleRig>, count: number, recordBytes: number): Uint8Array[] {
  const records: Uint8Array[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const bytes = new Uint8Array(recordBytes).fill(seq);
    rig.services.outboxRecords.push({ seq, bytes });
    records.push(bytes);
  }
  return records;
}

test('a long answer comes as 256 bytes + 61xx, then GET RESPONSE with any Le until 9000', () => {
  const rig = doubleRig();
  const records = fillOutbox(rig, 6, 182);
  const expected = encodeOutboxAnswer({ records: records.slice(0, 4), remaining: 2 });
  assert.is(expected.length, 3 + 4 * 184);
  const { tap } = rig.tap();
  tap.transceive(selectCommand());
  const first = tap.transceive(command(INS.outbox, encodeOutboxRequest(0), { le: 256 }));
  assert.is(dataOf(first).length, 256);
  assert.is(statusOf(first), 0x6100, '61 00: 256 or more left');
  const second = tap.transceive(getResponseCommand(16));
  assert.is(dataOf(second).length, 16);
  assert.is(statusOf(second), 0x6100, '61 00: still 467 left');
  const third = tap.transceive(getResponseCommand(256));
  assert.is(statusOf(third), 0x6100 | (expected.length - 528));
  const fourth = tap.transceive(getResponseCommand(expected.length - 528));
  assert.is(statusOf(fourth), SW.ok);
  assert.equal(concatBytes(dataOf(first), dataOf(second), dataOf(third), dataOf(fourth)), expected);
  assert.is(statusOf(tap.transceive(getResponseCommand(256))), SW.chainBroken, 'nothing pending any more');
});

test('another command drops the rest of a long answer; field loss mid-answer too', () => {
  const rig = doubleRig();
  fillOutbox(rig, 4, 150);
  let { tap } = rig.tap();
  tap.transceive(selectCommand());
  assert.is(statusOf(tap.transceive(command(INS.outbox, encodeOutboxRequest(0)))) >> 8, 0x61);
  assert.is(statusOf(tap.transceive(selectCommand())), SW.ok);
  assert.is(statusOf(tap.transceive(getResponseCommand(256))), SW.chainBroken);

  assert.is(statusOf(tap.transceive(command(INS.outbox, encodeOutboxRequest(0)))) >> 8, 0x61);
  tap.loseField();
  ({ tap } = rig.tap());
  tap.transceive(selectCommand());
  assert.is(statusOf(tap.transceive(getResponseCommand(256))), SW.chainBroken);
  assert.equal(rig.services.outboxRecords.length, 4, 'OUTBOX changed nothing');
});

test('a fault inside the pile answers 6F00 and the application keeps answering', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  assert.is(statusOf(tap.transceive(selectCommand())), SW.ok);
  rig.services.throwNext = 'config';
  assert.is(statusOf(tap.transceive(selectCommand())), SW.deviceFault);
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.notAllowed, 'a failed SELECT selects nothing');
  assert.is(statusOf(tap.transceive(selectCommand())), SW.ok);
  rig.services.throwNext = 'greet';
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.deviceFault);
  assert.is(statusOf(tap.transceive(command(INS.hello, userHello))), SW.ok);
});

test.run();

// The NFC payloads that are not signed messages (contracts-offline/apdu.ts, firmware/nfc/README.md):
// SELECT and GET RESPONSE frames, OUTBOX request and answer, ACK answer, STOP data — hex vectors
// both ways, and strict parsing of everything another encoder could have written differently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeAckAnswer, encodeOutboxAnswer, encodeOutboxRequest, encodeStopData, getResponseCommand, parseAckAnswer, parseOutboxAnswer,
  parseOutboxRequest, parseStopData, selectCommand,
} from '../../contracts-offline/apdu.ts';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';

test('SELECT and GET RESPONSE frames', () => {
  assert.is(bytesToHex(selectCommand()), '00a4040008f05441504348473100');
  assert.is(bytesToHex(getResponseCommand(256)), '00c0000000');
  assert.is(bytesToHex(getResponseCommand(0x22)), '00c0000022');
  assert.throws(() => getResponseCommand(0), /"le" expected 1..256, got 0/);
});

test('OUTBOX request: 4-byte big-endian sequence', () => {
  assert.is(bytesToHex(encodeOutboxRequest(0)), '00000000');
  assert.is(bytesToHex(encodeOutboxRequest(0x01020304)), '01020304');
  assert.is(bytesToHex(encodeOutboxRequest(0xffff_ffff)), 'ffffffff');
  assert.equal(parseOutboxRequest(hexToBytes('ffffffff')), { ok: true, value: 0xffff_ffff });
  assert.not.ok(parseOutboxRequest(hexToBytes('000000')).ok);
  assert.throws(() => encodeOutboxRequest(2 ** 32), /"afterSeq" expected 0..2\^32-1/);
  assert.throws(() => encodeOutboxRequest(-1), RangeError);
});

test('ACK answer: 2-byte big-endian count, capped at 65535', () => {
  assert.is(bytesToHex(encodeAckAnswer(0)), '0000');
  assert.is(bytesToHex(encodeAckAnswer(300)), '012c');
  assert.is(bytesToHex(encodeAckAnswer(70_000)), 'ffff');
  assert.equal(parseAckAnswer(hexToBytes('012c')), { ok: true, value: 300 });
  assert.not.ok(parseAckAnswer(hexToBytes('01')).ok);
});

const record24 = new Uint8Array(24).fill(0xab);

test('OUTBOX answer: deterministic CBOR [[records…], remaining], both ways', () => {
  const vectors: [string, { records: Uint8Array[]; remaining: number }, string][] = [
    ['empty', { records: [], remaining: 0 }, '828000'],
    ['two short records, 7 remaining', { records: [hexToBytes('01'), hexToBytes('0203')], remaining: 7 }, '8282410142020307'],
    ['a 24-byte record (1-byte length head), 300 remaining', { records: [record24], remaining: 300 }, `82815818${'ab'.repeat(24)}19012c`],
    ['a 300-byte record (2-byte length head)', { records: [new Uint8Array(300)], remaining: 0 }, `828159012c${'00'.repeat(300)}00`],
    ['70000 remaining (4-byte head)', { records: [], remaining: 70_000 }, '82801a00011170'],
  ];
  for (const [what, answer, hex] of vectors) {
    assert.is(bytesToHex(encodeOutboxAnswer(answer)), hex, what);
    assert.equal(parseOutboxAnswer(hexToBytes(hex)), { ok: true, value: answer }, what);
  }
  assert.throws(() => encodeOutboxAnswer({ records: [record24, record24, record24, record24, record24], remaining: 0 }), /at most 4, got 5/);
});

test('OUTBOX answer parsing is strict and never throws', () => {
  const refused: [string, string][] = [
    ['empty input', ''],
    ['not an array', 'a0'],
    ['array of 3', '83800000'],
    ['5 records', `8285${'4100'.repeat(5)}00`],
    ['non-canonical record length', '82815801aa00'],
    ['non-canonical remaining', '8280180a'],
    ['negative remaining', '828020'],
    ['text record', '8281616100'],
    ['record running past the end', '8281430102'],
    ['trailing byte', '82800000'],
    ['indefinite-length array', '9f80ff00'],
    ['8-byte remaining', '82801b0000000000000001'],
  ];
  for (const [what, hex] of refused) assert.not.ok(parseOutboxAnswer(hexToBytes(hex)).ok, what);
});

test('STOP data: [COSE] or [COSE, 32-byte key], strict', () => {
  const cose = hexToBytes('d28443a10126a0');
  const key = new Uint8Array(32).fill(7);
  assert.is(bytesToHex(encodeStopData({ signedStopRequest: cose, userPublicKey: undefined })), '8147d28443a10126a0');
  assert.is(bytesToHex(encodeStopData({ signedStopRequest: cose, userPublicKey: key })), `8247d28443a10126a05820${'07'.repeat(32)}`);
  assert.equal(parseStopData(hexToBytes(`8247d28443a10126a05820${'07'.repeat(32)}`)), { ok: true, value: { signedStopRequest: cose, userPublicKey: key } });
  assert.equal(parseStopData(hexToBytes('8147d28443a10126a0')), { ok: true, value: { signedStopRequest: cose, userPublicKey: undefined } });
  for (const [what, hex] of [
    ['empty array', '80'],
    ['3 items', '83410141024103'],
    ['31-byte key', `824101581f${'07'.repeat(31)}`],
    ['key as text', `82410178${'20'}${'61'.repeat(32)}`],
    ['trailing', '81410100'],
    ['bare byte string', '4101'],
  ] as const) assert.not.ok(parseStopData(hexToBytes(hex)).ok, what);
  assert.throws(() => encodeStopData({ signedStopRequest: cose, userPublicKey: key.subarray(1) }), /"userPublicKey" expected 32 bytes, got 31/);
});

test.run();

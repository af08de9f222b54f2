// Console messages: hex vectors (encode → exact bytes, decode back), every command's request and
// answer round-trip, and the strict refusals the pile answers with an Error. XS-safe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../../contracts-offline/cbor-decode.ts';
import type { CborMap } from '../../../contracts-offline/cbor-value.ts';
import { CONSOLE_BODY_MAX_BYTES } from '../../../contracts-offline/console/frame.ts';
import {
  CONSOLE_COMMANDS,
  CONSOLE_ERROR_CODES,
  type ConsoleAnswerMap,
  type ConsoleCommand,
  type ConsoleRequestMap,
  decodeConsoleAnswer,
  decodeConsoleRequest,
  encodeConsoleAnswer,
  encodeConsoleError,
  encodeConsoleRequest,
} from '../../../contracts-offline/console/messages.ts';

const pileId = hexToBytes('50a1e00000000017');
const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const cose = (length: number): Uint8Array => new Uint8Array(length).fill(0xd2);
const challenge = hexToBytes('000102030405060708090a0b0c0d0e0f');

const requests: { [C in ConsoleCommand]: ConsoleRequestMap[C] } = {
  Identify: { requestId: 1 },
  CreateKey: { requestId: 2 },
  Provision: { requestId: 3, pileId, relayPublicKey: key(0x11), pilePublicKey: key(0x22), pileUpdate: cose(140), authorization: cose(150), firstBillingSeq: 1 },
  ReadProvisioning: { requestId: 4 },
  Status: { requestId: 5 },
  Logs: { requestId: 6, afterSeq: 300 },
  SelfTest: { requestId: 7 },
  SetClock: { requestId: 8, atS: 1_795_000_000, authorization: cose(150) },
  FactoryReset: { requestId: 65_535, authorization: cose(150) },
};

const blankIdentify: ConsoleAnswerMap['Identify'] = {
  requestId: 1, board: 'host', firmwareVersion: '0.1.0', configVersion: 0, pileId: new Uint8Array(0), pilePublicKey: new Uint8Array(0),
  provisioning: 'blank', state: 'unavailable', fault: '', challenge, clockS: 1_795_000_000,
};
const answers: { [C in ConsoleCommand]: ConsoleAnswerMap[C] } = {
  Identify: { ...blankIdentify, configVersion: 4, pileId, pilePublicKey: key(0x22), provisioning: 'provisioned', state: 'available' },
  CreateKey: { requestId: 2, pilePublicKey: key(0x22) },
  Provision: { requestId: 3, pileId, configVersion: 4 },
  ReadProvisioning: { requestId: 4, pileId, relayPublicKey: key(0x11), pilePublicKey: key(0x22), pileUpdate: cose(140), firstBillingSeq: 1 },
  Status: {
    requestId: 5, uptimeS: 3_600, journalUsedBytes: 4_096, journalTotalBytes: 65_536, unacknowledged: 2, outboxCount: 2, meterSerial: 1_234_567,
    meterEnergyWh: 1_246_912, state: 'charging', faults: [{ atS: 1_794_999_000, text: 'meter: no answer' }],
  },
  Logs: { requestId: 6, entries: [{ seq: 301, atS: 1_795_000_000, level: 'info', text: 'boot' }, { seq: 302, atS: 1_795_000_010, level: 'fault', text: 'meter: no answer' }], remaining: 0 },
  SelfTest: { requestId: 7, results: [{ part: 'contactor', outcome: 'skipped', detail: 'vehicle connected' }, { part: 'secure-element', outcome: 'pass', detail: '' }] },
  SetClock: { requestId: 8, previousAtS: 1_700_000_000, atS: 1_795_000_000 },
  FactoryReset: { requestId: 65_535 },
};

// [name, encode, exact bytes, decode back]
const vectors: [string, () => Uint8Array, string, unknown][] = [
  // {0: 64, 1: 1, 2: 1}
  ['Identify request', () => encodeConsoleRequest('Identify', { requestId: 1 }), 'a300184001010201', { command: 'Identify', request: { requestId: 1 } }],
  // {0: 69, 1: 1, 2: 0x1234, 3: 300}
  ['Logs request', () => encodeConsoleRequest('Logs', { requestId: 0x1234, afterSeq: 300 }), 'a40018450101021912340319012c', { command: 'Logs', request: { requestId: 0x1234, afterSeq: 300 } }],
  // {0: 96, 1: 1, 2: 1, 3: "host", 4: "0.1.0", 5: 0, 6: h'', 7: h'', 8: 0 blank, 9: 5 unavailable, 10: "", 11: challenge, 12: 1795000000}
  ['Identify answer of a blank pile', () => encodeConsoleAnswer('Identify', blankIdentify),
    'ad001860010102010364686f73740465302e312e30050006400740080009050a600b50000102030405060708090a0b0c0d0e0f0c1a6afd86c0', { command: 'Identify', answer: blankIdentify }],
  // {0: 102, 1: 1, 2: 9, 3: [{0: 2 meter, 1: 0 pass, 2: "SN 1234"}]}
  ['SelfTest answer', () => encodeConsoleAnswer('SelfTest', { requestId: 9, results: [{ part: 'meter', outcome: 'pass', detail: 'SN 1234' }] }),
    'a4001866010102090381a3000201000267534e2031323334', { command: 'SelfTest', answer: { requestId: 9, results: [{ part: 'meter', outcome: 'pass', detail: 'SN 1234' }] } }],
  // {0: 104, 1: 1, 2: 7}
  ['FactoryReset answer', () => encodeConsoleAnswer('FactoryReset', { requestId: 7 }), 'a300186801010207', { command: 'FactoryReset', answer: { requestId: 7 } }],
  // {0: 127, 1: 1, 2: 0, 3: 1 bad-crc, 4: "x"}
  ['Error answer to a frame it could not read', () => encodeConsoleError({ requestId: 0, code: 'bad-crc', reason: 'x' }), 'a500187f010102000301046178', { command: 'Error', error: { requestId: 0, code: 'bad-crc', reason: 'x' } }],
];

for (const [name, encode, hex, value] of vectors) {
  test(`vector: ${name}`, () => {
    const bytes = encode();
    assert.is(bytesToHex(bytes), hex);
    const decoded = name.endsWith('request') ? decodeConsoleRequest(bytes) : decodeConsoleAnswer(bytes);
    assert.equal(decoded, { ok: true, value });
  });
}

function typeOf(body: Uint8Array): unknown {
  const decoded = decodeCbor(body, { maxBytes: CONSOLE_BODY_MAX_BYTES });
  return decoded.ok && decoded.value instanceof Map ? decoded.value.get(0) : undefined;
}

test('every command: request and answer round-trip; request types 64..72, answers +32', () => {
  assert.equal([...CONSOLE_COMMANDS], ['Identify', 'CreateKey', 'Provision', 'ReadProvisioning', 'Status', 'Logs', 'SelfTest', 'SetClock', 'FactoryReset']);
  CONSOLE_COMMANDS.forEach((command, index) => {
    const request = encodeConsoleRequest(command, requests[command] as never);
    assert.is(typeOf(request), 64 + index, `${command} request type`);
    assert.equal(decodeConsoleRequest(request), { ok: true, value: { command, request: requests[command] } });
    const answer = encodeConsoleAnswer(command, answers[command] as never);
    assert.is(typeOf(answer), 96 + index, `${command} answer type`);
    assert.equal(decodeConsoleAnswer(answer), { ok: true, value: { command, answer: answers[command] } });
  });
});

test('every error code round-trips; the enum order is the README order', () => {
  assert.equal([...CONSOLE_ERROR_CODES], ['bad-frame', 'bad-crc', 'oversized', 'malformed', 'unsupported-version', 'unknown-command', 'unauthorized', 'refused', 'busy', 'device']);
  for (const code of CONSOLE_ERROR_CODES) {
    const error = { requestId: 42, code, reason: `because ${code}` };
    assert.equal(decodeConsoleAnswer(encodeConsoleError(error)), { ok: true, value: { command: 'Error', error } });
  }
});

// Re-encodes a request after editing its raw CBOR map.
function edited(command: ConsoleCommand, edit: (map: CborMap) => void): Uint8Array {
  const decoded = decodeCbor(encodeConsoleRequest(command, requests[command] as never), { maxBytes: CONSOLE_BODY_MAX_BYTES });
  if (!decoded.ok || !(decoded.value instanceof Map)) throw new Error('request does not decode');
  edit(decoded.value);
  return encodeCbor(decoded.value);
}

test('refusals keep the request id when the map is readable: unsupported-version, unknown-command, malformed', () => {
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(1, 2))), { ok: false, code: 'unsupported-version', reason: 'console: version 2, expected 1', requestId: 5 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.delete(1))), { ok: false, code: 'unsupported-version', reason: 'console: version none, expected 1', requestId: 5 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(0, 80))), { ok: false, code: 'unknown-command', reason: 'console: unknown request type 80', requestId: 5 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(0, 100))), { ok: false, code: 'unknown-command', reason: 'console: unknown request type 100', requestId: 5 }, 'an answer type is not a request');
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(0, 'x'))), { ok: false, code: 'unknown-command', reason: 'console: unknown request type a string', requestId: 5 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(3, 0))), { ok: false, code: 'malformed', reason: 'Status: unknown key 3', requestId: 5 });
  assert.equal(decodeConsoleRequest(edited('Logs', (m) => m.delete(3))), { ok: false, code: 'malformed', reason: 'Logs: missing key 3 ("afterSeq")', requestId: 6 });
  assert.equal(decodeConsoleRequest(edited('Logs', (m) => m.set(3, -1))), { ok: false, code: 'malformed', reason: 'Logs: field "afterSeq" expected 0..4294967295, got -1', requestId: 6 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(2, 0))), { ok: false, code: 'malformed', reason: 'Status: field "requestId" expected 1..65535, got 0', requestId: 0 });
  assert.equal(decodeConsoleRequest(edited('Status', (m) => m.set(2, 65_536))), { ok: false, code: 'malformed', reason: 'Status: field "requestId" expected 1..65535, got 65536', requestId: 0 });
});

test('refusals with request id 0: not CBOR, not a map, trailing bytes, over 1024 bytes', () => {
  assert.equal(decodeConsoleRequest(hexToBytes('ff')), { ok: false, code: 'malformed', reason: 'cbor: unexpected break', requestId: 0 });
  assert.equal(decodeConsoleRequest(new Uint8Array(0)), { ok: false, code: 'malformed', reason: 'cbor: empty input', requestId: 0 });
  assert.equal(decodeConsoleRequest(hexToBytes('8300184001')), { ok: false, code: 'malformed', reason: 'console: a request is a map', requestId: 0 });
  assert.equal(decodeConsoleRequest(hexToBytes('a30018400101020100')), { ok: false, code: 'malformed', reason: 'cbor: trailing bytes', requestId: 0 });
  assert.equal(decodeConsoleRequest(new Uint8Array(1025)), { ok: false, code: 'malformed', reason: 'cbor: input exceeds 1024 bytes', requestId: 0 });
});

test('console bodies may exceed the 512 bytes of a signed message, up to 1024', () => {
  const big = { ...requests.Provision, pileUpdate: cose(512), authorization: cose(400) };
  const bytes = encodeConsoleRequest('Provision', big);
  assert.ok(bytes.length > 512 && bytes.length <= CONSOLE_BODY_MAX_BYTES, `${bytes.length} bytes`);
  assert.equal(decodeConsoleRequest(bytes), { ok: true, value: { command: 'Provision', request: big } });
  assert.throws(() => encodeConsoleRequest('Provision', { ...big, authorization: cose(512) }), (e: unknown) => e instanceof RangeError && e.message === 'Provision: encoded 1122 bytes, more than 1024');
  assert.equal(decodeConsoleRequest(edited('Provision', (m) => m.set(6, cose(513)))), { ok: false, code: 'malformed', reason: 'Provision: field "pileUpdate" expected 1..512 bytes, got 513', requestId: 3 });
});

test('the largest Status and Logs answers fit in a body', () => {
  const text64 = 'w'.repeat(64);
  const status = { ...answers.Status, meterEnergyWh: Number.MAX_SAFE_INTEGER, faults: Array.from({ length: 4 }, () => ({ atS: 0xffff_ffff, text: text64 })) };
  assert.equal(decodeConsoleAnswer(encodeConsoleAnswer('Status', status)), { ok: true, value: { command: 'Status', answer: status } });
  const logs = { requestId: 65_535, entries: Array.from({ length: 8 }, () => ({ seq: 0xffff_ffff, atS: 0xffff_ffff, level: 'warning' as const, text: text64 })), remaining: 0xffff_ffff };
  assert.ok(encodeConsoleAnswer('Logs', logs).length <= CONSOLE_BODY_MAX_BYTES);
  assert.throws(() => encodeConsoleAnswer('Logs', { ...logs, entries: [...logs.entries, logs.entries[0]!] }), /LogsAnswer: field "entries" expected 0..8 items, got 9/);
});

test('pileId and pilePublicKey of Identify: empty or exactly 8 / 32 bytes', () => {
  const identify = (edit: Partial<ConsoleAnswerMap['Identify']>) => decodeConsoleAnswer(encodeCbor(mapOf(encodeConsoleAnswer('Identify', blankIdentify), edit)));
  assert.ok(identify({}).ok);
  assert.equal(identify({ pileId: new Uint8Array(5) }), { ok: false, code: 'malformed', reason: 'IdentifyAnswer: field "pileId" expected 0 or 8 bytes, got 5' });
  assert.equal(identify({ pileId: new Uint8Array(9) }), { ok: false, code: 'malformed', reason: 'IdentifyAnswer: field "pileId" expected 0..8 bytes, got 9' });
  assert.equal(identify({ pilePublicKey: new Uint8Array(31) }), { ok: false, code: 'malformed', reason: 'IdentifyAnswer: field "pilePublicKey" expected 0 or 32 bytes, got 31' });
  assert.equal(identify({ challenge: new Uint8Array(15) }), { ok: false, code: 'malformed', reason: 'IdentifyAnswer: field "challenge" expected 16 bytes, got 15' });
  assert.throws(() => encodeConsoleAnswer('Identify', { ...blankIdentify, pileId: new Uint8Array(7) }), (e: unknown) => e instanceof RangeError && e.message === 'IdentifyAnswer: field "pileId" expected 0 or 8 bytes, got 7');
  assert.throws(() => encodeConsoleRequest('Provision', { ...requests.Provision, pileId: new Uint8Array(0) }), (e: unknown) => e instanceof TypeError && e.message === 'Provision: field "pileId" expected 8 bytes, got 0');
});

// The raw map of an encoded Identify answer with some fields replaced (keys from the README table).
function mapOf(bytes: Uint8Array, edit: Partial<ConsoleAnswerMap['Identify']>): CborMap {
  const decoded = decodeCbor(bytes);
  if (!decoded.ok || !(decoded.value instanceof Map)) throw new Error('answer does not decode');
  const keys = { pileId: 6, pilePublicKey: 7, challenge: 11 } as const;
  for (const [name, value] of Object.entries(edit)) decoded.value.set(keys[name as keyof typeof keys], value as Uint8Array);
  return decoded.value;
}

test('answers: an unknown type, a request, or another version is malformed for the host', () => {
  assert.equal(decodeConsoleAnswer(encodeConsoleRequest('Identify', { requestId: 1 })), { ok: false, code: 'malformed', reason: 'console: unknown answer type 64' });
  assert.equal(decodeConsoleAnswer(hexToBytes('a300187e01010201')), { ok: false, code: 'malformed', reason: 'console: unknown answer type 126' });
  assert.equal(decodeConsoleAnswer(hexToBytes('a300186801020207')), { ok: false, code: 'malformed', reason: 'FactoryResetAnswer: unsupported version 2' });
  assert.equal(decodeConsoleAnswer(hexToBytes('a500187f010102000318630461 78'.replace(/ /g, ''))), { ok: false, code: 'malformed', reason: 'ConsoleError: field "code" expected 0..9' });
  assert.equal(decodeConsoleAnswer(hexToBytes('80')), { ok: false, code: 'malformed', reason: 'console: an answer is a map' });
});

test('encoders refuse our own bad input; an Error reason is cut to 96 UTF-8 bytes at a character boundary', () => {
  assert.throws(() => encodeConsoleRequest('Reboot' as never, { requestId: 1 } as never), (e: unknown) => e instanceof TypeError && e.message === 'console: unknown command "Reboot"');
  assert.throws(() => encodeConsoleAnswer('toString' as never, { requestId: 1 } as never), (e: unknown) => e instanceof TypeError && e.message === 'console: unknown command "toString"');
  assert.throws(() => encodeConsoleError({ requestId: 1, code: 'oops' as never, reason: '' }), /ConsoleError: field "code" expected one of bad-frame\|/);
  assert.throws(() => encodeConsoleError({ requestId: 65_536, code: 'busy', reason: '' }), /ConsoleError: field "requestId" expected 0..65535, got 65536/);
  const long = 'é'.repeat(60); // 120 bytes
  const cut = decodeConsoleAnswer(encodeConsoleError({ requestId: 3, code: 'refused', reason: long }));
  assert.equal(cut, { ok: true, value: { command: 'Error', error: { requestId: 3, code: 'refused', reason: 'é'.repeat(48) } } });
  const lone = decodeConsoleAnswer(encodeConsoleError({ requestId: 3, code: 'refused', reason: 'a\ud800b' }));
  assert.equal(lone, { ok: true, value: { command: 'Error', error: { requestId: 3, code: 'refused', reason: 'a\ufffdb' } } });
});

test.run();

// Console framing: hex vectors (a body → its exact frame), every receiver rule of
// firmware/console/README.md "Framing", and bytes split anywhere. XS-safe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, concatBytes, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { crc32 } from '../../../contracts-offline/crc32.ts';
import { CONSOLE_BODY_MAX_BYTES, CONSOLE_FRAME_MAX_BYTES, type FrameEvent, FrameReader, encodeFrame } from '../../../contracts-offline/console/frame.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

// [body, frame]: frame = COBS(body ‖ CRC-32(body) LE) ‖ 00
const vectors: [string, string, string][] = [
  // CRC-32("123456789") = 0xcbf43926 (the catalogue check value); no 0x00 anywhere: one block.
  ['the CRC check string', bytesToHex(ascii('123456789')), '0e313233343536373839' + '2639f4cb' + '00'],
  // CRC-32(a1 00 71) = 0x00f9afef: its last byte is 0x00, stuffed like any other.
  ['a CRC ending in 0x00', 'a10071', '02a1' + '0571efaff9' + '01' + '00'],
  // Identify request, id 1 ({0: 64, 1: 1, 2: 1}); CRC-32 = 0x0ad9b8ff.
  ['an Identify request', 'a3001840010102' + '01', '02a3' + '0b1840010102' + '01' + 'ffb8d90a' + '00'],
];

const bodies = (events: FrameEvent[]): string[] => events.map((e) => (e.ok ? bytesToHex(e.body) : `${e.code}`));

for (const [name, body, frame] of vectors) {
  test(`vector: ${name}`, () => {
    assert.is(bytesToHex(encodeFrame(hexToBytes(body))), frame);
    assert.equal(bodies(new FrameReader().push(hexToBytes(frame))), [body]);
  });
}

test('the largest frame: a 1024-byte body of non-zero bytes fills CONSOLE_FRAME_MAX_BYTES exactly and is read back', () => {
  assert.is(CONSOLE_BODY_MAX_BYTES, 1024);
  assert.is(CONSOLE_FRAME_MAX_BYTES, 1024 + 4 + 5 + 1);
  const body = new Uint8Array(CONSOLE_BODY_MAX_BYTES).fill(0x41);
  const frame = encodeFrame(body);
  assert.is(frame.length, CONSOLE_FRAME_MAX_BYTES);
  assert.equal(bodies(new FrameReader().push(frame)), [bytesToHex(body)]);
});

test('encodeFrame refuses our own oversized or non-byte body', () => {
  assert.throws(() => encodeFrame(new Uint8Array(1025)), (e: unknown) => e instanceof RangeError && e.message === 'console-frame: "body" expected at most 1024 bytes, got 1025');
  assert.throws(() => encodeFrame('x' as never), (e: unknown) => e instanceof TypeError && e.message === 'console-frame: "body" expected Uint8Array');
});

test('empty frames (00 00) are ignored; a frame after them is read', () => {
  const reader = new FrameReader();
  assert.equal(reader.push(hexToBytes('000000')), []);
  assert.equal(bodies(reader.push(hexToBytes('00' + vectors[0]![2]))), [vectors[0]![1]]);
});

test('bad-frame: invalid COBS, or fewer than 5 decoded bytes (no body byte before the CRC)', () => {
  const reader = new FrameReader();
  assert.equal(reader.push(hexToBytes('05112200')), [{ ok: false, code: 'bad-frame', reason: 'console-frame: cobs: code byte 5 at offset 0 points past the end (3 bytes)' }]);
  assert.equal(reader.push(hexToBytes('051122334400')), [{ ok: false, code: 'bad-frame', reason: 'console-frame: 4 bytes, fewer than a body byte and its CRC-32' }]);
  assert.equal(reader.push(hexToBytes('0100')), [{ ok: false, code: 'bad-frame', reason: 'console-frame: 0 bytes, fewer than a body byte and its CRC-32' }]);
  assert.equal(bodies(reader.push(hexToBytes(vectors[2]![2]))), [vectors[2]![1]], 'the next frame is read');
});

test('bad-crc: one flipped bit in the body or in the CRC', () => {
  const reader = new FrameReader();
  const flippedBody = hexToBytes(vectors[0]![2]);
  flippedBody[1] ^= 0x01; // '1' → '0'
  const computed = crc32(ascii('023456789')).toString(16).padStart(8, '0');
  assert.equal(reader.push(flippedBody), [{ ok: false, code: 'bad-crc', reason: `console-frame: CRC-32 0xcbf43926 does not match the body's 0x${computed}` }]);
  const flippedCrc = hexToBytes(vectors[0]![2]);
  flippedCrc[10] ^= 0x80;
  const events = reader.push(flippedCrc);
  assert.is(events.length, 1);
  assert.is(events[0]!.ok ? 'ok' : events[0]!.code, 'bad-crc');
});

test('oversized: no delimiter within CONSOLE_FRAME_MAX_BYTES gives one error, then bytes are dropped until 0x00', () => {
  const reader = new FrameReader();
  const long = new Uint8Array(CONSOLE_FRAME_MAX_BYTES - 1).fill(0x41);
  assert.equal(reader.push(long), [], 'as long as a valid frame can be, nothing yet');
  assert.equal(reader.push(hexToBytes('41')), [{ ok: false, code: 'oversized', reason: `console-frame: no delimiter within ${CONSOLE_FRAME_MAX_BYTES} bytes` }]);
  // a whole frame's bytes (its delimiter stripped) arriving while dropping are dropped with the rest
  assert.equal(reader.push(concatBytes(new Uint8Array(5000).fill(0x42), hexToBytes(vectors[0]![2]).subarray(0, -1))), []);
  assert.equal(reader.push(hexToBytes('00')), [], 'the delimiter ends the dropped frame silently');
  assert.equal(bodies(reader.push(hexToBytes(vectors[1]![2]))), [vectors[1]![1]], 'the next frame is read');
});

test('oversized: a frame within the wire limit whose body decodes past 1024 bytes', () => {
  // 1033 bytes of 01 decode to 1032 zeros: a 1028-byte body and a CRC.
  const frame = concatBytes(new Uint8Array(CONSOLE_FRAME_MAX_BYTES - 1).fill(0x01), hexToBytes('00'));
  assert.equal(new FrameReader().push(frame), [{ ok: false, code: 'oversized', reason: 'console-frame: body of 1028 bytes, more than 1024' }]);
});

test('bytes split anywhere give the same frames: one byte at a time, and every two-piece split', () => {
  const stream = hexToBytes('00' + vectors[0]![2] + 'ffff00' + vectors[1]![2] + '00' + vectors[2]![2]);
  const expected = [vectors[0]![1], 'bad-frame', vectors[1]![1], vectors[2]![1]];
  assert.equal(bodies(new FrameReader().push(stream)), expected, 'all at once');
  const reader = new FrameReader();
  const oneByOne: FrameEvent[] = [];
  for (const byte of stream) oneByOne.push(...reader.push(Uint8Array.of(byte)));
  assert.equal(bodies(oneByOne), expected, 'one byte at a time');
  for (let cut = 0; cut <= stream.length; cut++) {
    const split = new FrameReader();
    assert.equal(bodies([...split.push(stream.subarray(0, cut)), ...split.push(stream.subarray(cut))]), expected, `cut at ${cut}`);
  }
});

test.run();

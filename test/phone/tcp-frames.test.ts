// TCP bridge framing (tools/phone/tcp-frames.ts): table of good and bad byte streams.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { FRAME_MAX_PAYLOAD_BYTES, FrameReader, FrameType, encodeFrame } from '../../tools/phone/tcp-frames.ts';

test('encodeFrame: type, 2-byte big-endian length, payload', () => {
  assert.is(bytesToHex(encodeFrame(FrameType.fieldOn)), '010000');
  assert.is(bytesToHex(encodeFrame(FrameType.apdu, hexToBytes('80180000040000000000'))), '02000a80180000040000000000');
  assert.is(bytesToHex(encodeFrame(FrameType.response, hexToBytes('9000'))), '8200029000');
  assert.is(bytesToHex(encodeFrame(FrameType.control, new Uint8Array(300))).slice(0, 6), '04012c');
});

test('encodeFrame: our own bad frames throw RangeError', () => {
  assert.throws(() => encodeFrame(0x55), /unknown frame type 0x55/);
  assert.throws(() => encodeFrame(FrameType.fieldOn, new Uint8Array(1)), /expected 0..0 payload bytes, got 1/);
  assert.throws(() => encodeFrame(FrameType.apdu, new Uint8Array(262)), /expected 4..261 payload bytes, got 262/);
  assert.throws(() => encodeFrame(FrameType.control, new Uint8Array(FRAME_MAX_PAYLOAD_BYTES + 1)), /exceeds 1024/);
});

test('FrameReader: frames split at every byte boundary and several per chunk reassemble', () => {
  const stream = Uint8Array.from([...encodeFrame(FrameType.fieldOn), ...encodeFrame(FrameType.apdu, hexToBytes('00a4040008f05441504348473100')), ...encodeFrame(FrameType.fieldOff)]);
  for (let split = 0; split <= stream.length; split++) {
    const reader = new FrameReader();
    const first = reader.push(stream.slice(0, split));
    const second = reader.push(stream.slice(split));
    assert.ok(first.ok && second.ok);
    const frames = [...first.value, ...second.value];
    assert.equal(frames.map((f) => f.type), [FrameType.fieldOn, FrameType.apdu, FrameType.fieldOff], `split at ${split}`);
    assert.is(bytesToHex(frames[1]!.payload), '00a4040008f05441504348473100');
    assert.is(reader.pendingBytes, 0);
  }
  const reader = new FrameReader();
  const partial = reader.push(hexToBytes('020005'));
  assert.ok(partial.ok);
  assert.is(partial.value.length, 0);
  assert.is(reader.pendingBytes, 3);
});

const badStreams: [string, string, RegExp][] = [
  ['unknown type', '550000', /unknown frame type 0x55/],
  ['oversized length (refused from the header alone)', '04ffff', /payload of 65535 bytes exceeds 1024/],
  ['just over the maximum', '040401', /payload of 1025 bytes exceeds 1024/],
  ['FIELD_ON with a payload', '01000100', /type 0x01 expected 0..0 payload bytes, got 1/],
  ['APDU shorter than a header', '020003000000', /type 0x02 expected 4..261 payload bytes, got 3/],
  ['APDU longer than Android transceives', '020106', /type 0x02 expected 4..261 payload bytes, got 262/],
  ['HTTP request on the bridge port', '474554202f20485454502f312e310d0a', /unknown frame type 0x47/],
  ['good frame then garbage', '010000ff0000', /unknown frame type 0xff/],
];

for (const [name, hex, reason] of badStreams) {
  test(`FrameReader refuses: ${name}`, () => {
    const reader = new FrameReader();
    const result = reader.push(hexToBytes(hex));
    assert.not.ok(result.ok);
    if (!result.ok) assert.match(result.reason, reason);
    // once failed, it stays failed (the connection is closed by its owner)
    assert.not.ok(reader.push(encodeFrame(FrameType.fieldOn)).ok);
  });
}

test.run();

// Bounded fuzz of the console's untrusted side: mutated frames through FrameReader and mutated
// bodies through decodeConsoleRequest / decodeConsoleAnswer. Nothing may throw; an accepted body
// must re-encode to the identical bytes; a refused request names an id within 0..65535.
// XS-safe; the XS harness may lower the count through globalThis.FUZZ_ITERATIONS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, equalBytes } from '../../../contracts-offline/bytes.ts';
import { FrameReader, encodeFrame } from '../../../contracts-offline/console/frame.ts';
import { decodeConsoleAnswer, decodeConsoleRequest, encodeConsoleAnswer, encodeConsoleError, encodeConsoleRequest } from '../../../contracts-offline/console/messages.ts';

// Each input goes through three decoders and the frame reader: a quarter of the shared count.
const ITERATIONS = Math.ceil(((globalThis as { FUZZ_ITERATIONS?: number }).FUZZ_ITERATIONS ?? 200_000) / 4);

// xorshift32 (Marsaglia 2003), fixed seed: every run sees the same inputs.
function prng(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % below;
  };
}

const bodies = [
  encodeConsoleRequest('Identify', { requestId: 1 }),
  encodeConsoleRequest('Logs', { requestId: 300, afterSeq: 70_000 }),
  encodeConsoleRequest('SetClock', { requestId: 9, atS: 1_795_000_000, authorization: new Uint8Array(40).fill(0xd2) }),
  encodeConsoleAnswer('Status', {
    requestId: 5, uptimeS: 1, journalUsedBytes: 2, journalTotalBytes: 3, unacknowledged: 0, outboxCount: 0, meterSerial: 7, meterEnergyWh: 8, state: 'available',
    faults: [{ atS: 1, text: 'x' }],
  }),
  encodeConsoleError({ requestId: 0, code: 'bad-crc', reason: 'console-frame: CRC-32' }),
];

function mutate(input: Uint8Array, next: (below: number) => number): Uint8Array {
  const bytes = Array.from(input);
  for (let round = 1 + next(3); round > 0; round--) {
    const at = bytes.length === 0 ? 0 : next(bytes.length);
    switch (next(4)) {
      case 0: if (bytes.length) bytes[at] = bytes[at]! ^ (1 << next(8)); break;
      case 1: if (bytes.length) bytes[at] = next(256); break;
      case 2: bytes.splice(at, 0, next(256)); break;
      default: bytes.splice(at, 1 + next(4)); break;
    }
  }
  return Uint8Array.from(bytes);
}

test(`${ITERATIONS} mutated bodies and frames: nothing throws, nothing altered accepted`, () => {
  const next = prng(0x5eed_c0de);
  const problems: string[] = [];
  const accepted = { requests: 0, answers: 0, frames: 0 };
  const reader = new FrameReader();
  for (let i = 0; i < ITERATIONS && problems.length < 5; i++) {
    const body = mutate(bodies[next(bodies.length)]!, next);
    const hex = bytesToHex(body);
    try {
      const request = decodeConsoleRequest(body);
      if (request.ok) {
        accepted.requests++;
        if (!equalBytes(encodeConsoleRequest(request.value.command, request.value.request as never), body)) problems.push(`request ${hex} re-encodes differently`);
      } else if (!(request.requestId >= 0 && request.requestId <= 0xffff)) problems.push(`request ${hex} refused with id ${request.requestId}`);
      const answer = decodeConsoleAnswer(body);
      if (answer.ok) {
        accepted.answers++;
        const again = answer.value.command === 'Error' ? encodeConsoleError(answer.value.error) : encodeConsoleAnswer(answer.value.command, answer.value.answer as never);
        if (!equalBytes(again, body)) problems.push(`answer ${hex} re-encodes differently`);
      }
      // a frame of a genuine body with its wire bytes mutated: the reader reports, never throws
      const frame = next(2) === 0 ? mutate(encodeFrame(bodies[next(bodies.length)]!), next) : encodeFrame(body.subarray(0, 1024));
      for (const event of reader.push(frame)) if (event.ok) accepted.frames++;
    } catch (error) {
      problems.push(`threw on ${hex}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log(`  console fuzz: ${ITERATIONS} inputs, accepted ${JSON.stringify(accepted)}`);
  assert.equal(problems, []);
  assert.ok(accepted.requests > 0 && accepted.frames > 0, 'the corpus reaches the accepting paths');
});

test.run();

// Bounded, seeded fuzz of the service console while a vehicle charges: 50,000 frames of random
// bytes, mutated valid frames, bad CRCs, oversized runs, unknown types, unsupported versions,
// truncated CBOR, mistyped fields and authorisations that do not check. Every frame gets exactly
// one Error answer of the code its kind calls for, in order. A twin pile fed nothing, run through
// the same virtual time, ends with the same flash image byte for byte and the same session.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from '../../../contracts-offline/crc32.ts';
import { encodeCbor } from '../../../contracts-offline/cbor-encode.ts';
import { cobsEncode } from '../../../contracts-offline/console/cobs.ts';
import { CONSOLE_FRAME_MAX_BYTES, encodeFrame } from '../../../contracts-offline/console/frame.ts';
import type { ConsoleErrorCode } from '../../../contracts-offline/console/answers.ts';
import { encodeConsoleRequest } from '../../../contracts-offline/console/messages.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { defaultEv, voucher, genuine } from '../../support/pile-rig.ts';
import { type ConsoleRig, provisionedConsoleRig } from './console-rig.ts';
import { consolePileId, otherRelay, signedAuthorization, startMs } from '../../support/console-signing.ts';

const frameCount = 50_000;
const framesPerSecond = 500;
const random = new SeededRandom(2026);

function chargingRig(): ConsoleRig {
  const rig = provisionedConsoleRig();
  rig.sim.circuit.plug(new EvSim(defaultEv));
  rig.sim.clock.advance(1000);
  assert.ok(rig.runtime.handle.services!.startSession(voucher({ mode: 'energy', energyWh: 50_000 }, 1_000_000, { pileId: consolePileId, voucherId: new Uint8Array(8).fill(3) }), 'Zoe', genuine).ok);
  rig.sim.clock.advance(5000);
  return rig;
}

function randomBytes(length: number, nonZero: boolean): Uint8Array {
  const bytes = new Uint8Array(length);
  random.fill(bytes);
  if (nonZero) for (let i = 0; i < length; i++) if (bytes[i] === 0) bytes[i] = 1 + random.below(255);
  return bytes;
}

/** Body and CRC framed by hand, so the CRC can be wrong. */
function frameWithCrc(body: Uint8Array, crc: number): Uint8Array {
  const checked = new Uint8Array(body.length + 4);
  checked.set(body);
  new DataView(checked.buffer).setUint32(body.length, crc >>> 0, true);
  const stuffed = cobsEncode(checked);
  const frame = new Uint8Array(stuffed.length + 1);
  frame.set(stuffed);
  return frame;
}

type Case = { kind: string; frame: Uint8Array; codes: readonly ConsoleErrorCode[] };

function makeCases(forged: Uint8Array): ((id: number) => Case)[] {
  const validBody = (id: number): Uint8Array => {
    switch (random.below(4)) {
      case 0: return encodeConsoleRequest('Identify', { requestId: id });
      case 1: return encodeConsoleRequest('Logs', { requestId: id, afterSeq: random.below(100) });
      case 2: return encodeConsoleRequest('SetClock', { requestId: id, atS: startMs / 1000, authorization: forged });
      default: return encodeConsoleRequest('Status', { requestId: id });
    }
  };
  const map = (entries: [number, number | string][]) => encodeCbor(new Map<number, number | string>(entries));
  return [
    () => ({ kind: 'random bytes', frame: Uint8Array.of(...randomBytes(1 + random.below(64), true), 0), codes: ['bad-frame', 'bad-crc'] }),
    (id) => {
      const frame = encodeFrame(validBody(id));
      const at = random.below(frame.length - 1);
      let flipped = frame[at]! ^ (1 << random.below(8));
      if (flipped === 0) flipped = frame[at]! ^ 0xff;
      frame[at] = flipped;
      return { kind: 'mutated valid frame', frame, codes: ['bad-frame', 'bad-crc'] };
    },
    (id) => {
      const body = validBody(id);
      return { kind: 'bad CRC', frame: frameWithCrc(body, crc32(body) ^ (1 + random.below(0xffff_fffe))), codes: ['bad-crc'] };
    },
    () => ({ kind: 'oversized run', frame: Uint8Array.of(...randomBytes(CONSOLE_FRAME_MAX_BYTES + random.below(200), true), 0), codes: ['oversized'] }),
    (id) => {
      const type = random.below(2) === 0 ? random.below(64) : 73 + random.below(1000);
      return { kind: 'unknown type', frame: encodeFrame(map([[0, type], [1, 1], [2, id]])), codes: ['unknown-command'] };
    },
    (id) => ({ kind: 'unsupported version', frame: encodeFrame(map([[0, 64 + random.below(9)], [1, 2 + random.below(10)], [2, id]])), codes: ['unsupported-version'] }),
    (id) => {
      const body = validBody(id);
      return { kind: 'truncated CBOR', frame: encodeFrame(body.subarray(0, 1 + random.below(body.length - 1))), codes: ['malformed'] };
    },
    (id) => ({ kind: 'mistyped field', frame: encodeFrame(map([[0, 69], [1, 1], [2, id], [3, 'seq']])), codes: ['malformed'] }),
    () => ({ kind: 'request id 0', frame: encodeFrame(map([[0, 68], [1, 1], [2, 0]])), codes: ['malformed'] }),
    (id) => ({ kind: 'garbage authorisation', frame: encodeFrame(encodeConsoleRequest('FactoryReset', { requestId: id, authorization: randomBytes(1 + random.below(80), false) })), codes: ['unauthorized'] }),
    (id) => ({ kind: 'forged authorisation', frame: encodeFrame(encodeConsoleRequest('SetClock', { requestId: id, atS: startMs / 1000, authorization: forged })), codes: ['unauthorized'] }),
  ];
}

test(`fuzz: ${frameCount} bad frames while charging — one Error each, nothing changed, the session unaffected`, () => {
  const fuzzed = chargingRig();
  const twin = chargingRig();
  assert.equal(fuzzed.sim.flash.contents(), twin.sim.flash.contents(), 'the twins start equal');
  const forged = signedAuthorization({ pileId: consolePileId, pilePublicKey: fuzzed.sim.keyStore.publicKey, challenge: new Uint8Array(16), scope: 'set-clock', secretKey: otherRelay.secretKey });
  const cases = makeCases(forged);
  const energyBefore = fuzzed.runtime.handle.services!.session!.usage.energyWh;
  const expected: Case[] = [];
  const byKind = new Map<string, number>();
  for (let i = 0; i < frameCount; i++) {
    // Forged signatures cost a verification each: keep them to ~1 in 50 frames.
    const pick = random.below(50) === 0 ? cases.length - 1 : random.below(cases.length - 1);
    const c = cases[pick]!(1 + (i % 0xfffe));
    expected.push(c);
    byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    fuzzed.host.sendBytes(c.frame);
    if ((i + 1) % framesPerSecond === 0) {
      fuzzed.sim.clock.advance(1000);
      twin.sim.clock.advance(1000);
    }
  }
  const answers = fuzzed.host.answers.slice(-frameCount);
  assert.is(fuzzed.host.answers.length - answers.length, 3, 'only the provisioning answers before the fuzz');
  assert.is(answers.length, frameCount, 'one answer per frame');
  const byCode = new Map<string, number>();
  answers.forEach((answer, i) => {
    if (answer.command !== 'Error') throw new Error(`frame ${i} (${expected[i]!.kind}) answered ${answer.command}`);
    const { code } = answer.error;
    if (!expected[i]!.codes.includes(code)) throw new Error(`frame ${i} (${expected[i]!.kind}) answered ${code}: ${answer.error.reason}`);
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  });
  console.log(`console fuzz: ${frameCount} frames by kind ${JSON.stringify(Object.fromEntries(byKind))}`);
  console.log(`console fuzz: answers by code ${JSON.stringify(Object.fromEntries(byCode))}`);
  for (const kind of byKind.keys()) assert.ok(byKind.get(kind)! > 100, `${kind} exercised`);

  const fuzzedSession = fuzzed.runtime.handle.services!.session!;
  const twinSession = twin.runtime.handle.services!.session!;
  assert.ok(fuzzedSession.usage.energyWh > energyBefore + 100, `energy kept counting (${energyBefore} → ${fuzzedSession.usage.energyWh} Wh)`);
  assert.equal(fuzzedSession, twinSession, 'the same session as the twin that was sent nothing');
  assert.equal(fuzzed.sim.flash.contents(), twin.sim.flash.contents(), 'the same flash image, byte for byte');
  assert.is(fuzzed.runtime.handle.services!.state(), 'charging');
});

test.run();

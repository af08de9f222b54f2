// Bounded fuzz: random and mutated inputs through every decoder and verify. Nothing may throw,
// and nothing malformed may be accepted: an accepted input must re-encode to the identical
// bytes, and a signature may only verify on an unmodified genuine message.
// XS-safe; the XS harness may lower the count through globalThis.FUZZ_ITERATIONS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, equalBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { parseSign1, verifySign1 } from '../../contracts-offline/cose-sign1.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { MESSAGE_NAMES, codecs, decodeAnyMessage } from '../../contracts-offline/messages/registry.ts';
import { samples } from '../support/samples.ts';

const FUZZ_ITERATIONS: number = (globalThis as { FUZZ_ITERATIONS?: number }).FUZZ_ITERATIONS ?? 100_000;
const SEED = 0x7a9c4a11;

// xorshift32 (Marsaglia 2003): fixed seed, so every run sees the same inputs.
function prng(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % below;
  };
}

const key = keyPairFromSecret(hexToBytes('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
const aad = hexToBytes('50a1e00000000017b1a2c3d4e5f60718');
const messages = MESSAGE_NAMES.map((name) => (codecs[name] as (typeof codecs)['Contract']).encode(samples[name] as never));
const signed = messages.map((m) => signMessage(m, key.secretKey, { externalAad: aad, kid: key.kid }));
const genuine = new Set(signed.map(bytesToHex));
const corpus = [...messages, ...signed, hexToBytes('a201020304'), hexToBytes('8301820203820405'), hexToBytes('c11a514b67b0')];
// Bytes that are likely to hit decoder edge cases: heads with each additional-information kind.
const interesting = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80, 0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd2, 0xd8, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfb, 0xff];

function mutate(input: Uint8Array, next: (below: number) => number): Uint8Array {
  let bytes = Array.from(input);
  const rounds = 1 + next(3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : next(bytes.length);
    switch (next(7)) {
      case 0: if (bytes.length) bytes[at] = bytes[at]! ^ (1 << next(8)); break;
      case 1: if (bytes.length) bytes[at] = next(256); break;
      case 2: if (bytes.length) bytes[at] = interesting[next(interesting.length)]!; break;
      case 3: bytes.splice(at, 0, next(256)); break;
      case 4: bytes.splice(at, 1 + next(4)); break;
      case 5: bytes = bytes.slice(0, at); break;
      default: bytes.splice(at, 0, ...bytes.slice(next(bytes.length + 1), next(bytes.length + 1))); break;
    }
  }
  return Uint8Array.from(bytes);
}

function randomInput(next: (below: number) => number): Uint8Array {
  const out = new Uint8Array(next(48));
  for (let i = 0; i < out.length; i++) out[i] = next(4) === 0 ? interesting[next(interesting.length)]! : next(256);
  return out;
}

test(`${FUZZ_ITERATIONS} random and mutated inputs: nothing throws, nothing malformed accepted`, () => {
  const next = prng(SEED);
  const problems: string[] = [];
  const accepted = { cbor: 0, message: 0, parsed: 0, verified: 0 };
  for (let i = 0; i < FUZZ_ITERATIONS && problems.length < 5; i++) {
    const input = next(4) === 0 ? randomInput(next) : mutate(corpus[next(corpus.length)]!, next);
    const hex = bytesToHex(input);
    try {
      const cbor = decodeCbor(input);
      if (cbor.ok) {
        accepted.cbor++;
        if (!equalBytes(encodeCbor(cbor.value), input)) problems.push(`cbor accepted non-canonical ${hex}`);
      }
      for (const name of MESSAGE_NAMES) {
        const codec = codecs[name] as (typeof codecs)['Contract'];
        const decoded = codec.decode(input);
        if (decoded.ok) {
          accepted.message++;
          if (!equalBytes(codec.encode(decoded.value), input)) problems.push(`${name} accepted ${hex} but re-encodes differently`);
        }
      }
      const any = decodeAnyMessage(input);
      if (any.ok && !cbor.ok) problems.push(`decodeAnyMessage accepted what cbor refused: ${hex}`);
      const parsed = parseSign1(input);
      if (parsed.ok) accepted.parsed++;
      const verified = verifySign1(input, key.publicKey, { externalAad: aad });
      if (verified.ok) {
        accepted.verified++;
        if (!genuine.has(hex)) problems.push(`verify accepted a modified message ${hex}`);
        if (!openSigned(input, { publicKey: key.publicKey, externalAad: aad }).ok) problems.push(`openSigned refused a genuine message ${hex}`);
      }
    } catch (error) {
      problems.push(`threw on ${hex}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log(`  fuzz: ${FUZZ_ITERATIONS} inputs, accepted ${JSON.stringify(accepted)}`);
  assert.equal(problems, []);
  // The corpus mutations must actually reach the deeper layers, or the test proves little.
  assert.ok(accepted.cbor > FUZZ_ITERATIONS / 20, `cbor accepted only ${accepted.cbor}`);
  assert.ok(accepted.parsed > FUZZ_ITERATIONS / 100, `parseSign1 accepted only ${accepted.parsed}`);
  assert.ok(accepted.message > 0 && accepted.verified > 0, JSON.stringify(accepted));
});

test.run();

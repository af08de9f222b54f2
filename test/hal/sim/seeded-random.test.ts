import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';

test('same seed, same bytes; different seed, different bytes', () => {
  const a = new Uint8Array(37), b = new Uint8Array(37), c = new Uint8Array(37);
  new SeededRandom(5).fill(a);
  new SeededRandom(5).fill(b);
  new SeededRandom(6).fill(c);
  assert.equal(a, b);
  assert.not.equal(a, c);
});

test('bytes are roughly uniform (every value appears in 64 KiB)', () => {
  const bytes = new Uint8Array(65536);
  new SeededRandom(1).fill(bytes);
  const seen = new Set(bytes);
  assert.is(seen.size, 256);
});

test('below(n) stays in range; bad bounds and seeds throw', () => {
  const r = new SeededRandom(3);
  for (let i = 0; i < 1000; i++) {
    const v = r.below(7);
    assert.ok(v >= 0 && v < 7);
  }
  assert.throws(() => r.below(0), (e: unknown) => e instanceof RangeError);
  assert.throws(() => new SeededRandom(1.5), (e: unknown) => e instanceof TypeError);
});

test.run();

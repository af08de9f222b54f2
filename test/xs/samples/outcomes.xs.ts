// Sample for test/xs/harness.test.ts (run only inside XS): one test of each outcome, a suite with
// hooks and context, and a real assertion failure from uvu/assert.
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';

test('passes', () => {
  assert.is(1 + 1, 2);
});
test('fails with a deep-equal diff', () => {
  assert.equal({ energyWh: 1 }, { energyWh: 2 });
});
test('passes after await', async () => {
  assert.is(await Promise.resolve('x'), 'x');
});
test.skip('is skipped');
test.run();

const hooked = suite<{ log: string[] }>('hooked', { log: [] });
hooked.before((ctx) => void ctx.log.push('before'));
hooked.before.each((ctx) => void ctx.log.push('each'));
hooked('sees before and before.each', (ctx) => {
  assert.equal(ctx.log, ['before', 'each']);
});
hooked('throws a TypeError', () => {
  throw new TypeError('pile: "seq" expected integer');
});
hooked.run();

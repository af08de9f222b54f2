// The XS harness itself: results come back per test with the right outcome and the XS error, and
// every way a run can go wrong (throw at load, a test that never settles, a Node import) is a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleForXs } from '../support/xs/bundle.ts';
import { runTestFileInXs } from '../support/xs/xs-tests.ts';
import { runXsScript } from '../support/xs/xsnap.ts';

const sample = (name: string): string => new URL(`./samples/${name}.xs.ts`, import.meta.url).pathname;

const outcomes = await runTestFileInXs(sample('outcomes'));
const throwsAtLoad = await runTestFileInXs(sample('throws-at-load'));
const neverSettles = await runTestFileInXs(sample('never-settles'));
const importsNode = await runTestFileInXs(sample('imports-node'));

test('each XS test reports its outcome, in order, suites after the default one', () => {
  assert.is(outcomes.problem, undefined);
  assert.equal(
    outcomes.results.map((r) => [r.suite, r.name, r.outcome]),
    [
      ['', 'is skipped', 'skipped'],
      ['', 'passes', 'passed'],
      ['', 'fails with a deep-equal diff', 'failed'],
      ['', 'passes after await', 'passed'],
      ['hooked', 'sees before and before.each', 'passed'],
      ['hooked', 'throws a TypeError', 'failed'],
    ],
  );
});

test('a failure carries the XS error: uvu/assert diff, or the thrown error with XS frames', () => {
  const [diff, thrown] = outcomes.results.filter((r) => r.outcome === 'failed').map((r) => r.error ?? '');
  assert.match(diff!, /^Assertion: Expected values to be deeply equal/);
  assert.match(diff!.replace(/\x1b\[[0-9;]*m/g, ''), '"energyWh":·2');
  assert.match(thrown!, /^TypeError: pile: "seq" expected integer\n at /);
});

test('a file that throws while loading fails the run (xsnap exit code), its tests never run', () => {
  assert.match(throwsAtLoad.problem ?? '', /^xsnap exited with [1-9]/);
  assert.match(throwsAtLoad.problem ?? '', 'sample: thrown at load');
  assert.equal(throwsAtLoad.results, []);
});

test('a test that never settles leaves no summary and fails the run', () => {
  assert.match(neverSettles.problem ?? '', /^no uvu summary from XS/);
});

test('importing a Node built-in fails at bundle time, naming the import', () => {
  assert.match(importsNode.problem ?? '', /^bundle failed: .*"node:fs" is a Node built-in/s);
});

test('prelude: console.log prints, crypto.getRandomValues is deterministic, resetMeter counts work', async () => {
  const script = await bundleForXs({
    contents: `console.log('log', 1, { a: 2n });
const a = crypto.getRandomValues(new Uint8Array(8)).join(',');
const meter = (n) => { resetMeter(0, 0); let s = 0; for (let i = 0; i < n; i++) s += i; return resetMeter(0, 0); };
print(a, meter(10) < meter(1000));`,
  });
  const first = runXsScript(script);
  const second = runXsScript(script);
  assert.is(first.status, 0, first.stderr);
  const [logLine, randomLine] = first.stdout.split('\n');
  assert.is(logLine, 'log 1 {"a":"2n"}');
  assert.match(randomLine!, /^(\d+,){7}\d+ true$/);
  assert.is(second.stdout, first.stdout);
});

test.run();

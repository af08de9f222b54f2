// Stand-in for the `uvu` runner inside XS (the real one needs process, setTimeout and a TTY).
// Same API as uvu 0.5 — test, suite, .before/.after(.each), .only, .skip, .run() — and the same
// semantics: suites run in the order .run() was called, a test passes when its handler returns
// (or resolves) without throwing. `uvu/assert` is the real module, bundled as is.
//
// Output, through XS's print: one `XS-TEST {json}` line per test (read by test/xs/results.ts),
// then uvu's summary (`Total: N`, `Passed: N`, `Skipped: N`).
declare function print(...values: unknown[]): void;

type State = Record<string, unknown> & { __suite__: string; __test__: string };
type Callback = (state: State) => unknown;
type Entry = { name: string; handler: Callback };
type Context = { tests: Entry[]; only: Entry[]; before: Callback[]; after: Callback[]; bEach: Callback[]; aEach: Callback[]; skips: string[]; state: State };

export type XsTestResult = { suite: string; name: string; outcome: 'passed' | 'failed' | 'skipped'; error?: string };

const queue: (() => Promise<void>)[] = [];
const totals = { total: 0, passed: 0, skipped: 0 };
let draining = false;

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `thrown non-Error: ${String(error)}`;
  const assertion = error as Error & { details?: unknown; operator?: unknown };
  let text = `${error.name}: ${error.message}`;
  if (typeof assertion.details === 'string' && assertion.details) text += `\n${assertion.details}`;
  // An XS stack starts with the same "Name: message" line, then one " at fn ()" line per frame.
  const frames = typeof error.stack === 'string' ? error.stack.split('\n').filter((line) => line.startsWith(' at ')) : [];
  if (frames.length) text += `\n${frames.join('\n')}`;
  return text;
}

function report(result: XsTestResult): void {
  print(`XS-TEST ${JSON.stringify(result)}`);
}

async function runSuite(name: string, ctx: Context): Promise<void> {
  const { only, tests, before, after, bEach, aEach, state } = ctx;
  const chosen = only.length ? only : tests;
  totals.total += chosen.length;
  for (const skipped of ctx.skips) report({ suite: name, name: skipped, outcome: 'skipped' });
  if (only.length) for (const t of tests) report({ suite: name, name: t.name, outcome: 'skipped' });
  totals.skipped += ctx.skips.length + (only.length ? tests.length : 0);
  try {
    for (const hook of before) await hook(state);
  } catch (error) {
    // uvu runs no test of a suite whose `before` hook threw; every one of them counts as failed.
    for (const t of chosen) report({ suite: name, name: t.name, outcome: 'failed', error: `before hook: ${describe(error)}` });
    return;
  }
  for (const t of chosen) {
    state.__test__ = t.name;
    try {
      for (const hook of bEach) await hook(state);
      await t.handler(state);
      for (const hook of aEach) await hook(state);
      totals.passed++;
      report({ suite: name, name: t.name, outcome: 'passed' });
    } catch (error) {
      try {
        for (const hook of aEach) await hook(state);
      } catch {
        // the test's own error is the one worth reporting
      }
      report({ suite: name, name: t.name, outcome: 'failed', error: describe(error) });
    }
  }
  state.__test__ = '';
  try {
    for (const hook of after) await hook(state);
  } catch (error) {
    totals.total++;
    report({ suite: name, name: '(after hook)', outcome: 'failed', error: describe(error) });
  }
}

async function drain(): Promise<void> {
  draining = true;
  while (queue.length) await queue.shift()!();
  draining = false;
  print(`Total: ${totals.total}`);
  print(`Passed: ${totals.passed}`);
  print(`Skipped: ${totals.skipped}`);
}

function fresh(state: State): Context {
  return { tests: [], only: [], before: [], after: [], bEach: [], aEach: [], skips: [], state };
}

function setup(ctx: Context, name: string) {
  ctx.state.__suite__ = name;
  ctx.state.__test__ = '';
  const test = (testName: string, handler: Callback) => void ctx.tests.push({ name: testName, handler });
  const hook = (list: 'before' | 'after', each: 'bEach' | 'aEach') =>
    Object.assign((fn: Callback) => void ctx[list].push(fn), { each: (fn: Callback) => void ctx[each].push(fn) });
  return Object.assign(test, {
    only: (testName: string, handler: Callback) => void ctx.only.push({ name: testName, handler }),
    skip: (testName = '(unnamed)') => void ctx.skips.push(testName),
    before: hook('before', 'bEach'),
    after: hook('after', 'aEach'),
    run: () => {
      const snapshot = { ...ctx };
      Object.assign(ctx, fresh(snapshot.state));
      queue.push(() => runSuite(name, snapshot));
      // Run after the whole bundle has been evaluated, so every suite of the file is queued.
      if (!draining && queue.length === 1) setImmediate(() => void drain());
    },
  });
}

export const suite = (name = '', state: Record<string, unknown> = {}) => setup(fresh(state as State), name);
export const test = suite();

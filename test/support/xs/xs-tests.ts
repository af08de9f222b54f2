// Runs a uvu test file inside XS and mirrors each XS test as a Node uvu test, so XS passes and
// failures show in `npm test`'s counts and an XS failure prints the XS error.
import type { Test } from 'uvu';
import { bundleForXs, type XsBundleOptions } from './bundle.ts';
import type { XsTestResult } from './uvu-shim.ts';
import { runXsScript } from './xsnap.ts';

export type XsFileRun = {
  results: XsTestResult[];
  /** Why the run as a whole is not trustworthy (bundle error, crash, missing summary), if so. */
  problem?: string;
};

const ansi = /\x1b\[[0-9;]*m/g;

// The text already holds XS's own frames; a Node stack would only point at this file.
function failure(message: string): Error {
  const error = new Error(message.replace(ansi, ''));
  error.stack = error.message.split('\n')[0]!;
  return error;
}

function parse(stdout: string): { results: XsTestResult[]; summary?: { total: number; passed: number; skipped: number } } {
  const results: XsTestResult[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('XS-TEST ')) results.push(JSON.parse(line.slice('XS-TEST '.length)) as XsTestResult);
  }
  const total = /^Total: (\d+)$/m.exec(stdout);
  const passed = /^Passed: (\d+)$/m.exec(stdout);
  const skipped = /^Skipped: (\d+)$/m.exec(stdout);
  if (!total || !passed || !skipped) return { results };
  return { results, summary: { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(skipped[1]) } };
}

export async function runTestFileInXs(entry: string, options: XsBundleOptions & { timeoutMs?: number } = {}): Promise<XsFileRun> {
  let scriptText: string;
  try {
    scriptText = await bundleForXs(entry, options);
  } catch (error) {
    return { results: [], problem: `bundle failed: ${(error as Error).message}` };
  }
  const run = runXsScript(scriptText, { timeoutMs: options.timeoutMs ?? 240_000 });
  const { results, summary } = parse(run.stdout);
  const tail = `\n--- xsnap stdout (last lines) ---\n${run.stdout.split('\n').slice(-15).join('\n')}\n--- xsnap stderr ---\n${run.stderr}`;
  if (run.signal) return { results, problem: `xsnap killed by ${run.signal} (timeout?)${tail}` };
  if (run.status !== 0) return { results, problem: `xsnap exited with ${run.status}${tail}` };
  if (!summary) return { results, problem: `no uvu summary from XS (a test never settled?)${tail}` };
  const passed = results.filter((r) => r.outcome === 'passed').length;
  const skipped = results.filter((r) => r.outcome === 'skipped').length;
  if (summary.passed !== passed || summary.skipped !== skipped || summary.total !== results.length - skipped) {
    return { results, problem: `XS summary ${JSON.stringify(summary)} does not match the ${results.length} reported tests${tail}` };
  }
  if (results.length === 0) return { results, problem: 'XS ran no test' };
  return { results };
}

/** Registers one Node test per XS test, plus one checking that the XS run itself completed. */
export function mirrorXsResults(test: Test, label: string, run: XsFileRun): void {
  test(`${label}: XS run completed`, () => {
    if (run.problem) throw failure(`${label}: ${run.problem}`);
  });
  for (const result of run.results) {
    const name = `${label} › ${result.suite ? `${result.suite} › ` : ''}${result.name}`;
    if (result.outcome === 'skipped') test.skip(name);
    else
      test(name, () => {
        if (result.outcome === 'failed') throw failure(`in XS: ${result.error ?? ''}`);
      });
  }
}

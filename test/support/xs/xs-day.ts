// The scripted pile day inside xsnap (day-entry.ts bundled with the firmware and the board named),
// answered in the same form as the day in Node (day-outcome.ts), or undefined with the run's end
// when it printed no outcome.
import type { DayOutcome } from '../day/day-outcome.ts';
import { bundleForXs } from './bundle.ts';
import { type XsRun, runXsScript } from './xsnap.ts';

export async function runDayInXs(board: 'hal-sim' | 'host', timeoutMs: number): Promise<{ run: XsRun; outcome: DayOutcome | undefined; failure: string }> {
  const script = await bundleForXs(new URL('./day-entry.ts', import.meta.url).pathname, { globals: { DAY_BOARD: board } });
  const run = runXsScript(script, { timeoutMs });
  const line = run.stdout.split('\n').find((l) => l.startsWith('XS-DAY '));
  const failure = `no XS-DAY line (exit ${run.status}, signal ${run.signal})\n${run.stdout.split('\n').slice(-20).join('\n')}\n${run.stderr}`;
  return { run, outcome: line ? (JSON.parse(line.slice('XS-DAY '.length)) as DayOutcome) : undefined, failure };
}

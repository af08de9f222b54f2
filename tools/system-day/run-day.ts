// Runs a scripted day (or the one-pile show of `npm run pile:sim`) on the whole system, then
// closes it and reads the figures and the audit back from the data folder alone. Ends well (exit
// 0) only when the script ran through, every expected flow was seen, and the audit passes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectFigures, type DayFigures } from './day-figures.ts';
import { formatReport } from './day-report.ts';
import { DEFAULT_PACING, LiveView, PlainOutput } from './day-view.ts';
import { FlowBook } from './flows.ts';
import { type DayScript, Scene } from './scene.ts';
import { SimSystem } from './sim-system.ts';

export type RunDayOptions = {
  script: DayScript;
  /** Kept after the run; must be new or empty. */
  dataDir: string;
  seed: number;
  /** No pacing of the live view. */
  fast: boolean;
  out: NodeJS.WriteStream;
};

export type DayOutcome = { ok: boolean; scriptError: string | undefined; missingFlows: string[]; figures: DayFigures };

/** 07:00 local time today: where the business clock of a day starts. */
function morningMs(): number {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate(), 7, 0).getTime();
}

export async function runDay(options: RunDayOptions): Promise<DayOutcome> {
  const { out, script } = options;
  const live = out.isTTY === true ? new LiveView(out, `tapcharge — ${script.name} (seed ${options.seed})`, options.fast ? undefined : DEFAULT_PACING) : undefined;
  let system: SimSystem | undefined;
  const displays = { piles: () => system?.piles ?? [], nowMs: () => system?.clock.nowMs() ?? 0 };
  const output = live ?? new PlainOutput(out, script.showDisplays ? displays : undefined);
  system = new SimSystem({
    dataDir: options.dataDir,
    seed: options.seed,
    startMs: morningMs(),
    relayLog: (line) => void output.event(`        relay log: ${line}`),
  });
  const flows = new FlowBook(script.expectedFlows);
  const scene = new Scene(system, flows, output);
  live?.attach(scene);
  let scriptError: string | undefined;
  try {
    await system.start();
    await script.run(scene);
  } catch (error) {
    scriptError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } finally {
    live?.close();
    await system.close();
  }
  const figures = await collectFigures(options.dataDir);
  const evidence = flows.toJSON();
  out.write(formatReport(figures, evidence) + '\n');
  const missingFlows = flows.missing;
  if (scriptError) out.write(`the day stopped early: ${scriptError}\n`);
  if (missingFlows.length > 0) out.write(`flows not seen: ${missingFlows.join(', ')}\n`);
  const ok = scriptError === undefined && missingFlows.length === 0 && figures.audit.ok;
  writeFileSync(join(options.dataDir, 'day-report.json'), JSON.stringify({ script: script.name, seed: options.seed, ok, scriptError: scriptError ?? null, missingFlows, flows: evidence, figures }, null, 2) + '\n');
  out.write(`data kept in ${options.dataDir} (re-run the audit: tapcharge day audit --data ${options.dataDir})\n`);
  return { ok, scriptError, missingFlows, figures };
}

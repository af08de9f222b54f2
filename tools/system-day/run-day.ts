// Runs a scripted day (or the one-pile show of `npm run pile:sim`) on the whole system, then
// closes it and reads the figures and the audit back from the data folder alone. Ends well (exit
// 0) only when the script ran through, every expected flow was seen, and the audit passes.
// The day's relay serves the operators' dashboard: its link (logged in as the day's operator) is
// printed at the start; on request the relay is reopened on the day's data folder after the report
// and serves it until told to stop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyOverrides } from '../relay/policy.ts';
import { dashboardLink } from '../relay/routes/dashboard-link.ts';
import { startRelay } from '../relay/start-relay.ts';
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
  /**
   * After the report, reopen the day's relay on its data folder (the report reads the folder with
   * the relay closed) at the same address, and serve the dashboard until this resolves.
   */
  serveDashboardUntil?: () => Promise<void>;
};

export type DayOutcome = { ok: boolean; scriptError: string | undefined; missingFlows: string[]; figures: DayFigures };

/**
 * The day's relay settings: its business clock runs 15 hours in under a minute, so a dashboard
 * opened at the start needs a session longer than the relay's 12 h to last through the day.
 */
export const DAY_RELAY_POLICY: PolicyOverrides = Object.freeze({ operatorSessionS: 24 * 3600 });

/** Logs the day's operator in for a browser: the dashboard's link with a fresh session token. */
export async function dayDashboardLink(system: SimSystem): Promise<string> {
  const { token } = await system.operatorClient.operatorSession(system.relay.operatorKey);
  return dashboardLink(system.relay.url, token);
}

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
    policy: DAY_RELAY_POLICY,
  });
  const flows = new FlowBook(script.expectedFlows);
  const scene = new Scene(system, flows, output);
  live?.attach(scene);
  let scriptError: string | undefined;
  let dashboard: string | undefined;
  try {
    await system.start();
    dashboard = await dayDashboardLink(system);
    if (live) live.showLink(`dashboard ${dashboard}`);
    else out.write(`dashboard ${dashboard}\n`);
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
  if (options.serveDashboardUntil && dashboard) await serveDashboard(system, dashboard, out, options.serveDashboardUntil);
  return { ok, scriptError, missingFlows, figures };
}

/** The day's relay reopened on its data folder, at its port and on its business clock (stopped at the day's end), until `until` resolves. */
async function serveDashboard(system: SimSystem, link: string, out: NodeJS.WriteStream, until: () => Promise<void>): Promise<void> {
  let relay;
  try {
    relay = await startRelay({ dataDir: system.dataDir, port: system.relay.port, clock: system.clock, policy: DAY_RELAY_POLICY, log: () => undefined });
  } catch (error) {
    out.write(`the dashboard could not be served again: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    return;
  }
  out.write(`dashboard still serving at ${link} — Ctrl-C to stop\n`);
  try {
    await until();
  } finally {
    await relay.close();
  }
  out.write('dashboard stopped\n');
}

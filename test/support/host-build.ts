// The native host executable (Moddable x-cli-lin, test/device/manifest.json over the root
// manifest.json): built incrementally into build/device/host/ and run in one of its modes
// (test/device/host-main.ts). Used by `npm run device:host`, test/device/host-day.test.ts and the
// firmware bench.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type DayOutcome, dayOutcome } from './day/day-outcome.ts';
import { runScriptedDay } from './day/scripted-day.ts';
import { type Moddable, mcconfig, repoRoot, tail } from './moddable.ts';

export type HostHeap = { chunkBytes: number; slotCount: number; slotBytes: number; peakChunkBytes: number; peakSlotCount: number };
export type { DayOutcome };

export const hostExecutable = join(repoRoot, 'build/device/host/bin/lin/release/tapcharge');

/**
 * The link libraries: Moddable's x-cli-lin makefile assigns its own (`LIBRARIES = -lm -lc gio
 * -latomic -lpthread -ldl`), and the native Ed25519 (boards/sodium) needs libsodium too, so the
 * whole list goes to make as a command-line variable through MAKEFLAGS, which overrides it.
 */
function linkLibraries(): string {
  const libs = (pkg: string): string[] => {
    const run = spawnSync('pkg-config', ['--libs', pkg], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`pkg-config --libs ${pkg} failed: install Debian's ${pkg === 'libsodium' ? 'libsodium-dev' : 'libglib2.0-dev'}\n${run.stderr ?? ''}`);
    return run.stdout.trim().split(/\s+/);
  };
  return ['-lm', '-lc', ...libs('gio-2.0'), '-latomic', '-lpthread', '-ldl', ...libs('libsodium')].join('\\ ');
}

/** Build (or bring up to date) the host executable; answers the seconds it took. Throws with the build's last lines. */
export function buildHostExecutable(moddable: Moddable): number {
  const started = Date.now();
  // The generated makefile adds `--jobs` without a limit (a tsc process per module, ~200 at once,
  // each ~150 MB); --max-load holds new jobs back while the machine is busy.
  const makeFlags = `--max-load=${availableParallelism()} LIBRARIES=${linkLibraries()}`;
  const build = mcconfig(moddable, 'host', ['-m', '-p', 'x-cli-lin'], 'test/device/manifest.json', { env: { MAKEFLAGS: makeFlags } });
  if (build.status !== 0) throw new Error(`mcconfig -m -p x-cli-lin failed (exit ${build.status}, log ${build.logPath}):\n${tail(build.output)}`);
  return (Date.now() - started) / 1000;
}

export type HostRun = { status: number | null; stdout: string; stderr: string };

/** Run the executable with `args` (a mode and its arguments, host-main.ts), to its end (10 min at most). */
export function spawnHostExecutable(args: readonly string[]): HostRun {
  const run = spawnSync(hostExecutable, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10 * 60_000 });
  return { status: run.status, stdout: run.stdout ?? '', stderr: `${run.stderr ?? ''}${run.error ? `\n${run.error.message}` : ''}` };
}

/** The JSON of each `tag` line a run printed. */
export function taggedLines<T>(stdout: string, tag: string): T[] {
  return stdout.split('\n').filter((l) => l.startsWith(`${tag} `)).map((l) => JSON.parse(l.slice(tag.length + 1)) as T);
}

/** Run the executable with `args`; answers the JSON of its `tag` line, or throws with the run's end. */
export function runHostExecutable<T>(args: readonly string[], tag: string): T {
  const run = spawnHostExecutable(args);
  const [found] = taggedLines<T>(run.stdout, tag);
  if (run.status !== 0 || found === undefined) {
    throw new Error(`${hostExecutable} ${args.join(' ')} failed (exit ${run.status}):\n${tail(`${run.stdout}${run.stderr}`)}`);
  }
  return found;
}

/** The scripted day in Node on the hal/sim parts, in the same form as the executable prints it. */
export async function nodeDayOutcome(): Promise<DayOutcome> {
  return dayOutcome(await runScriptedDay());
}

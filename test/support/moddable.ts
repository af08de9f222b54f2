// The Moddable SDK the device builds use: $MODDABLE (set by the user who installed the SDK, or by
// .ci/run from ../shared/tools/moddable-sdk), its Linux host tools on PATH, and this repository's
// node_modules/.bin (mcconfig calls `tsc`). Builds go to build/device/<name>/ and are incremental.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export type Moddable = { root: string; env: NodeJS.ProcessEnv };

/** The SDK, or why device builds are skipped. */
export function findModdable(): Moddable | { skipped: string } {
  const root = process.env.MODDABLE;
  if (!root) return { skipped: 'MODDABLE is not set (install the Moddable SDK, or export MODDABLE=$(../shared/tools/moddable-sdk))' };
  const bin = join(root, 'build/bin/lin/release');
  if (!existsSync(join(bin, 'mcconfig'))) return { skipped: `no mcconfig in ${bin} (build the SDK's host tools first)` };
  return { root, env: { ...process.env, MODDABLE: root, PATH: `${bin}:${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}` } };
}

export type BuildRun = { status: number | null; output: string; logPath: string };

/**
 * Run mcconfig in `cwd` (paths in `args` and `manifest` relative to it: mcconfig lower-cases the
 * -p argument, so a board path must not carry capitals) into build/device/`name`; the whole
 * output goes to build/device/`name`.log.
 */
export function mcconfig(moddable: Moddable, name: string, args: string[], manifest: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): BuildRun {
  const outputDir = join(repoRoot, 'build/device', name);
  mkdirSync(outputDir, { recursive: true });
  const env = { ...moddable.env, ...options.env };
  const run = spawnSync('mcconfig', [...args, '-o', outputDir, manifest], { cwd: options.cwd ?? repoRoot, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30 * 60_000 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? `\n${run.error.message}` : ''}`;
  const logPath = `${outputDir}.log`;
  writeFileSync(logPath, output);
  return { status: run.status, output, logPath };
}

/** The last `lines` lines of a build's output, for a failure message. */
export function tail(output: string, lines = 25): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

// The `xsnap` command line of the XS engine, built from the sources shipped in the npm package
// @agoric/xsnap with its own makefile (its postinstall is denied, so we build on first use) and
// cached under node_modules/.cache/tapcharge-xsnap/. Used by the XS tests and `npm run bench`.
//
// Globals inside that xsnap: print, gc, performance.now, setImmediate, TextEncoder/TextDecoder,
// resetMeter(limit, index) and currentMeterLimit(). resetMeter returns the current metering index
// and then sets it; its `limit` argument is only echoed by currentMeterLimit() — the abort limit
// is the `-l` option (without `-l` the metering callback never runs, so nothing is aborted).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;
const packageDir = join(root, 'node_modules/@agoric/xsnap');
const cacheDir = join(root, 'node_modules/.cache/tapcharge-xsnap');
const binaryPath = join(cacheDir, 'xsnap');

/** Path of the xsnap binary; builds it (about 20 s, two jobs) only when it is missing. */
export function ensureXsnap(): string {
  if (existsSync(binaryPath)) return binaryPath;
  if (process.platform !== 'linux') throw new Error(`xsnap: the XS build is set up for linux only, not ${process.platform}`);
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  // Each builder uses its own build folder and renames the finished binary into place, so two
  // test processes starting at once cannot leave a half-written binary.
  const buildDir = join(cacheDir, `build-${process.pid}`);
  mkdirSync(buildDir, { recursive: true });
  const make = spawnSync(
    'make',
    [
      '-j2',
      '-f',
      'xsnap.mk',
      `MODDABLE=${join(packageDir, 'moddable')}`,
      'GOAL=release',
      `BUILD_DIR=${buildDir}`,
      'CC=cc "-D__has_builtin(x)=1"',
      `XSNAP_VERSION=${version}`,
      'EXTRA_DEPS=',
    ],
    { cwd: join(packageDir, 'xsnap-native/xsnap/makefiles/lin'), encoding: 'utf8' },
  );
  const built = join(buildDir, 'bin/lin/release/xsnap');
  if (make.status !== 0 || !existsSync(built)) {
    throw new Error(`xsnap: build failed (make exit ${make.status})\n${make.stdout}${make.stderr}`);
  }
  renameSync(built, binaryPath);
  rmSync(buildDir, { recursive: true, force: true });
  return binaryPath;
}

export type XsRun = { status: number | null; signal: string | null; stdout: string; stderr: string };

/** Runs a script (as a program, not a module) in a fresh xsnap; `timeoutMs` kills it (SIGTERM). */
export function runXsScript(scriptText: string, options: { timeoutMs?: number } = {}): XsRun {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-xs-'));
  const scriptPath = join(dir, 'main.js');
  try {
    writeFileSync(scriptPath, scriptText);
    const run = spawnSync(ensureXsnap(), [scriptPath], { encoding: 'utf8', timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 << 20 });
    if (run.error && (run.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw run.error;
    return { status: run.status, signal: run.signal, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx test/support/xs/xsnap.ts` builds xsnap ahead of the tests (e.g. in .ci/run) and prints its path.
if (process.argv[1] === new URL(import.meta.url).pathname) console.log(ensureXsnap());

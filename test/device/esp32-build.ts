// The ESP32 build of a board, as far as it goes without ESP-IDF: mcconfig generates the build for
// `-p esp32:./boards/<board>` (no -m), then its makefile compiles every module with tsc and xsc and
// xsl links them with preloading (test/device/esp32-modules.mk). The makefile insists on an
// IDF_PATH it can run `git describe` in: a stand-in git folder under build/device/ serves, since
// nothing here reads ESP-IDF. Used by `npm run device:esp32` and test/device/esp32-build.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Moddable, mcconfig, repoRoot, tail } from '../support/moddable.ts';

export type Esp32Build = { ok: true; modules: string[]; seconds: number } | { ok: false; stage: 'mcconfig' | 'make'; reason: string };

/**
 * Build `board` from the manifest at `root` (default: this repository) into build/device/`name`;
 * `only`: make just that module (e.g. `drivers/sdm230/sdm230`) and the modules it needs, not the link.
 */
export function buildEsp32Modules(moddable: Moddable, options: { board?: string; root?: string; name?: string; only?: string } = {}): Esp32Build {
  const started = Date.now();
  const board = options.board ?? 'esp32_pile_v1';
  const root = options.root ?? repoRoot;
  const name = options.name ?? 'esp32';
  const generated = mcconfig(moddable, name, ['-p', `esp32:./boards/${board}`], 'manifest.json', { cwd: root });
  const warnings = generated.output.split('\n').filter((l) => /^### (Warning|Error)/i.test(l));
  if (generated.status !== 0 || warnings.length > 0) return { ok: false, stage: 'mcconfig', reason: `exit ${generated.status}\n${warnings.join('\n') || tail(generated.output)}` };
  const buildDir = join(repoRoot, 'build/device', name, 'tmp/esp32', board, 'release', 'tapcharge');
  const target = options.only === undefined ? 'xs-modules' : join(buildDir, 'modules', `${options.only}.xsb`);
  const make = spawnSync('make', ['-j2', '-f', join(buildDir, 'makefile'), '-f', join(repoRoot, 'test/device/esp32-modules.mk'), target], {
    cwd: root,
    env: { ...moddable.env, IDF_PATH: idfStandIn() },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 30 * 60_000,
  });
  const output = `${make.stdout ?? ''}${make.stderr ?? ''}`;
  if (make.status !== 0) return { ok: false, stage: 'make', reason: `exit ${make.status}\n${output.split('\n').filter((l) => /error|Error|failure/.test(l)).slice(0, 20).join('\n') || tail(output)}` };
  const modulesDir = join(buildDir, 'modules');
  return { ok: true, modules: xsbFiles(modulesDir).map((f) => relative(modulesDir, f).replace(/\.xsb$/, '')).sort(), seconds: (Date.now() - started) / 1000 };
}

function idfStandIn(): string {
  const dir = join(repoRoot, 'build/device/idf-stand-in');
  if (existsSync(join(dir, '.git'))) return dir;
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=build@tapcharge.invalid', '-c', 'user.name=tapcharge build', ...args], { cwd: dir, encoding: 'utf8' });
  git('init', '-q');
  git('commit', '-q', '--allow-empty', '-m', 'stand-in for IDF_PATH: no ESP-IDF here');
  return dir;
}

function xsbFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return xsbFiles(path);
    return entry.endsWith('.xsb') ? [path] : [];
  });
}

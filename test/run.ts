// `npm test`: type-checks, then runs every test/**/*.test.ts file in its own Node process
// (two at a time), reads each file's uvu summary, and ends with "N passed, N failed".
// test/device/ files run last and alone: their Moddable builds take every core (Moddable's
// x-cli-lin makefile sets MAKEFLAGS += --jobs), which would starve a test running beside them.
// `npm test -- WORD` runs only the files whose path contains WORD (type checks still run).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const concurrency = 2;
const fileTimeoutMs = 15 * 60_000;

type Outcome = { name: string; passed: number; failed: number; output: string };

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

function runProcess(name: string, command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[run] ${name} killed after ${fileTimeoutMs / 1000} s\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      output += `\n[run] ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
      resolve({ code: code ?? 1, output });
    });
  });
}

// uvu prints "Total: N", "Passed: N", "Skipped: N" at the end of a run.
function countUvu(name: string, code: number, output: string): Outcome {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  if (!total || !passed) return { name, passed: 0, failed: 1, output: output + '\n[run] no uvu summary: counted as 1 failure\n' };
  const t = Number(total[1]), p = Number(passed[1]);
  const failed = t - p + (code !== 0 && t - p === 0 ? 1 : 0);
  return { name, passed: p, failed, output };
}

async function typecheck(project: string): Promise<Outcome> {
  const name = `tsc -p ${project}`;
  const { code, output } = await runProcess(name, process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project]);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, output };
}

async function runFile(path: string): Promise<Outcome> {
  const name = relative(root, path);
  const { code, output } = await runProcess(name, process.execPath, ['--import', 'tsx', path]);
  return countUvu(name, code, output);
}

async function main(): Promise<void> {
  const files = findTests(join(root, 'test')).filter((f) => filters.every((w) => relative(root, f).includes(w)));
  const alone = (f: string): boolean => relative(root, f).startsWith('test/device/');
  const shared: (() => Promise<Outcome>)[] = [
    () => typecheck('tsconfig.json'),
    () => typecheck('tsconfig.device.json'),
    ...files.filter((f) => !alone(f)).map((f) => () => runFile(f)),
  ];
  const outcomes: Outcome[] = [];
  async function worker(jobs: (() => Promise<Outcome>)[]): Promise<void> {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const outcome = await job();
      outcomes.push(outcome);
      process.stdout.write(outcome.output.trimEnd() + '\n');
      process.stdout.write(`[run] ${outcome.failed ? 'FAIL' : 'ok  '} ${outcome.name}: ${outcome.passed} passed, ${outcome.failed} failed\n\n`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker(shared)));
  await worker(files.filter(alone).map((f) => () => runFile(f)));
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed, 0);
  for (const o of outcomes.filter((o) => o.failed)) process.stdout.write(`[run] failing: ${o.name}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

await main();

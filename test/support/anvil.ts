// Test helper: anvil (npm @foundry-rs/anvil) on 127.0.0.1 with a free port, stopped by the caller.
// The funded dev keys are read from anvil's own start-up banner.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hex } from 'viem';

export type Anvil = { url: string; keys: Hex[]; stop(): Promise<void> };

function anvilBinary(): string {
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}/package.json`;
  return join(dirname(createRequire(import.meta.url).resolve(pkg)), 'bin', 'anvil');
}

export function startAnvil(): Promise<Anvil> {
  const child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`anvil did not start:\n${output}`)); }, 20_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      const listening = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (!listening) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      child.stderr.resume();
      const keys = [...output.matchAll(/^\(\d+\) (0x[0-9a-f]{64})$/gm)].map((m) => m[1] as Hex);
      resolve({ url: `http://${listening[1]}`, keys, stop: async () => { child.kill('SIGTERM'); await exited; } });
    });
  });
}

// Test helper: `tapcharge pile serve` as a child process (the real command), on a free port.
import { type ChildProcess, spawn } from 'node:child_process';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export type PileProcess = { port: number; pileId: string; child: ChildProcess; output(): string; stop(): Promise<number | null> };

export function startPileProcess(args: string[], timeoutMs = 20_000): Promise<PileProcess> {
  const child = spawn(process.execPath, [bin, 'pile', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pile serve did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const look = (): void => {
      const m = /pile ([0-9a-f]{16}) listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve({
        port: Number(m[2]), pileId: m[1]!, child, output: () => output,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', look);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pile serve exited with ${code} before listening:\n${output}`));
    });
  });
}

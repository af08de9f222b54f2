// Runs the `tapcharge` command in a child process without blocking the test's event loop (a relay
// or pile served by the same test keeps answering meanwhile).
import { spawn } from 'node:child_process';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export type CliRun = { status: number | null; stdout: string; stderr: string };

export function runCli(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('close', (status) => done({ status, stdout, stderr }));
  });
}

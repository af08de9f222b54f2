// A real pseudo-terminal pair for serial tests: `socat` opens two ptys in raw mode and copies
// bytes between them; the paths `a` and `b` are symlinks to their slave ends (/dev/pts/N), the two
// ends of a null-modem cable. Needs socat (Debian package socat).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export type PtyPair = { a: string; b: string; close(): Promise<void> };

const START_TIMEOUT_MS = 10_000;

export function openPtyPair(a: string, b: string): Promise<PtyPair> {
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void close().then(() => reject(new Error(`pty pair: ${why}\n${log}`)));
    };
    const timer = setTimeout(() => fail(`socat did not link ${a} and ${b} within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (error) => fail(`cannot run socat (${error.message}): install the socat package`));
    // socat logs "starting data transfer loop" once both ptys are open and linked
    child.stderr!.on('data', () => {
      if (!log.includes('starting data transfer loop') || !existsSync(a) || !existsSync(b)) return;
      clearTimeout(timer);
      resolve({ a, b, close });
    });
    void exited.then(() => fail(`socat exited (${child.exitCode ?? child.signalCode})`));
  });
}

// `tapcharge relay start` as a child process on a data folder, for tests that kill it (SIGKILL)
// and start it again on the same folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { readKeyFile } from '../../tools/key-file.ts';
import { RelayCaller, TestClock } from './relay-harness.ts';

export const cliBin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export type RelayProcess = { process: ChildProcess; url: string; caller: RelayCaller; exited: Promise<void> };

export function startRelayProcess(dataDir: string): Promise<RelayProcess> {
  const child = spawn(process.execPath, [cliBin, 'relay', 'start', '--data', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`relay did not start:\n${out}\n${err}`)); }, 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const url = /relay listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const key = /relay public key ([0-9a-f]{64})/.exec(out)?.[1];
      if (!url || !key || !out.includes('\nledger ')) return;
      clearTimeout(timer);
      const operator: KeyPair = readKeyFile(join(dataDir, 'operator-key.json'));
      resolve({ process: child, url, caller: new RelayCaller(url, operator, hexToBytes(key), new TestClock()), exited });
    });
  });
}

export async function killRelayProcess(relay: RelayProcess): Promise<void> {
  relay.process.kill('SIGKILL');
  await relay.exited;
}

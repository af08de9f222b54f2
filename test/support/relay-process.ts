// `tapcharge relay start` as a child process on a data folder, for tests that need the relay in a
// process of its own (the CLI end to end, or a kill and a restart on the same folder). It is ready
// once it printed its last start-up line (`request log …`); what it printed gives its URLs and key.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { readKeyFile } from '../../tools/key-file.ts';
import { RelayCaller, TestClock } from './relay-harness.ts';

export const cliBin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export type RelayProcess = {
  process: ChildProcess;
  /** http(s)://HOST:PORT */
  url: string;
  /** The OCPP endpoint piles connect to, without the pile id: ws(s)://HOST:PORT/ocpp/ */
  ocppUrl: string;
  relayKeyHex: string;
  /** The data folder's operator key file (`--operator-key` of the CLI). */
  operatorKeyFile: string;
  /** Signs as the data folder's operator. */
  caller: RelayCaller;
  /** What it printed so far on stdout (its start-up lines, `relay stopped`). */
  stdout(): string;
  /** What it printed so far on stderr. */
  stderr(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
};

const START_LIMIT_MS = 60_000;

/** Starts the relay on `dataDir` (`--port 0` unless `port`), `args` added to `relay start`. */
export function startRelayProcess(dataDir: string, options: { port?: number; args?: string[] } = {}): Promise<RelayProcess> {
  const child = spawn(process.execPath, [cliBin, 'relay', 'start', '--data', dataDir, '--port', String(options.port ?? 0), ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let out = '';
  let err = '';
  const output = () => `${out}${err}`;
  // Read both pipes from the start, so a chatty relay never blocks on a full one.
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start within ${START_LIMIT_MS} ms:\n${output()}`));
    }, START_LIMIT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited ${code} before it was ready:\n${output()}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (!/\nrequest log .*\n/.test(out)) return;
      clearTimeout(timer);
      const url = /relay listening on (https?:\/\/[0-9.]+:\d+) \(OCPP 1\.6J for piles: (wss?:\/\/[0-9.]+:\d+\/ocpp\/)<pileId>\)/.exec(out);
      const relayKeyHex = /relay public key ([0-9a-f]{64})/.exec(out)?.[1];
      if (!url || !relayKeyHex) {
        child.kill('SIGKILL');
        reject(new Error(`relay printed no URL or key:\n${output()}`));
        return;
      }
      const operatorKeyFile = join(dataDir, 'operator-key.json');
      const operator: KeyPair = readKeyFile(operatorKeyFile);
      resolve({
        process: child, url: url[1]!, ocppUrl: url[2]!, relayKeyHex, operatorKeyFile, caller: new RelayCaller(url[1]!, operator, hexToBytes(relayKeyHex), new TestClock()),
        stdout: () => out, stderr: () => err, exited,
      });
    });
  });
}

/** SIGTERM (the relay closes cleanly); answers its exit code. */
export async function stopRelayProcess(relay: RelayProcess): Promise<number | null> {
  if (relay.process.exitCode === null && relay.process.signalCode === null) relay.process.kill('SIGTERM');
  return relay.exited;
}

/** SIGKILL: a crash, for tests that start it again on the same folder. */
export async function killRelayProcess(relay: RelayProcess): Promise<void> {
  relay.process.kill('SIGKILL');
  await relay.exited;
}

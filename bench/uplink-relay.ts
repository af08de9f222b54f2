// The uplink bench's side of its relay process (uplink-relay-process.ts): starts it, reads its CPU
// time from /proc/<pid>, and asks it for its memory after a full garbage collection — so both are
// the relay's alone.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** `liveKb`: V8 heap used plus memory held outside it (buffers) after a full GC; `rssKb`: resident memory then. */
export type RelayMemory = { liveKb: number; rssKb: number };
export type RelayProcess = { url: string; ocppUrl: string; pid: number; memory(): Promise<RelayMemory>; kill(): void };

const CLOCK_TICKS_PER_S = 100; // USER_HZ of /proc/<pid>/stat on Linux

/** Starts a relay on `dataDir` with `piles` bench piles registered and HeartbeatInterval `heartbeatS`; resolves once it listens. */
export async function startRelayProcess(dataDir: string, piles: number, heartbeatS: number): Promise<RelayProcess> {
  const entry = new URL('uplink-relay-process.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', entry, dataDir, String(piles), String(heartbeatS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let awaiting: { prefix: string; resolve(text: string): void } | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!awaiting || !line.startsWith(awaiting.prefix)) return;
    const { prefix, resolve } = awaiting;
    awaiting = undefined;
    resolve(line.slice(prefix.length));
  });
  const nextLine = (prefix: string) => new Promise<string>((resolve, reject) => {
    awaiting = { prefix, resolve };
    child.once('exit', () => reject(new Error(`uplink bench: the relay process ended while the bench waited for "${prefix.trim()}"`)));
  });
  const ready = JSON.parse(await nextLine('ready ')) as { url: string; ocppUrl: string; pid: number };
  return {
    ...ready,
    async memory() {
      const line = nextLine('memory ');
      child.kill('SIGUSR2');
      return JSON.parse(await line) as RelayMemory;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** User plus system CPU time the process has used, ms (10 ms resolution). */
export function relayCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S; // utime, stime
}

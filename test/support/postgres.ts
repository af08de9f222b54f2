// Test helper: a PostgreSQL database for one test file. With DATABASE_URL set, a fresh database
// is created on that server (and dropped after); otherwise a throwaway cluster is initialised in a
// temp folder and started on a free 127.0.0.1 port (as the `postgres` user when we are root), and
// removed after. `durable: true` keeps PostgreSQL's defaults (fsync, synchronous_commit, full page
// writes) for crash tests and benches; otherwise the throwaway cluster runs with fsync off. Without PostgreSQL binaries it fails, naming the package to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type TestPostgres = {
  url: string;
  /** Kills the server as a power cut would (`pg_ctl stop -m immediate`: no checkpoint, no flush); a throwaway cluster only. */
  crash(): void;
  /** Starts the killed server again on the same port (crash recovery replays the WAL). */
  restart(): void;
  stop(): Promise<void>;
};

function binDir(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  const candidates = [
    ...(onPath ? [join(onPath, '..')] : []),
    ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : []),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: install them with `apt-get install postgresql`, or set DATABASE_URL to a server');
  return found;
}

async function freshDatabase(serverUrl: string): Promise<TestPostgres> {
  const name = `tapcharge_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const notOurs = () => { throw new Error('crash/restart need the throwaway cluster: unset DATABASE_URL'); };
  return {
    url: url.toString(),
    crash: notOurs,
    restart: notOurs,
    stop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function startTestPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const given = process.env['DATABASE_URL'];
  if (given) return freshDatabase(given);
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    return execFileSync(command as string, argv as string[], { stdio: 'pipe', encoding: 'utf8' });
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', ...(options.durable ? [] : ['--no-sync']), '-E', 'UTF8']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`throwaway PostgreSQL did not initialise: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  // -F (fsync off) unless durable: a throwaway cluster that no crash test reads after a power cut.
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -h 127.0.0.1 -k ${dir}${options.durable ? '' : ' -F'}`, 'start']);
  try {
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`throwaway PostgreSQL did not start: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  const database = await freshDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`);
  const kill = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  return {
    url: database.url,
    crash: kill,
    restart: start,
    stop: async () => {
      try {
        kill();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// The CLI's crash paths (issue 14 §6): each refused with one line on stderr, a non-zero exit and
// nothing written — a --data that is a file, an --out that is a folder or in no folder (checked
// before the pile is registered), unbounded input (/dev/zero), an RPC node that is not there, a
// damaged relay database, an amount above what the relay accepts, a negative amount, a pile served
// on a port in use (refused before the relay is asked) — and a reader that closes the output early
// ends the command quietly. A relay start on a busy port: test/cli/relay.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-crash-'));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, no stack trace, matching `message`. */
function oneLine(stderr: string, message: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0]!, message);
  assert.not.match(stderr, /\n\s+at /);
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('pile serve and day: a --data that is a file is refused before anything runs; the file is untouched', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  for (const args of [['pile', 'serve', '--data', file, '--port', '0'], ['day', '--data', file, '--fast']]) {
    const r = cli(...args);
    assert.is(r.status, 2, args.join(' '));
    oneLine(r.stderr, /--data .*a-file: not a folder/);
    assert.is(readFileSync(file, 'utf8'), 'not a folder');
  }
});

test('contract inspect / verify read at most 64 KiB: /dev/zero is refused at once', () => {
  const started = Date.now();
  for (const args of [['contract', 'inspect', '/dev/zero'], ['contract', 'verify', '--pubkey', '00'.repeat(32), '/dev/zero']]) {
    const r = cli(...args);
    assert.is(r.status, 1, args.join(' '));
    oneLine(r.stderr, /^tapcharge: \/dev\/zero: more than 65536 bytes, too large for this input$/);
  }
  assert.ok(Date.now() - started < 30_000);
});

test('relay register-pile: an --out that is a folder or in no folder is refused before the relay is asked', () => {
  const common = ['relay', 'register-pile', '--url', 'http://127.0.0.1:9', '--data', join(dir, 'no-relay'), '--pile-id', '50c1c1c1c1c1c1c1', '--public-key', '11'.repeat(32),
    '--label', 'Depot 3', '--max-power-w', '7400', '--energy-price', '30', '--time-price', '0', '--session-fee', '0'];
  const folder = join(dir, 'out-folder');
  mkdirSync(folder);
  const intoFolder = cli(...common, '--out', folder);
  assert.is(intoFolder.status, 2);
  oneLine(intoFolder.stderr, /--out .*out-folder: is a folder, give a file name/);
  assert.equal(readdirSync(folder), []);
  const nowhere = cli(...common, '--out', join(dir, 'missing', 'pile.cose'));
  assert.is(nowhere.status, 2);
  oneLine(nowhere.stderr, /--out .*pile\.cose: no folder .*missing/);
  assert.not.ok(existsSync(join(dir, 'no-relay')), 'no data folder made');
});

test('pile serve on a port in use: one line, exit 1, before the relay is asked or a folder made', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = String((blocker.address() as { port: number }).port);
  const data = join(dir, 'busy-pile');
  // the relay URL leads nowhere: had the pile been registered first, the error would be about the relay
  const operatorKey = join(dir, 'operator-key.json');
  assert.is(cli('keygen', '--out', operatorKey).status, 0);
  const r = cli('pile', 'serve', '--data', data, '--port', port, '--relay', 'http://127.0.0.1:9', '--operator-key', operatorKey);
  blocker.close();
  assert.is(r.status, 1);
  oneLine(r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\)`));
  assert.not.ok(existsSync(data), 'no pile folder made');
});

test('relay start --rpc: a bad URL and a node that is not there give one line, exit 1, and no data folder', () => {
  const key = `0x${'ab'.repeat(32)}`, address = `0x${'11'.repeat(20)}`;
  const bad = cli('relay', 'start', '--rpc', 'notaurl', '--key', key, '--address', address, '--data', join(dir, 'r1'), '--port', '0');
  assert.is(bad.status, 1);
  oneLine(bad.stderr, /^tapcharge: --rpc .*bad RPC URL "notaurl"$/);
  const absent = cli('relay', 'start', '--rpc', 'http://127.0.0.1:9', '--key', key, '--address', address, '--data', join(dir, 'r2'), '--port', '0');
  assert.is(absent.status, 1);
  oneLine(absent.stderr, /^tapcharge: --rpc http:\/\/127\.0\.0\.1:9\/: HTTP request failed\. \(fetch failed\)$/);
  assert.not.ok(existsSync(join(dir, 'r1')) || existsSync(join(dir, 'r2')));
});

test('day audit on a damaged relay database: one line, exit 1, the files untouched', () => {
  const data = join(dir, 'damaged-day');
  mkdirSync(join(data, 'ledger'), { recursive: true });
  writeFileSync(join(data, 'ledger', 'chain.json'), '{}');
  writeFileSync(join(data, 'relay.sqlite'), Buffer.alloc(4096, 0x5a));
  const before = sha(join(data, 'relay.sqlite'));
  const r = cli('day', 'audit', '--data', data);
  assert.is(r.status, 1);
  oneLine(r.stderr, /relay\.sqlite cannot be read \(SQLITE_NOTADB: file is not a database\)/);
  assert.is(sha(join(data, 'relay.sqlite')), before);
});

test('a negative amount for an option says which option and what it got, not "ambiguous": one line, exit 2, nothing made', () => {
  const data = join(dir, 'negative-data');
  const cases: [string[], string][] = [
    [['relay', 'issue', '--user', '0011223344556677', '--amount', '-5', '--data', data], '--amount'],
    [['operator', 'refund', '--contract', '00'.repeat(16), '--amount', '-5', '--reason', 'x', '--data', data], '--amount'],
    [['phone', 'transfer', '--to', '0011223344556677', '--amount-minor', '-5', '--wallet', join(data, 'w.json')], '--amount-minor'],
  ];
  for (const [args, option] of cases) {
    const r = cli(...args);
    assert.is(r.status, 2, args.join(' '));
    oneLine(r.stderr, new RegExp(`^tapcharge: ${option} expected a value, got "-5" \\(see: tapcharge ${args[0]} --help\\)$`));
    assert.not.match(r.stderr, /ambiguous/);
  }
  assert.not.ok(existsSync(data));
});

test('ledger issue above the relay\'s money bound (10^12 minor units), and a negative amount: one line, nothing made', () => {
  const data = join(dir, 'ledger-data');
  const huge = cli('ledger', 'issue', `0x${'11'.repeat(20)}`, '1' + '0'.repeat(26), '--data', data);
  assert.is(huge.status, 1);
  oneLine(huge.stderr, /bad amount "1000+": above the maximum 1000000000000/);
  const negative = cli('ledger', 'issue', `0x${'11'.repeat(20)}`, '-5', '--data', data);
  assert.is(negative.status, 1);
  oneLine(negative.stderr, /bad amount "-5": expected a whole number of minor units/);
  assert.not.ok(existsSync(data));
});

test('a reader that stops early (| head) ends the day quietly: exit 0, nothing on stderr', async () => {
  const child = spawn(process.execPath, [bin, 'day', '--fast', '--data', join(dir, 'piped-day')], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(killer);
  assert.is(stderr, '');
  assert.is(status, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

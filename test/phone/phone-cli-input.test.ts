// `tapcharge phone …` with bad input: one-line errors on stderr, a non-zero exit, no stack traces,
// and the wallet file unchanged.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliError } from '../../tools/cli/cli-error.ts';
import { run } from '../../tools/cli/phone.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-phone-cli-'));
const wallet = join(dir, 'wallet.json');
// A port nothing listens on (fetch refuses "bad ports" such as 9 before connecting).
const closedPort = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(port));
  });
});

function phone(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, 'phone', ...args], { encoding: 'utf8', cwd: dir });
}

test('keygen writes a 0600 wallet; show reads it back offline', () => {
  const made = phone('keygen', '--wallet', wallet, '--name', 'Ada', '--relay', `http://127.0.0.1:${closedPort}`);
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stdout, new RegExp(`^wallet .*wallet.json: user [0-9a-f]{16} "Ada" relay http://127.0.0.1:${closedPort}\n$`));
  assert.is(statSync(wallet).mode & 0o777, 0o600);
  const shown = phone('show', '--wallet', wallet);
  assert.is(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`"Ada", relay http://127.0.0.1:${closedPort}, not registered\n  carrying 0 record\\(s\\)`));
});

const cases: [string, string[], number, RegExp][] = [
  ['unknown subcommand', ['fly'], 2, /^tapcharge: unknown phone command "fly" \(try: tapcharge phone --help\)\n$/],
  ['unknown option', ['show', '--wallet', 'x', '--colour'], 2, /^tapcharge: Unknown option '--colour'/],
  ['option of another command', ['sync', '--pile', '1:2'], 2, /^tapcharge: phone sync does not take --pile\n$/],
  ['keygen over an existing wallet', ['keygen', '--name', 'Bo'], 1, /^tapcharge: .*wallet.json exists; pass --force to replace it\n$/],
  ['keygen without a name', ['keygen', '--wallet', join(dir, 'other.json')], 2, /^tapcharge: --name NAME is required/],
  ['keygen with a bad relay URL', ['keygen', '--wallet', join(dir, 'other.json'), '--name', 'Bo', '--relay', 'ftp://x'], 2, /^tapcharge: --relay expected http:\/\/HOST:PORT, got "ftp:\/\/x"\n$/],
  ['a name too long for the pile', ['keygen', '--wallet', join(dir, 'other.json'), '--name', 'A'.repeat(25)], 2, /^tapcharge: --name expected at most 24 UTF-8 bytes \(the pile's display\), got 25\n$/],
  ['tap without --pile', ['tap'], 2, /^tapcharge: --pile HOST:PORT is required/],
  ['tap with a bad address', ['tap', '--pile', 'nowhere'], 2, /^tapcharge: --pile: pile address expected HOST:PORT, got "nowhere"\n$/],
  ['tap at a closed port', ['tap', '--pile', `127.0.0.1:${closedPort}`], 1, new RegExp(`^tapcharge: pile 127.0.0.1:${closedPort}: ECONNREFUSED\n$`)],
  ['unknown mode', ['tap', '--pile', ':9', '--mode', 'turbo'], 2, /^tapcharge: --mode expected amount, time, energy or full, got "turbo"\n$/],
  ['mode without its limit', ['tap', '--pile', ':9', '--mode', 'energy'], 2, /^tapcharge: --energy-wh N is required for this mode\n$/],
  ['limit of another mode', ['tap', '--pile', ':9', '--mode', 'time', '--energy-wh', '5'], 2, /^tapcharge: --energy-wh does not go with --mode time\n$/],
  ['negative limit', ['tap', '--pile', ':9', '--mode', 'energy', '--energy-wh=-5'], 2, /^tapcharge: --energy-wh expected a whole number 1..4294967295, got "-5"\n$/],
  ['a limit that looks like an option', ['tap', '--pile', ':9', '--mode', 'energy', '--energy-wh', '-5'], 2, /^tapcharge: --energy-wh expected a value, got "-5" \(see: tapcharge phone --help\)\n$/],
  ['limit with a fraction', ['start', '--pile', ':9', '--mode', 'amount', '--amount-minor', '1.5'], 2, /--amount-minor expected a whole number/],
  ['stop without a running contract', ['stop', '--pile', '127.0.0.1:9'], 1, /^tapcharge: no running contract on this phone\n$/],
  ['start without a voucher', ['start', '--pile', '127.0.0.1:9'], 1, /^tapcharge: no voucher: tap the pile \(tap 1\) and choose a mode first\n$/],
  ['sync with the relay down', ['sync'], 1, new RegExp(`^tapcharge: relay http://127.0.0.1:${closedPort} unreachable \\(GET /v1/relay: ECONNREFUSED\\)\n$`)],
  ['transfer to a bad kid', ['transfer', '--to', 'bob', '--amount-minor', '5'], 2, /^tapcharge: --to expected a user key id/],
];

// Through the real command (process, stderr, exit code) for a few; in-process through the same
// `run` for the rest (each spawn costs a second of CPU on a shared machine).
const spawned = new Set(['unknown subcommand', 'a limit that looks like an option', 'tap at a closed port', 'sync with the relay down']);

for (const [name, args, exit, stderr] of cases) {
  test(`${name}: exit ${exit}, one-line error, wallet unchanged`, async () => {
    const before = readFileSync(wallet, 'utf8');
    const withWallet = args.includes('--wallet') || args[0] === 'fly' ? args : [...args, '--wallet', wallet];
    if (spawned.has(name)) {
      const r = phone(...withWallet);
      assert.is(r.status, exit, r.stderr);
      assert.match(r.stderr, stderr);
      assert.is(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    } else {
      const error = await run(withWallet).then(() => undefined, (e: unknown) => e);
      assert.instance(error, CliError, String(error));
      assert.is((error as CliError).exitCode, exit);
      assert.match(`tapcharge: ${(error as CliError).message}\n`, stderr);
      assert.not.match((error as CliError).message, /\n/);
    }
    assert.is(readFileSync(wallet, 'utf8'), before);
  });
}

test('a damaged wallet file: one-line error naming the field', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(wallet, 'utf8')), secretKey: '00' }));
  const r = phone('show', '--wallet', bad);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^tapcharge: .*bad.json: wallet: "secretKey" expected 32 bytes, got 1\n$/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

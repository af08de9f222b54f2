// The `tapcharge keygen` and `tapcharge contract` commands, run as a user would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-contract-'));
const testKey = JSON.parse(readFileSync(join(fixtures, 'test-key.json'), 'utf8')) as { publicKey: string; kid: string };

function cli(args: string[], input?: Buffer | string): { status: number | null; stdout: string; stderr: string; raw: Buffer } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, maxBuffer: 1 << 20 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

// One line on stderr, prefixed, no stack trace.
function oneLineError(stderr: string, pattern: RegExp): void {
  assert.match(stderr, /^tapcharge: [^\n]*\n$/);
  assert.match(stderr, pattern);
  assert.not.match(stderr, /\bat .*\.ts:\d+/);
}

test('keygen writes a 0600 key file, prints the public part, refuses to overwrite without --force', () => {
  const file = join(dir, 'pile.json');
  const first = cli(['keygen', '--out', file]);
  assert.is(first.status, 0, first.stderr);
  const key = JSON.parse(readFileSync(file, 'utf8'));
  assert.match(key.secretKey, /^[0-9a-f]{64}$/);
  assert.match(first.stdout, new RegExp(`^kid ${key.kid}\\npublicKey ${key.publicKey}\\n$`));
  assert.not.match(first.stdout, new RegExp(key.secretKey));
  assert.is(statSync(file).mode & 0o777, 0o600);
  const again = cli(['keygen', '--out', file]);
  assert.is(again.status, 1);
  oneLineError(again.stderr, /pile\.json exists; pass --force to overwrite it/);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')), key);
  const forced = cli(['keygen', '--out', file, '--force']);
  assert.is(forced.status, 0);
  assert.is.not(JSON.parse(readFileSync(file, 'utf8')).secretKey, key.secretKey);
  assert.is(statSync(file).mode & 0o777, 0o600);
  oneLineError(cli(['keygen']).stderr, /--out FILE is required/);
});

test('sign -> inspect -> verify with a fresh key and external_aad, through files and stdin/stdout', () => {
  const keyFile = join(dir, 'relay.json');
  assert.is(cli(['keygen', '--out', keyFile]).status, 0);
  const key = JSON.parse(readFileSync(keyFile, 'utf8'));
  const signed = cli(['contract', 'sign', '--type', 'StopRequest', '--in', '-', '--key', keyFile, '--aad', 'a1b2'], readFileSync(join(fixtures, 'stop-request.json')));
  assert.is(signed.status, 0, signed.stderr);
  const coseFile = join(dir, 'stop.cose');
  writeFileSync(coseFile, signed.raw);

  const inspected = cli(['contract', 'inspect', coseFile, '--pubkey', key.publicKey, '--aad', 'A1B2']);
  assert.is(inspected.status, 0, inspected.stderr);
  const report = JSON.parse(inspected.stdout);
  assert.is(report.type, 'StopRequest');
  assert.is(report.kid, key.kid);
  assert.is(report.signature, 'valid');
  assert.equal(report.message, JSON.parse(readFileSync(join(fixtures, 'stop-request.json'), 'utf8')));

  const noAad = cli(['contract', 'inspect', '-', '--pubkey', key.publicKey], signed.raw);
  assert.is(noAad.status, 1);
  assert.is(JSON.parse(noAad.stdout).signature, 'invalid: cose: bad signature');
  assert.is(JSON.parse(cli(['contract', 'inspect', coseFile]).stdout).signature, 'not checked (pass --pubkey HEX)');

  const ok = cli(['contract', 'verify', coseFile, '--pubkey', key.publicKey, '--aad', 'a1b2']);
  assert.is(ok.status, 0);
  assert.is(ok.stdout, `valid StopRequest kid ${key.kid}\n`);
  const wrongAad = cli(['contract', 'verify', coseFile, '--pubkey', key.publicKey, '--aad', 'a1b3']);
  assert.is(wrongAad.status, 1);
  assert.is(wrongAad.stderr, 'tapcharge: invalid: cose: bad signature\n');
  const wrongKey = cli(['contract', 'verify', coseFile, '--pubkey', testKey.publicKey, '--aad', 'a1b2']);
  assert.is(wrongKey.status, 1);
  assert.is(wrongKey.stderr, 'tapcharge: invalid: cose: kid mismatch\n');
  const wrongType = cli(['contract', 'verify', coseFile, '--pubkey', key.publicKey, '--aad', 'a1b2', '--type', 'Receipt']);
  assert.is(wrongType.stderr, 'tapcharge: invalid: expected Receipt, got StopRequest\n');
});

test('verify reports tampering, truncation and junk with the reason on stderr, exit 1', () => {
  const cose = readFileSync(join(fixtures, 'receipt.cose'));
  const tampered = Buffer.from(cose);
  tampered[30] ^= 1;
  const cases: [Buffer, RegExp][] = [
    [tampered, /^tapcharge: invalid: cose: bad signature\n$/],
    [cose.subarray(0, cose.length - 3), /^tapcharge: invalid: cbor: truncated\n$/],
    [Buffer.from('hello'), /^tapcharge: invalid: cbor: /],
    [Buffer.alloc(0), /^tapcharge: invalid: cbor: empty input\n$/],
  ];
  for (const [bytes, expected] of cases) {
    const r = cli(['contract', 'verify', '-', '--pubkey', testKey.publicKey], bytes);
    assert.is(r.status, 1);
    assert.match(r.stderr, expected);
  }
});

test('bad files and arguments: one-line errors, no stack trace', () => {
  const junkKey = join(dir, 'junk-key.json');
  writeFileSync(junkKey, '{"secretKey":"00"}');
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{"pileId": ');
  const wrongFields = join(dir, 'wrong.json');
  writeFileSync(wrongFields, JSON.stringify({ ...JSON.parse(readFileSync(join(fixtures, 'contract.json'), 'utf8')), seq: -1 }));
  const cases: [string[], number, RegExp][] = [
    [['contract', 'sign', '--type', 'Contract', '--in', join(fixtures, 'contract.json'), '--key', join(dir, 'missing.json')], 1, /cannot read key file .*missing\.json: ENOENT/],
    [['contract', 'sign', '--type', 'Contract', '--in', join(fixtures, 'contract.json'), '--key', junkKey], 1, /"secretKey" must be 32 bytes of hex/],
    [['contract', 'sign', '--type', 'Contract', '--in', badJson, '--key', join(fixtures, 'test-key.json')], 1, /bad\.json: invalid JSON/],
    [['contract', 'sign', '--type', 'Contract', '--in', wrongFields, '--key', join(fixtures, 'test-key.json')], 1, /wrong\.json: Contract: field "seq" expected 0\.\.4294967295, got -1/],
    [['contract', 'sign', '--type', 'Receipt', '--in', join(fixtures, 'contract.json'), '--key', join(fixtures, 'test-key.json')], 1, /Receipt: unknown field "seq"|Receipt: unknown field/],
    [['contract', 'sign', '--type', 'Bill', '--in', 'x', '--key', 'y'], 2, /--type: unknown message type "Bill"/],
    [['contract', 'sign', '--type', 'Contract', '--in', join(fixtures, 'contract.json'), '--key', join(fixtures, 'test-key.json'), '--aad', 'xyz'], 2, /--aad: /],
    [['contract', 'inspect', join(fixtures, 'contract.json')], 1, /looks like JSON; sign it first/],
    [['contract', 'inspect', join(dir, 'nope.cose')], 1, /cannot read .*nope\.cose: ENOENT/],
    [['contract', 'inspect'], 2, /contract inspect takes one FILE/],
    [['contract', 'verify', join(fixtures, 'receipt.cose')], 2, /--pubkey HEX is required/],
    [['contract', 'verify', join(fixtures, 'receipt.cose'), '--pubkey', 'abcd'], 2, /--pubkey: expected 32 bytes, got 2/],
    [['contract', 'verify', join(fixtures, 'receipt.cose'), '--frobnicate'], 2, /Unknown option '--frobnicate'/],
    [['contract', 'frobnicate'], 2, /contract: unknown subcommand "frobnicate"/],
  ];
  for (const [args, status, pattern] of cases) {
    const r = cli(args);
    assert.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    oneLineError(r.stderr, pattern);
  }
});

test('inspect shows an unsigned message too', () => {
  const bare = Buffer.from('a50002010102489c0ffee00000004203675a6fc3ab204b2e044c0102030405060708090a0b0c', 'hex');
  const r = cli(['contract', 'inspect', '-'], bare);
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.is(report.type, 'UserHello');
  assert.is(report.signed, false);
  assert.is(report.message.displayName, 'Zoë K.');
});

test('help is listed', () => {
  assert.match(cli(['--help']).stdout, /contract +offline contracts/);
  assert.match(cli(['contract', '--help']).stdout, /tapcharge contract sign --type TYPE/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

test('unknown command: one-line error, exit 2', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.is(r.stderr, 'tapcharge: unknown command "frobnicate" (try: tapcharge --help)\n');
});

test('--help lists usage and exits 0', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.is(r.status, 0);
  assert.match(r.stdout, /^usage: tapcharge <command>/);
});

test('--help lists the technician\'s commands: provision and ports', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.match(r.stdout, /\n  provision  provision a blank pile over its USB console/);
  assert.match(r.stdout, /\n  ports      list this computer's serial ports/);
});

test('ports: one line per serial port (or "no serial ports found"); --json the same as objects; a stray option is exit 2', () => {
  const text = spawnSync(process.execPath, [bin, 'ports'], { encoding: 'utf8' });
  assert.is(text.status, 0, text.stderr);
  const json = spawnSync(process.execPath, [bin, 'ports', '--json'], { encoding: 'utf8' });
  assert.is(json.status, 0, json.stderr);
  const ports = JSON.parse(json.stdout) as { path: string; manufacturer: string | null; serialNumber: string | null; vendorId: string | null; productId: string | null }[];
  for (const port of ports) {
    assert.type(port.path, 'string');
    for (const field of [port.manufacturer, port.serialNumber, port.vendorId, port.productId]) assert.ok(field === null || typeof field === 'string');
  }
  if (ports.length === 0) assert.is(text.stdout, 'no serial ports found\n');
  else assert.equal(text.stdout.trimEnd().split('\n').map((line) => line.split('  ')[0]), ports.map((p) => p.path));
  const stray = spawnSync(process.execPath, [bin, 'ports', '--all'], { encoding: 'utf8' });
  assert.is(stray.status, 2);
  assert.match(stray.stderr, /^tapcharge: Unknown option '--all' \(see: tapcharge ports --help\)\n$/);
});

test.run();

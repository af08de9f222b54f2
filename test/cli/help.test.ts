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

test.run();

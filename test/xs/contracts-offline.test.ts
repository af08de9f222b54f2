// Runs the contracts-offline tests inside XS (the engine of the pile): every test file under
// test/contracts-offline/ except the Node-only `*.node.test.ts`, each bundled with esbuild and run
// in its own xsnap, each XS test mirrored here as a test named `xs:<file> › <test>`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mirrorXsResults, runTestFileInXs } from '../support/xs/xs-tests.ts';

const testDir = new URL('../contracts-offline/', import.meta.url).pathname;
// Node runs the full 100,000; in XS 5,000 fuzz inputs took ~9 s here, so 20,000 keep this file
// well under a minute.
const xsFuzzIterations = 20_000;

function xsSafeTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...xsSafeTests(path));
    else if (entry.endsWith('.test.ts') && !entry.endsWith('.node.test.ts')) found.push(path);
  }
  return found.sort();
}

const files = existsSync(testDir) ? xsSafeTests(testDir) : [];

test('test/contracts-offline holds XS-safe test files', () => {
  assert.ok(files.length > 0, `no *.test.ts (other than *.node.test.ts) under ${testDir}`);
});

for (const file of files) {
  const run = await runTestFileInXs(file, { globals: { FUZZ_ITERATIONS: xsFuzzIterations } });
  mirrorXsResults(test, `xs:${relative(testDir, file)}`, run);
}

test.run();

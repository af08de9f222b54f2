// Sample for test/xs/harness.test.ts: imports a Node built-in, which XS cannot have.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';

test('reads a file', () => void readFileSync('/dev/null'));
test.run();

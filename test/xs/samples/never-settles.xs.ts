// Sample for test/xs/harness.test.ts: a test whose promise never settles, so XS runs out of work.
import { test } from 'uvu';

test('never settles', () => new Promise<void>(() => {}));
test.run();

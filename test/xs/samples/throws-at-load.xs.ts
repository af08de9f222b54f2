// Sample for test/xs/harness.test.ts: the file throws while loading, after queueing a test.
import { test } from 'uvu';

test('never runs', () => {});
test.run();
throw new RangeError('sample: thrown at load');

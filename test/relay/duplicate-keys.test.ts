// firstDuplicateKey: the first member name repeated within one object, as a path; names repeated
// in different objects are fine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstDuplicateKey } from '../../tools/relay/http/duplicate-keys.ts';

const cases: [json: string, duplicate: string | undefined][] = [
  ['{}', undefined],
  ['{"a":1,"b":2}', undefined],
  ['{"a":1,"a":2}', 'a'],
  ['{"a":{"x":1},"b":{"x":2}}', undefined],
  ['{"limit":{"mode":"full","mode":"amount"}}', 'limit.mode'],
  ['{"records":[{"k":1},{"k":1,"k":2}]}', 'records[1].k'],
  ['[{"a":1},{"a":2}]', undefined],
  ['{"a":1,"b":{"c":1,"c":2},"a":3}', 'b.c'],
  ['{"\\u0061":1,"a":2}', 'a'],
  ['"text"', undefined],
];

for (const [json, duplicate] of cases) {
  test(`${json} → ${duplicate ?? 'none'}`, () => {
    JSON.parse(json); // every case is JSON the relay's parser accepted first
    assert.is(firstDuplicateKey(json), duplicate);
  });
}

test.run();

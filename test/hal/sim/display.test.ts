import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DisplaySim } from '../../../hal/sim/display.ts';

test('shows rows (missing rows blank, long lines clipped) and renders a bordered box with the status', () => {
  const d = new DisplaySim({ rows: 3, columns: 12 });
  d.show(['PILE-0001', 'tariff 0.35/kWh and more'], 'charging');
  assert.equal(d.lines, ['PILE-0001', 'tariff 0.35/', '']);
  assert.is(d.status, 'charging');
  assert.is(d.frames, 1);
  assert.is(d.render(), [
    '+-[ CHARGING ]+',
    '|PILE-0001   |',
    '|tariff 0.35/|',
    '|            |',
    '+------------+',
  ].join('\n'));
});

test('too many rows, non-ASCII text or an unknown status is a firmware bug: throws', () => {
  const d = new DisplaySim({ rows: 2, columns: 10 });
  assert.throws(() => d.show(['a', 'b', 'c'], 'idle'), /at most 2 rows, got 3/);
  assert.throws(() => d.show(['€ 3'], 'idle'), /not printable ASCII/);
  assert.throws(() => d.show(['x'], 'party' as never), /unknown status/);
  assert.is(d.frames, 0);
});

test.run();

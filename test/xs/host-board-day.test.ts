// design §3, second runtime: the scripted day on the host board (the ESP32 board's drivers over
// bus-level simulations of its chips) bundled and run in xsnap gives the same journal (flash image
// SHA-256 and length) and the same signed records and taps as the day on the hal/sim parts in Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dayOutcome } from '../support/day/day-outcome.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';
import { runDayInXs } from '../support/xs/xs-day.ts';

const { run, outcome: xs, failure } = await runDayInXs('host', 180_000);
const node = dayOutcome(await runScriptedDay());

test('the day on the host board runs to its end in XS', () => {
  assert.ok(xs, failure);
  assert.is(run.status, 0);
  assert.ok(xs.sessions >= 20);
});

test('the same journal as hal/sim in Node: flash image SHA-256 and length', () => {
  assert.is(xs!.flashBytes, node.flashBytes);
  assert.is(xs!.flashSha256, node.flashSha256);
});

test('the same signed records and taps', () => {
  assert.equal(xs!.records, node.records);
  assert.equal(xs!.taps, node.taps);
});

test.run();

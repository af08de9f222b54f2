// design §3: firmware/ runs unchanged on Node and on XS. The scripted pile day (22 sessions through
// APDUs, test/firmware/day/) is bundled with the firmware and the simulated board and run in xsnap;
// its journal (the whole flash image, by SHA-256 and length), every signed record and every tap's
// air figures must be identical to the same day run in Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dayOutcome } from '../support/day/day-outcome.ts';
import { runScriptedDay } from '../support/day/scripted-day.ts';
import { runDayInXs } from '../support/xs/xs-day.ts';

const { run, outcome: xs, failure } = await runDayInXs('hal-sim', 120_000);
const node = dayOutcome(await runScriptedDay());

test('the scripted day runs to its end in XS', () => {
  assert.ok(xs, failure);
  assert.is(run.status, 0);
  assert.ok(xs.sessions >= 20);
});

test('the journal is byte-identical: flash image SHA-256 and length', () => {
  assert.is(xs!.flashBytes, node.flashBytes);
  assert.is(xs!.flashSha256, node.flashSha256);
});

test('every signed record handed out is byte-identical', () => {
  assert.ok(node.records.length >= 40);
  assert.equal(xs!.records, node.records);
});

test('every tap carried the same commands, APDUs and bytes', () => {
  assert.equal(xs!.taps, node.taps);
});

test.run();

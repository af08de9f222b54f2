import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContactorSim } from '../../../hal/sim/contactor.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';

test('healthy: contacts and auxiliary feedback follow the coil', () => {
  const c = new ContactorSim();
  assert.is(c.readFeedbackClosed(), false);
  c.setClosed(true);
  assert.equal([c.conducting, c.readFeedbackClosed()], [true, true]);
  c.setClosed(false);
  assert.equal([c.conducting, c.readFeedbackClosed()], [false, false]);
  assert.is(c.operations, 2);
});

test('actuation delay: contacts move actuationMs after the coil', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const c = new ContactorSim({ clock, actuationMs: 30 });
  c.setClosed(true);
  assert.is(c.readFeedbackClosed(), false);
  clock.advance(29);
  assert.is(c.conducting, false);
  clock.advance(1);
  assert.is(c.readFeedbackClosed(), true);
  assert.throws(() => new ContactorSim({ actuationMs: 30 }), /"clock" is required/);
});

test('weld: opening the coil leaves the contacts closed, and the aux contact says so', () => {
  const c = new ContactorSim();
  c.setClosed(true);
  c.weld();
  c.setClosed(false);
  assert.is(c.commandedClosed, false);
  assert.is(c.conducting, true);
  assert.is(c.readFeedbackClosed(), true);
});

test('weld armed while open takes effect at the next closing', () => {
  const c = new ContactorSim();
  c.weld();
  c.setClosed(true);
  c.setClosed(false);
  assert.is(c.conducting, true);
});

test('lost feedback: the contacts work but the aux contact always reads open', () => {
  const c = new ContactorSim();
  c.loseFeedback();
  c.setClosed(true);
  assert.is(c.conducting, true);
  assert.is(c.readFeedbackClosed(), false);
});

test.run();

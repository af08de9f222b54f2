// The contactor supervisor against the simulated contactor (with a real actuation delay): it lets
// the contacts settle, then a weld or a lost auxiliary contact is a latched fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContactorSim } from '../../../hal/sim/contactor.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { ContactorSupervisor } from '../../../firmware/charging/contactor-supervisor.ts';

function rig() {
  const clock = new VirtualClock({ startMs: 0 });
  const contactor = new ContactorSim({ clock, actuationMs: 80 });
  const supervisor = new ContactorSupervisor(contactor, clock, 200);
  return { clock, contactor, supervisor };
}

test('healthy: no fault while settling, none after; feedback follows', () => {
  const { clock, contactor, supervisor } = rig();
  supervisor.command(true);
  assert.is(supervisor.check(), undefined, 'not judged before settleMs');
  clock.advance(200);
  assert.is(supervisor.check(), undefined);
  assert.ok(contactor.conducting);
  supervisor.command(false);
  clock.advance(200);
  assert.is(supervisor.check(), undefined);
  assert.not.ok(contactor.conducting);
});

test('weld: feedback stays closed after opening → "welded", latched; closing is refused afterwards', () => {
  const { clock, contactor, supervisor } = rig();
  supervisor.command(true);
  clock.advance(200);
  contactor.weld();
  supervisor.command(false);
  clock.advance(199);
  assert.is(supervisor.check(), undefined);
  clock.advance(1);
  assert.is(supervisor.check(), 'welded');
  supervisor.command(true);
  assert.not.ok(supervisor.closed);
  assert.not.ok(contactor.commandedClosed);
  assert.is(supervisor.check(), 'welded');
});

test('lost feedback: reads open while closed → "feedback", and the coil is released', () => {
  const { clock, contactor, supervisor } = rig();
  supervisor.command(true);
  clock.advance(500);
  contactor.loseFeedback();
  assert.is(supervisor.check(), 'feedback');
  assert.not.ok(contactor.commandedClosed);
  clock.advance(100);
  assert.not.ok(contactor.conducting);
});

test('a driver that throws is a feedback fault, never an exception', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const broken = { setClosed() { throw new Error('gpio'); }, readFeedbackClosed(): boolean { throw new Error('gpio'); } };
  const supervisor = new ContactorSupervisor(broken, clock, 200);
  assert.is(supervisor.fault, 'feedback');
  assert.is(supervisor.check(), 'feedback');
});

test.run();

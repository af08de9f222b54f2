// Contactor driver on simulated GPIOs wired to the contactor model: coil follows the command, the
// auxiliary contact (closed reads 0 against the pull-up) is read once it stops bouncing, and a
// chattering, welded or disconnected contact shows as such.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Contactor } from '../../drivers/contactor/contactor.ts';
import { BusTime } from '../../hal/sim/io/bus-time.ts';
import { simulatedIo } from '../../hal/sim/io/simulated-io.ts';
import { BoardWiring } from '../../hal/sim/io/wiring.ts';
import { ContactorWiring } from '../../hal/sim/chips/contactor-wiring.ts';
import { ContactorSim } from '../../hal/sim/contactor.ts';
import { VirtualClock } from '../../hal/sim/virtual-clock.ts';

function rig() {
  const clock = new VirtualClock({ startMs: 0 });
  const time = new BusTime(clock);
  const wiring = new BoardWiring(time);
  const model = new ContactorSim();
  const contacts = new ContactorWiring(model);
  wiring.connectDigital(25, contacts.coil);
  wiring.connectDigital(26, contacts.auxiliary);
  const io = simulatedIo(wiring, {});
  const driver = new Contactor({ coil: { io: io.Digital, pin: 25 }, auxiliary: { io: io.Digital, pin: 26 }, wait: time.wait });
  return { time, wiring, model, contacts, driver, io };
}

test('the coil follows the command and the debounced auxiliary contact reports the contacts', () => {
  const { time, model, driver } = rig();
  assert.is(driver.readFeedbackClosed(), false);
  driver.setClosed(true);
  assert.is(model.conducting, true);
  const before = time.nowUs();
  assert.is(driver.readFeedbackClosed(), true);
  assert.is(time.nowUs() - before, 2000, 'three equal reads 1 ms apart');
  driver.setClosed(false);
  assert.is(model.conducting, false);
  assert.is(driver.readFeedbackClosed(), false);
});

test('a welded contactor keeps reporting closed; a lost auxiliary contact reports open', () => {
  const welded = rig();
  welded.driver.setClosed(true);
  welded.model.weld();
  welded.driver.setClosed(false);
  assert.is(welded.driver.readFeedbackClosed(), true);
  const lost = rig();
  lost.model.loseFeedback();
  lost.driver.setClosed(true);
  assert.is(lost.driver.readFeedbackClosed(), false);
});

test('a chattering auxiliary contact is a clear fault, not a guess', () => {
  const { contacts, driver } = rig();
  contacts.chatter();
  assert.throws(() => driver.readFeedbackClosed(), /^contactor: auxiliary contact still bouncing after 20 reads 1 ms apart$/);
  contacts.chatter(false);
  assert.is(driver.readFeedbackClosed(), false);
});

test('pins are claimed while open and released by close(); close releases the coil', () => {
  const { io, model, driver } = rig();
  assert.throws(() => new io.Digital({ pin: 25, mode: io.Digital.Output }), /pin 25 in use/);
  driver.setClosed(true);
  driver.close();
  assert.is(model.conducting, false);
  const again = new io.Digital({ pin: 25, mode: io.Digital.Output });
  again.close();
  assert.throws(() => driver.setClosed(true), /closed/);
  assert.throws(() => rig().driver.setClosed('yes' as unknown as boolean), /"closed" expected a boolean/);
});

test.run();

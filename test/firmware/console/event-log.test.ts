// The pile's event log: a bounded RAM ring since power-on (firmware/events/event-log.ts), and the
// faults and abnormal ends the pile records in it (firmware/pile-controller.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { EVENT_LOG_CAPACITY, EventLog } from '../../../firmware/events/event-log.ts';
import { defaultEv, voucher, genuine } from '../../support/pile-rig.ts';
import { provisionedConsoleRig } from './console-rig.ts';
import { consolePileId, startMs } from '../../support/console-signing.ts';

test('the ring keeps the newest 64 events, numbered; text is printable ASCII of at most 64 characters', () => {
  const clock = new VirtualClock({ startMs });
  const log = new EventLog(clock);
  for (let i = 1; i <= 70; i++) {
    log.record(i % 10 === 0 ? 'fault' : 'info', `event ${i}`);
    clock.advance(1000);
  }
  const all = log.after(0, 100);
  assert.is(all.entries.length, EVENT_LOG_CAPACITY);
  assert.is(all.entries[0]!.seq, 7, 'the six oldest are gone');
  assert.is(all.entries[0]!.atS, startMs / 1000 + 6);
  const page = log.after(60, 8);
  assert.equal(page.entries.map((e) => e.seq), [61, 62, 63, 64, 65, 66, 67, 68]);
  assert.is(page.remaining, 2);
  assert.equal(log.lastFaults(3).map((e) => e.text), ['event 50', 'event 60', 'event 70']);
  log.record('warning', `température ${'x'.repeat(100)}`);
  const last = log.after(70, 8).entries[0]!;
  assert.is(last.text.length, 64);
  assert.ok(last.text.startsWith('temp?rature xxx'), last.text);
});

test('the pile records session starts, abnormal ends and latched contactor faults', () => {
  const { sim, runtime } = provisionedConsoleRig();
  const services = runtime.handle.services!;
  sim.circuit.plug(new EvSim(defaultEv));
  sim.clock.advance(1000);
  assert.ok(services.startSession(voucher({ mode: 'energy', energyWh: 20_000 }, 100_000, { pileId: consolePileId }), 'Zoe', genuine).ok);
  sim.clock.advance(5000);
  sim.circuit.unplug();
  sim.clock.advance(2000);
  sim.contactor.weld();
  sim.circuit.plug(new EvSim(defaultEv));
  sim.clock.advance(1000);
  assert.ok(services.startSession(voucher({ mode: 'energy', energyWh: 20_000 }, 100_000, { pileId: consolePileId }), 'Zoe', genuine).ok);
  sim.clock.advance(5000);
  assert.ok(services.stopSession(services.session!.contract.seq, 'user', genuine).ok);
  sim.clock.advance(3000);
  const texts = runtime.log.after(0, 64).entries.map((e) => `${e.level} ${e.text}`);
  assert.ok(texts.includes('info session 1 started: energy 20.000 kWh'), texts.join('\n'));
  assert.ok(texts.includes('warning session 1 ended abnormal: plug removed'), texts.join('\n'));
  assert.ok(texts.includes('fault contactor welded'), texts.join('\n'));
  assert.is(texts.filter((t) => t === 'fault contactor welded').length, 1, 'a latched fault is recorded once');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';

test('the wired board: PWM + contactor through the HAL charge a plugged EV, metered in whole Wh', () => {
  const pile = createSimulatedPile({ secretKey: new Uint8Array(32).fill(7), startMs: Date.UTC(2026, 10, 24, 8) });
  const { hal } = pile;
  assert.is(hal.pilot.readHighMv(), 12_000, 'state A');
  pile.circuit.plug(new EvSim({ batteryWh: 50_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 }));
  assert.is(hal.pilot.readHighMv(), 8979, 'state B');
  hal.pilot.setDutyPerMille(533);
  assert.is(hal.pilot.readHighMv(), 5996, 'state C');
  hal.contactor.setClosed(true);
  assert.ok(hal.contactor.readFeedbackClosed());
  pile.clock.advance(30 * 60_000);
  const sample = hal.meter.sample();
  assert.is(sample.currentMa, 31_980);
  assert.is(sample.energyWh, 3677); // 230 V × 31.98 A × 0.5 h = 3677.7 Wh
  assert.is(hal.clock.nowMs(), Date.UTC(2026, 10, 24, 8, 30));
});

test('the HAL key store signs verifiably; random is seeded; flash is the 64 KiB default', () => {
  const a = createSimulatedPile({ secretKey: new Uint8Array(32).fill(1), seed: 5 });
  const b = createSimulatedPile({ secretKey: new Uint8Array(32).fill(1), seed: 5 });
  const sig = a.hal.keyStore.sign(Uint8Array.of(1));
  assert.ok(nobleEd25519.verify(sig, Uint8Array.of(1), a.hal.keyStore.publicKey));
  const x = new Uint8Array(8), y = new Uint8Array(8);
  a.hal.random.fill(x);
  b.hal.random.fill(y);
  assert.equal(x, y);
  assert.is(a.hal.flash.byteLength, 65536);
  assert.is(a.hal.display.rows, 6);
});

test('a blank board: no key until createKey, which persists through onKeyCreated and signs', () => {
  const persisted: Uint8Array[] = [];
  const pile = createSimulatedPile({ seed: 3, onKeyCreated: (key) => persisted.push(key) });
  assert.not.ok(pile.hal.keyStore.hasKey());
  assert.throws(() => pile.hal.keyStore.publicKey, /no key yet/);
  const publicKey = pile.hal.keyStore.createKey();
  assert.is(persisted.length, 1);
  assert.equal(publicKey, nobleEd25519.publicKey(persisted[0]!));
  const restarted = createSimulatedPile({ seed: 3, secretKey: persisted[0]! });
  assert.equal(restarted.hal.keyStore.publicKey, publicKey);
  assert.throws(() => restarted.hal.keyStore.createKey(), /never replaced/);
});

test('the service port: absent by default; asked for, the pile hears the host on its own clock', () => {
  assert.is(createSimulatedPile().hal.servicePort, undefined);
  const pile = createSimulatedPile({ servicePort: true, meterSerialNumber: 12_345_678 });
  const port = pile.servicePort!;
  assert.is(pile.hal.servicePort, port);
  const heard: number[] = [];
  pile.hal.servicePort!.setReceiver((bytes) => {
    heard.push(...bytes);
    pile.hal.servicePort!.write(bytes.map((b) => b + 1));
  });
  port.host.write(Uint8Array.of(1, 2));
  pile.clock.advance(0);
  assert.equal(heard, [1, 2]);
  assert.equal([...port.host.takeReceived()], [2, 3]);
  assert.is(pile.hal.meter.readSerialNumber(), 12_345_678);
  assert.is(pile.hal.nfc.selfTest(), 'simulated RF field');
});

test.run();

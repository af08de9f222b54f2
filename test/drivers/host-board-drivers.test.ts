// The drivers as the host board's PileHal (boards/host/hal.ts) for the service console's needs: a
// blank SE050 that creates the pile's key once, the SDM230's serial number read over Modbus, the
// PN7160 self-test over I2C, and the simulated pile's USB service port passed through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHostBoard } from '../../boards/host/hal.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { createSimulatedPile } from '../../hal/sim/simulated-pile.ts';

test('a blank SE050 on the host board: no key, createKey once inside the chip, then it signs', () => {
  const host = createHostBoard(createSimulatedPile({ seed: 4 }));
  const { keyStore } = host.hal;
  assert.not.ok(keyStore.hasKey());
  assert.throws(() => keyStore.publicKey, /no key object/);
  const publicKey = keyStore.createKey();
  assert.ok(keyStore.hasKey());
  assert.is(host.chips.secureElement.counters.keysGenerated, 1);
  assert.throws(() => keyStore.createKey(), /already exists; createKey never replaces the pile's key/);
  const message = Uint8Array.of(1, 2, 3);
  assert.ok(nobleEd25519.verify(keyStore.sign(message), message, publicKey));
});

test('a host board given the pile key answers it, and refuses to make another', () => {
  const pileSecretKey = new Uint8Array(32).fill(9);
  const host = createHostBoard(createSimulatedPile(), { pileSecretKey });
  assert.ok(host.hal.keyStore.hasKey());
  assert.equal(host.hal.keyStore.publicKey, nobleEd25519.publicKey(pileSecretKey));
  assert.throws(() => host.hal.keyStore.createKey(), /never replaces/);
  assert.is(host.chips.secureElement.counters.keysGenerated, 0);
});

test('meter serial over Modbus (the simulated meter\'s), NFC self-test over NCI, service port passed through', () => {
  const pile = createSimulatedPile({ meterSerialNumber: 23_042_117, servicePort: true });
  const host = createHostBoard(pile);
  assert.is(host.hal.meter.readSerialNumber(), 23_042_117);
  assert.is(host.hal.nfc.selfTest(), 'NCI 2.0, mfr 04 1250051e, ISO-DEP set');
  assert.is(host.hal.servicePort, pile.servicePort);
  assert.is(createHostBoard(createSimulatedPile()).hal.servicePort, undefined, 'none on a pile without one');
  host.chips.meter.inject('no-answer');
  assert.throws(() => host.hal.meter.readSerialNumber(), /sdm230: no answer from address/);
});

test.run();

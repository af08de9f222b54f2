// The power-cut sweep over provisioning and factory reset (firmware/console/README.md "Atomic
// provisioning", "Factory reset"): the flash is cut at every program/erase operation, with each
// tear mode of the simulated NOR flash, power comes back and the pile boots. Every cut must give a
// blank pile (which a second provisioning then provisions) or the complete one — never anything else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import type { Tear } from '../../../hal/sim/nor-flash.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { provisionPile, partitionIsBlank } from '../../../firmware/provisioning/provision-pile.ts';
import { factoryReset } from '../../../firmware/provisioning/factory-reset.ts';
import { mountJournal } from '../../../firmware/journal/mount.ts';
import { pileId, pileKey, pileSecretKey, pileUpdate, plugEv, provisionedRig, relayKey, runUntil, startMs, startSession } from '../../support/pile-rig.ts';
import { NorFlashSim } from '../../../hal/sim/nor-flash.ts';

const tears: readonly Tear[] = ['random', 'none', 'all'];
const record = () => ({ pileId, relayPublicKey: relayKey.publicKey, pilePublicKey: pileKey.publicKey, pileUpdate: pileUpdate(1).signedBytes, firstBillingSeq: 1 });
const board = (seed: number) => createSimulatedPile({ secretKey: pileSecretKey, startMs, seed });

type Outcome = 'blank' | 'provisioned';

/** Boot and classify: blank ("not provisioned") or provisioned with the right identity and config. */
function bootOutcome(sim: ReturnType<typeof board>, configVersion: number, label: string): Outcome {
  const handle = bootPile(sim.hal);
  try {
    if (!handle.services) {
      assert.is(handle.fault, 'not provisioned', `${label}: the pile is neither blank nor provisioned`);
      assert.ok(partitionIsBlank(sim.flash).ok, `${label}: blank for a second provisioning`);
      return 'blank';
    }
    assert.equal(handle.services.pileId, pileId, label);
    assert.equal(handle.services.relayPublicKey, relayKey.publicKey, label);
    assert.is(handle.services.config().configVersion, configVersion, label);
    assert.is(handle.services.state(), 'available', label);
    return 'provisioned';
  } finally {
    handle.shutdown();
  }
}

test('provisioning: a cut at every flash operation, each tear mode, gives blank (then provisionable) or fully provisioned', () => {
  const reference = board(1);
  const before = reference.flash.operationCount;
  assert.ok(provisionPile(reference.flash, record()).ok);
  const operations = reference.flash.operationCount - before;
  assert.is(operations, reference.flash.byteLength / reference.flash.blockLength + 2, 'erase every block, program the record, program the header');
  const counts = { blank: 0, provisioned: 0 };
  for (const tear of tears) {
    for (let n = 0; n < operations; n++) {
      const label = `cut at operation ${n} (${tear})`;
      const sim = board(n + 7);
      sim.flash.cutPowerAt(sim.flash.operationCount + n, tear);
      const cut = provisionPile(sim.flash, record());
      assert.is(cut.ok, false, label);
      if (!cut.ok) assert.is(cut.code, 'device', label);
      sim.flash.reboot();
      const outcome = bootOutcome(sim, 1, label);
      counts[outcome]++;
      if (outcome === 'blank') {
        assert.ok(provisionPile(sim.flash, record()).ok, `${label}: second provisioning`);
        assert.is(bootOutcome(sim, 1, `${label}, provisioned again`), 'provisioned');
      } else {
        assert.is(provisionPile(sim.flash, record()).ok, false, `${label}: a provisioned pile is not provisioned again`);
      }
    }
  }
  console.log(`provisioning sweep: ${operations} operations × ${tears.length} tear modes = ${operations * tears.length} cuts; blank ${counts.blank}, provisioned ${counts.provisioned}`);
  assert.ok(counts.blank > 0 && counts.provisioned > 0);
  assert.is(counts.provisioned, 1, 'only a whole header commits (the last operation, cut with everything landed)');
});

/**
 * A provisioned pile with history over several blocks: a newer config, sessions, every record
 * acknowledged (so the billing floor is in the journal). Answers its flash image.
 */
function historyImage(): { image: Uint8Array; geometry: { byteLength: number; blockLength: number } } {
  const geometry = { byteLength: 8 * 1024, blockLength: 1024 };
  const rig = provisionedRig({ flash: new NorFlashSim(geometry) });
  assert.ok(rig.pile.applyUpdate(pileUpdate(2).update, pileUpdate(2).signedBytes).ok);
  plugEv(rig.sim);
  for (let session = 0; session < 6; session++) {
    const contract = startSession(rig.pile, { mode: 'energy', energyWh: 500 }, 10_000, { tariffVersion: 2 });
    assert.ok(contract.length > 0);
    runUntil(rig.sim, () => !rig.pile.session, 3_600_000);
    const acked = rig.pile.acknowledge([{ fromSeq: 1, toSeq: 1000 }]);
    assert.equal(acked, { ok: true, value: 0 });
  }
  rig.handle.shutdown();
  const mounted = mountJournal(rig.sim.flash);
  assert.ok(mounted.ok);
  if (mounted.ok) assert.ok(mounted.value.stats().blockCount - mounted.value.stats().freeBlocks >= 2, 'the history spans several blocks');
  return { image: rig.sim.flash.contents(), geometry };
}

test('factory reset: a cut at every flash operation, each tear mode, gives the provisioned pile unchanged or blank', () => {
  const { image, geometry } = historyImage();
  const load = (seed: number) => {
    const sim = createSimulatedPile({ secretKey: pileSecretKey, startMs, seed });
    sim.hal.flash = sim.flash = new NorFlashSim({ ...geometry, seed });
    sim.flash.write(image, 0);
    return sim;
  };
  const reference = load(1);
  const before = reference.flash.operationCount;
  assert.ok(factoryReset(reference.flash).ok);
  const operations = reference.flash.operationCount - before;
  assert.ok(reference.flash.contents().every((b) => b === 0xff), 'a whole reset leaves the partition erased');
  const counts = { blank: 0, provisioned: 0 };
  for (const tear of tears) {
    for (let n = 0; n < operations; n++) {
      const label = `cut at operation ${n} (${tear})`;
      const sim = load(n + 11);
      sim.flash.cutPowerAt(sim.flash.operationCount + n, tear);
      const cut = factoryReset(sim.flash);
      assert.is(cut.ok, false, label);
      sim.flash.reboot();
      const outcome = bootOutcome(sim, 2, label);
      counts[outcome]++;
      if (outcome === 'provisioned') {
        assert.equal(sim.flash.contents(), image, `${label}: the provisioned pile is unchanged, byte for byte`);
      } else {
        assert.ok(provisionPile(sim.flash, record()).ok, `${label}: provisioned again`);
        assert.is(bootOutcome(sim, 1, `${label}, provisioned again`), 'provisioned');
      }
    }
  }
  console.log(`factory-reset sweep: ${operations} operations × ${tears.length} tear modes = ${operations * tears.length} cuts; provisioned ${counts.provisioned}, blank ${counts.blank}`);
  assert.ok(counts.blank > 0 && counts.provisioned > 0);
});

test('factory reset is refused while a billing record is unacknowledged, and changes nothing', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  startSession(rig.pile, { mode: 'energy', energyWh: 500 }, 10_000);
  runUntil(rig.sim, () => !rig.pile.session, 3_600_000);
  rig.handle.shutdown();
  const before = rig.sim.flash.contents();
  const refused = factoryReset(rig.sim.flash);
  assert.is(refused.ok, false);
  if (!refused.ok) {
    assert.is(refused.code, 'unacknowledged');
    assert.match(refused.reason, /2 billing records are not acknowledged/);
  }
  assert.equal(rig.sim.flash.contents(), before);
});

test.run();

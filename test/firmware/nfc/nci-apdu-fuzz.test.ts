// The APDU fuzz of apdu-fuzz.test.ts (200,000 seeded hostile tap sequences, the same generator and
// per-APDU checks: apdu-mutator.ts `runApduFuzz`) on the host board (boards/host): every APDU
// crosses the PN7160 simulation as NCI data packets, the PN7160 driver and back, and every pile
// signature comes from the SE050 driver over its simulation. Besides the fuzz's own invariants (no
// exception escaped, status words of the README table, effects only on 9000, the journal remounts
// with the same outbox, a genuine START still works): the driver never sent without a credit, the
// controller refused none of its packets, and every APDU the application answered reached the
// reader whole. The only frames left unanswered are those not shaped as a command APDU (ISO
// 7816-4 §5.1 lengths), which the driver drops by design: the reader sees a lost tag there, where
// the hal/sim card answers 6700; each is counted as a 'malformed' driver fault, and nothing else is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFuzzAftermath, fuzzReachedSw, runApduFuzz } from './apdu-mutator.ts';

const SEQUENCES = Number(process.env.FUZZ_SEQUENCES ?? 200_000);
const WALL_TIME_S = Number(process.env.FUZZ_WALL_S ?? 600);
const SEED = 0x7a9c_2026;

test(`${SEQUENCES} hostile tap sequences through the PN7160: no exception, status words only, no state change from rejected input, NCI flow control kept`, () => {
  const report = runApduFuzz({ board: 'host', sequences: SEQUENCES, seed: SEED, wallTimeMs: WALL_TIME_S * 1000 });
  const host = report.host!;
  const nfc = host.chips.nfc;
  assert.is(report.completed, SEQUENCES, `the ${WALL_TIME_S} s wall-time bound stopped the fuzz after ${report.completed} sequences (FUZZ_SEQUENCES, FUZZ_WALL_S)`);
  assert.ok(report.apdus > SEQUENCES);
  for (const sw of fuzzReachedSw) {
    assert.ok((report.swCounts.get(sw) ?? 0) > 0, `status word ${sw.toString(16)} was reached`);
  }
  assert.ok(report.accepted > 50, 'genuine commands kept the pile moving');
  assert.is(report.halted, undefined, 'the pile never halted');

  assert.is(nfc.apdusAnswered, report.apdus, 'every APDU the application answered reached the reader');
  assert.is(nfc.creditMisuse, 0, 'the driver never sent a data packet without a credit');
  assert.is(nfc.packetsRejected, 0, 'the controller refused no packet of the driver');
  assert.is(nfc.writesWithIrqHigh, 0, 'the driver never wrote while the controller held a message');
  assert.is(nfc.boots, 1, 'the controller was never set up again');
  const faults = Object.entries(host.drivers.nfc.faults).filter(([, n]) => n > 0);
  assert.equal(faults, report.dropped > 0 ? [['malformed', report.dropped]] : [], 'the only driver faults: the frames it dropped');
  assert.ok(host.chips.secureElement.counters.signatures > report.accepted / 2, `${host.chips.secureElement.counters.signatures} SE050 signatures`);
  assert.is(report.rig.sim.keyStore.signatures, 0, 'the simulated pile\'s own key store signed nothing: every signature came from the SE050');

  checkFuzzAftermath(report);
});

test.run();

// Bounded, seeded fuzz of the real pile's NFC application (bootPile on the simulated board):
// 200,000 tap sequences of random frames and mutations of valid commands (bit flips, truncation,
// wrong Lc, header bytes, hostile chaining, field loss mid-chain and mid-answer), mixed with the
// occasional genuine command so the pile moves through its states (sessions start, end, get
// acknowledged; the clock runs between taps). After every APDU: no exception escaped, the answer
// is a status word of the README table, and the journal (flash program/erase count), contactor and
// config changed only when an UPDATE/START/STOP/ACK answered 9000. At the end the journal mounts
// again with the same outbox and the pile still starts a session for a genuine voucher.
// The generator and the checks: apdu-mutator.ts (`runApduFuzz`), shared with the same fuzz on the
// host board (nci-apdu-fuzz.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFuzzAftermath, fuzzReachedSw, runApduFuzz } from './apdu-mutator.ts';

const SEQUENCES = Number(process.env.FUZZ_SEQUENCES ?? 200_000);
const WALL_TIME_S = Number(process.env.FUZZ_WALL_S ?? 600);
const SEED = 0x7a9c_2026;

test(`${SEQUENCES} hostile tap sequences: no exception, status words only, no state change from rejected input`, () => {
  const report = runApduFuzz({ board: 'hal-sim', sequences: SEQUENCES, seed: SEED, wallTimeMs: WALL_TIME_S * 1000 });
  assert.is(report.completed, SEQUENCES, `the ${WALL_TIME_S} s wall-time bound stopped the fuzz after ${report.completed} sequences (FUZZ_SEQUENCES, FUZZ_WALL_S)`);
  assert.ok(report.apdus > SEQUENCES);
  for (const sw of fuzzReachedSw) {
    assert.ok((report.swCounts.get(sw) ?? 0) > 0, `status word ${sw.toString(16)} was reached`);
  }
  assert.ok(report.accepted > 50, 'genuine commands kept the pile moving');
  assert.is(report.halted, undefined, 'the pile never halted');
  checkFuzzAftermath(report);
});

test.run();

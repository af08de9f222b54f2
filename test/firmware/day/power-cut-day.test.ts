// Power cut at every flash program/erase of the whole scripted day (22 sessions, every mode and end,
// updates, outbox syncs and acks by tap, compaction on an 8 KiB partition of 1 KiB blocks),
// exhaustively: for each operation index the day runs again with the flash cut there — with a
// random, an empty and a complete tear — the board goes down, the pile boots on the same flash and
// the phones redo what they were doing. Cuts that land where the reboot itself writes (recovering
// the interrupted session) are tried again with a second cut at each of those writes. After every run: no signed contract or receipt lost or
// duplicated and no voucher used twice; every Wh the meter counted belongs to a durable contract
// and is billed (to the last checkpoint after a power loss); the contactor never closed before its
// contract was durable; billing seqs 1..N without holes; every boot mounted without formatting.
// The checks are shared with the 5-session test (test/firmware/pile/power-cut-checks.ts).
//
// Cheaper crypto for the loop only: the pile's key store, the test relay and the users sign with
// node:crypto, memoised across runs (Ed25519 signatures are deterministic, RFC 8032 §5.1.6: same
// key and message, same bytes); the phones leave verification to the checks, which verify each
// distinct record once. The pile itself verifies with @noble/ed25519 as on the device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { Tear } from '../../../hal/sim/nor-flash.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { sodiumEd25519 } from '../../../tools/sodium-ed25519.ts';
import {
  EnergyWatch, HandedOutRecords, type OpenSession, checkBillingRecords, checkEnergyCovered, checkRecovery, openSessionOnFlash, powerLossSlackWh, watchContactor,
} from '../pile/power-cut-checks.ts';
import { type DayBoard, dayFlash, runScriptedDay } from '../../support/day/scripted-day.ts';

const signatures = new Map<string, Uint8Array>();
const crypto: Ed25519Provider = {
  sign(message, secretKey) {
    const key = `${bytesToHex(secretKey)}:${bytesToHex(message)}`;
    let signature = signatures.get(key);
    if (!signature) signatures.set(key, (signature = sodiumEd25519.sign(message, secretKey)));
    return signature.slice();
  },
  verify: (signature, message, publicKey) => sodiumEd25519.verify(signature, message, publicKey),
  publicKey: (secretKey) => sodiumEd25519.publicKey(secretKey),
};

const slackWh = powerLossSlackWh(60, 7400); // the default checkpoint period at the provisioned 7.4 kW

type CutRun = { operations: number; powerCycles: number; recoveries: number; rebootWrites: { fromOp: number; toOp: number }[] };

/** The day with a cut at operation `cuts[0]` (counted from the first boot) and, if given, a second one at `cuts[1]` inside the reboot. */
async function runDay(cuts: readonly number[], tear: Tear, label: string): Promise<CutRun> {
  const flash = dayFlash();
  const closedWithoutContract: string[] = [];
  let watch: EnergyWatch | undefined;
  let board: DayBoard | undefined;
  let baseOp = 0;
  let open: OpenSession | undefined;
  let meterAtCutWh = 0;
  let recoveries = 0;
  const rebootWrites: CutRun['rebootWrites'] = [];
  let bootFromOp = 0;
  let boots = 0;
  const result = await runScriptedDay({
    crypto, verifyPileSignatures: false, flash,
    instrument(b) {
      const running = () => b.pile?.session?.contract.seq;
      watchContactor(b.sim.hal, flash, running, closedWithoutContract, () => label);
      watch = new EnergyWatch(b.sim, running);
    },
    onBooted(b) {
      board = b;
      baseOp = flash.operationCount;
      if (cuts[0] !== undefined) flash.cutPowerAt(baseOp + cuts[0], tear);
    },
    onPowerRestored() {
      boots++;
      bootFromOp = flash.operationCount;
      if (cuts[1] !== undefined && baseOp + cuts[1] >= flash.operationCount) flash.cutPowerAt(baseOp + cuts[1], tear);
    },
    onPowerLoss(b) {
      assert.not.ok(b.sim.contactor.commandedClosed, `${label}: contactor released when the journal failed`);
      open = openSessionOnFlash(flash);
      meterAtCutWh = b.sim.circuit.meter.sample().energyWh;
    },
    onRebooted(b) {
      if (flash.operationCount > bootFromOp) rebootWrites.push({ fromOp: bootFromOp - baseOp, toOp: flash.operationCount - baseOp });
      if (!open) return assert.is(b.handle!.recovered.length, 0, `${label}: nothing to recover`);
      recoveries++;
      checkRecovery(label, open, b.pile!, meterAtCutWh, slackWh, crypto);
    },
  });
  const operations = flash.operationCount - baseOp;
  if (cuts.length > 0) assert.is(result.powerCycles, 1, `${label}: the cut happened and the pile came back`);
  assert.is(boots, cuts.length, `${label}: each cut took one boot (the second one cut that boot)`);

  // A clean reboot at the end of the day mounts the journal as it is and finds nothing to recover.
  board!.handle!.shutdown();
  const handle = bootPile(board!.sim.hal);
  assert.ok(handle.services, `${label}: the journal mounts at the end of the day (${handle.fault})`);
  assert.is(handle.recovered.length, 0, `${label}: a clean reboot recovers nothing`);
  const held = handle.services.outbox(0, 10_000).records;

  const handedOut = new HandedOutRecords(crypto);
  for (const upload of result.uploads) handedOut.observe(upload.signed, label);
  for (const { bytes } of held) handedOut.observe(bytes, label);
  assert.equal(closedWithoutContract, [], 'no energy without a durable contract');
  checkBillingRecords(label, handedOut, new Set(held.map((r) => r.seq)), new Set(result.acknowledgedSeqs));
  checkEnergyCovered(label, watch!, handedOut.messages(), slackWh);
  return { operations, powerCycles: result.powerCycles, recoveries, rebootWrites };
}

test('power cut at every flash operation of the scripted day (random, empty and complete tears), plus cuts inside the recovering reboots', async () => {
  const uncut = await runDay([], 'random', 'no cut');
  assert.is(uncut.powerCycles, 0);
  let runs = 0, recoveries = 0, nested = 0;
  for (const tear of ['random', 'none', 'all'] as const) {
    for (let op = 0; op < uncut.operations; op++) {
      const run = await runDay([op], tear, `cut at ${op} (${tear})`);
      runs++;
      recoveries += run.recoveries;
      if (tear !== 'random') continue;
      for (const writes of run.rebootWrites) {
        for (let second = writes.fromOp; second < writes.toOp; second++) {
          const again = await runDay([op, second], tear, `cut at ${op}, then at ${second} in the reboot`);
          runs++, nested++;
          recoveries += again.recoveries;
        }
      }
    }
  }
  console.log(`  power cuts: the day does ${uncut.operations} flash program/erase operations after boot; ${runs} runs, ${runs + nested} cut points tried ` +
    `(every operation × 3 tears, and ${nested} runs cut a second time inside the recovering reboot), ${recoveries} interrupted sessions recovered`);
  assert.is(runs - nested, 3 * uncut.operations);
  assert.ok(recoveries > 0 && nested > 0);
});

test.run();

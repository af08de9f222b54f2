// Power cut at every flash program/erase of a short scripted day (five sessions: every mode, normal,
// user and plug-out ends, an update, outbox syncs and acks, checkpoints every 5 s on a 4 KiB partition
// of 1 KiB blocks so blocks turn over and compactions run), exhaustively: for each operation index the
// flash is cut there — with a random, an empty and a complete tear — the board goes down, the pile
// reboots with bootPile and the script continues. Cuts that land where the reboot itself writes
// (recovering the interrupted session) are tried again with a second cut inside that reboot.
// After every run: no signed contract or receipt lost or duplicated, billing seqs 1..N without
// holes and one receipt per contract, the contactor never closed before its contract was durable,
// a recovered session billed to its last durable checkpoint, every boot mounted without formatting.
// The checks (power-cut-checks.ts) are shared with the whole scripted day (test/firmware/day/).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import type { SeqRange } from '../../../contracts-offline/messages/ack.ts';
import { EvSim } from '../../../hal/sim/ev.ts';
import { NorFlashSim, type Tear } from '../../../hal/sim/nor-flash.ts';
import { type PileHandle, bootPile } from '../../../firmware/pile.ts';
import type { PileController } from '../../../firmware/pile-controller.ts';
import { pileUpdate, provisionedRig, voucher, genuine } from '../../support/pile-rig.ts';
import { HandedOutRecords, checkBillingRecords, checkRecovery, openSessionOnFlash, powerLossSlackWh, watchContactor } from './power-cut-checks.ts';

const checkpointPeriodS = 5;
const bootOptions = { checkpointPeriodS };
const maxPowerW = 7360; // 32 A × 230 V: the vehicle's draw

type Step =
  | { op: 'plug' | 'unplug' | 'stop' }
  | { op: 'start'; limit: ChargeLimit; capMinor: number }
  | { op: 'run'; ms: number }
  | { op: 'update'; version: number }
  | { op: 'sync'; ack: boolean };

const script: Step[] = [
  { op: 'plug' },
  { op: 'start', limit: { mode: 'energy', energyWh: 250 }, capMinor: 500 },
  { op: 'run', ms: 130_000 },
  { op: 'sync', ack: true },
  { op: 'start', limit: { mode: 'time', durationS: 60 }, capMinor: 300 },
  { op: 'run', ms: 25_000 },
  { op: 'stop' },
  { op: 'update', version: 2 },
  { op: 'start', limit: { mode: 'full' }, capMinor: 3000 },
  { op: 'run', ms: 35_000 },
  { op: 'unplug' },
  { op: 'run', ms: 2000 },
  { op: 'plug' },
  { op: 'sync', ack: true },
  { op: 'start', limit: { mode: 'amount', amountMinor: 58 }, capMinor: 60 },
  { op: 'run', ms: 130_000 },
  { op: 'start', limit: { mode: 'time', durationS: 40 }, capMinor: 300 },
  { op: 'run', ms: 41_000 },
  { op: 'sync', ack: false },
];

type Run = { operations: number; erases: number; cutsTried: number; rebootWrites: { fromOp: number; toOp: number }[]; recoveries: number };

function runDay(cuts: readonly number[], tear: Tear, label: string): Run {
  const flash = new NorFlashSim({ byteLength: 4 * 1024, blockLength: 1024, seed: 7 });
  let pile: PileController | undefined;
  let handle: PileHandle;
  const closedWithoutContract: string[] = [];
  const rig = provisionedRig({
    flash, boot: bootOptions, instrument: ({ hal }) => watchContactor(hal, flash, () => pile?.session?.contract.seq, closedWithoutContract, () => label),
  });
  const { sim } = rig;
  pile = rig.pile;
  handle = rig.handle;
  const baseOp = flash.operationCount;
  const baseErases = flash.stats().erases;
  const pendingCuts = [...cuts];
  const armNextCut = () => {
    const next = pendingCuts.shift();
    if (next !== undefined && baseOp + next >= flash.operationCount) flash.cutPowerAt(baseOp + next, tear);
  };
  armNextCut();
  const model = new HandedOutRecords();
  const ackSent = new Set<number>();
  const result: Run = { operations: 0, erases: 0, cutsTried: 0, rebootWrites: [], recoveries: 0 };
  let voucherCount = 0;
  let lastContractSeq: number | undefined;

  const powerCycle = () => {
    result.cutsTried++;
    assert.not.ok(sim.contactor.commandedClosed, `${label}: contactor released when the journal failed`);
    const open = openSessionOnFlash(flash);
    const meterAtCutWh = sim.circuit.meter.sample().energyWh;
    handle.shutdown();
    flash.reboot();
    armNextCut();
    for (;;) {
      const fromOp = flash.operationCount;
      handle = bootPile(sim.hal, bootOptions);
      if (flash.operationCount > fromOp) result.rebootWrites.push({ fromOp: fromOp - baseOp, toOp: flash.operationCount - baseOp });
      if (handle.services) break;
      assert.not.ok(flash.powered, `${label}: boot refused to run: ${handle.fault}`);
      result.cutsTried++;
      handle.shutdown();
      flash.reboot();
      armNextCut();
    }
    pile = handle.services;
    if (!open) {
      assert.is(handle.recovered.length, 0, `${label}: nothing to recover`);
      return;
    }
    // The interrupted session's receipt: written by this boot, or by a boot the second cut stopped.
    result.recoveries++;
    checkRecovery(label, open, pile!, meterAtCutWh, powerLossSlackWh(checkpointPeriodS, maxPowerW));
  };
  const checkPower = () => {
    if (!flash.powered) powerCycle();
  };

  const sync = (ack: boolean) => {
    let after = 0;
    for (;;) {
      const page = pile!.outbox(after, 4);
      for (const { seq, bytes } of page.records) model.observe(bytes, label), (after = seq);
      if (page.remaining === 0 || page.records.length === 0) break;
    }
    if (!ack) return;
    const seqs = [...model.seen.keys()].filter((s) => !ackSent.has(s)).sort((a, b) => a - b);
    const ranges: SeqRange[] = [];
    for (const seq of seqs) {
      const last = ranges[ranges.length - 1];
      if (last && last.toSeq === seq - 1) last.toSeq = seq;
      else ranges.push({ fromSeq: seq, toSeq: seq });
    }
    if (ranges.length === 0) return;
    for (const seq of seqs) ackSent.add(seq);
    const acked = pile!.acknowledge(ranges.slice(0, 16));
    assert.ok(acked.ok || !flash.powered, `${label}: ack refused`);
    checkPower();
  };

  for (const step of script) {
    switch (step.op) {
      case 'plug':
        if (!sim.circuit.ev) sim.circuit.plug(new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 300, maxCurrentMa: 32_000 }));
        sim.clock.advance(1000);
        checkPower();
        break;
      case 'unplug':
        sim.circuit.unplug();
        break;
      case 'run':
        for (let ms = 0; ms < step.ms; ms += 1000) {
          sim.clock.advance(1000);
          checkPower();
        }
        break;
      case 'start': {
        if (pile!.session) break;
        voucherCount++;
        const started = pile!.startSession(voucher(step.limit, step.capMinor, { tariffVersion: pile!.config().tariff.version, voucherId: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, voucherCount) }), 'Ann', genuine);
        if (started.ok) lastContractSeq = model.observe(started.value, label).seq;
        else assert.not.ok(flash.powered, `${label}: start refused (${started.code}: ${started.reason})`);
        checkPower();
        break;
      }
      case 'stop': {
        if (lastContractSeq === undefined) break;
        const stopped = pile!.stopSession(lastContractSeq, 'user', genuine);
        if (stopped.ok) model.observe(stopped.value, label);
        else assert.ok(!flash.powered || stopped.code === 'conditions', `${label}: stop refused (${stopped.reason})`);
        checkPower();
        break;
      }
      case 'update': {
        const { update, signedBytes } = pileUpdate(step.version);
        const applied = pile!.applyUpdate(update, signedBytes);
        assert.ok(applied.ok || !flash.powered, `${label}: update refused`);
        checkPower();
        break;
      }
      case 'sync':
        sync(step.ack);
        break;
    }
  }
  assert.is(pile!.session, undefined, `${label}: the day ends with every session ended`);
  result.operations = flash.operationCount - baseOp;
  result.erases = flash.stats().erases - baseErases;
  handle.shutdown();
  handle = bootPile(sim.hal, bootOptions);
  assert.ok(handle.services && handle.recovered.length === 0, `${label}: a clean reboot recovers nothing`);
  pile = handle.services;
  const final = pile!.outbox(0, 10_000);
  const finalSeqs = new Set(final.records.map((r) => r.seq));
  for (const { bytes } of final.records) model.observe(bytes, label);

  assert.equal(closedWithoutContract, [], 'no energy without a durable contract');
  checkBillingRecords(label, model, finalSeqs, ackSent);
  return result;
}

test('power cut at every flash operation of the day (random, empty and complete tears), plus cuts inside the recovering reboots', () => {
  const uncut = runDay([], 'random', 'no cut');
  assert.is(uncut.cutsTried, 0);
  let runs = 0, cuts = 0, recoveries = 0, nested = 0;
  for (const tear of ['random', 'none', 'all'] as const) {
    for (let op = 0; op < uncut.operations; op++) {
      const run = runDay([op], tear, `cut at ${op} (${tear})`);
      runs++, (cuts += run.cutsTried), (recoveries += run.recoveries);
      if (tear !== 'random') continue;
      for (const writes of run.rebootWrites) {
        for (let second = writes.fromOp; second < writes.toOp; second++) {
          const again = runDay([op, second], tear, `cut at ${op}, then at ${second} in the reboot`);
          runs++, nested++, (cuts += again.cutsTried), (recoveries += again.recoveries);
        }
      }
    }
  }
  console.log(`  power cuts: the day does ${uncut.operations} flash program/erase operations (${uncut.erases} erases); ${runs} runs, ${cuts} cut points tried ` +
    `(${nested} runs cut a second time inside the recovering reboot), ${recoveries} interrupted sessions recovered`);
  assert.ok(uncut.operations > 50);
  assert.ok(recoveries > 0);
});

test.run();

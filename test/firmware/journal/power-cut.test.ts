// Power cut at every flash program/erase of a scripted journal workload (appends, checkpoints,
// acks, settles, compactions), exhaustively: for each operation index the flash is cut there
// (torn write), rebooted, the journal remounted from the same flash and checked against what the
// script was told was durable; then the journal must keep working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NorFlashSim } from '../../../hal/sim/nor-flash.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { formatJournal, mountJournal } from '../../../firmware/journal/mount.ts';
import type { Journal, JournalResult } from '../../../firmware/journal/journal.ts';

const kindContract = 10, kindReceipt = 11, kindCheckpoint = 2, kindTariff = 1;
const geometry = { byteLength: 4 * 1024, blockLength: 1024 };

type Step =
  | { op: 'append'; kind: number; payload: Uint8Array; retention: 'billing' | 'state'; settled: boolean; headroomBytes: number; session: number }
  | { op: 'settle' | 'ack'; session: number; which: 'contract' | 'receipt' }
  | { op: 'compact' };

function script(): Step[] {
  const random = new SeededRandom(42);
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    random.fill(b);
    return b;
  };
  const steps: Step[] = [];
  for (let s = 0; s < 40; s++) {
    if (s % 15 === 0) steps.push({ op: 'append', kind: kindTariff, payload: bytes(90), retention: 'state', settled: false, headroomBytes: 0, session: s });
    steps.push({ op: 'append', kind: kindContract, payload: bytes(60 + random.below(60)), retention: 'billing', settled: false, headroomBytes: 120, session: s });
    for (let c = random.below(3); c >= 0; c--) {
      steps.push({ op: 'append', kind: kindCheckpoint, payload: bytes(24), retention: 'state', settled: false, headroomBytes: 0, session: s });
    }
    steps.push({ op: 'append', kind: kindReceipt, payload: bytes(50 + random.below(40)), retention: 'billing', settled: true, headroomBytes: 0, session: s });
    steps.push({ op: 'settle', session: s, which: 'contract' });
    if (s % 2 === 1 && s >= 3) {
      for (const old of [s - 3, s - 2]) {
        steps.push({ op: 'ack', session: old, which: 'receipt' });
        steps.push({ op: 'ack', session: old, which: 'contract' });
      }
    }
    if (s % 6 === 5) steps.push({ op: 'compact' });
  }
  return steps;
}

type Known = { seq: number; kind: number; payload: Uint8Array; retention: 'billing' | 'state'; acked: boolean; settled: boolean };

/** What the journal told the script: records appended (with their seq) and flags confirmed. */
class Model {
  durable = new Map<number, Known>();
  bySession = new Map<string, number>();
  inFlight: Known | undefined;
  /** A flag write that failed: it may or may not have landed. */
  uncertainFlag: { seq: number; flag: 'acked' | 'settled' } | undefined;
}

/** Run the steps until one reports a device failure. Returns true when the run was cut. */
function run(journal: Journal, steps: Step[], model: Model): boolean {
  for (const step of steps) {
    if (step.op === 'compact') {
      if (!journal.compact().ok) return true;
      continue;
    }
    if (step.op === 'append') {
      const seq = journal.nextSeq;
      const known: Known = { seq, kind: step.kind, payload: step.payload, retention: step.retention, acked: false, settled: step.retention === 'billing' && step.settled };
      model.inFlight = known;
      const r = journal.append(step.kind, step.payload, { retention: step.retention, settled: step.settled, headroomBytes: step.headroomBytes });
      if (!r.ok) {
        if (r.code === 'device') return true;
        throw new Error(`script: append refused: ${r.reason}`);
      }
      assert.is(r.value, seq);
      model.inFlight = undefined;
      model.durable.set(seq, known);
      model.bySession.set(`${step.session}:${step.kind === kindReceipt ? 'receipt' : step.kind === kindContract ? 'contract' : 'state'}`, seq);
      continue;
    }
    const seq = model.bySession.get(`${step.session}:${step.which}`);
    if (seq === undefined) continue;
    const known = model.durable.get(seq)!;
    const flag = step.op === 'ack' ? 'acked' : 'settled';
    if (known[flag]) continue;
    model.uncertainFlag = { seq, flag };
    const r: JournalResult<void> = step.op === 'ack' ? journal.markAcknowledged(seq) : journal.markSettled(seq);
    if (!r.ok) {
      if (r.code === 'device') return true;
      throw new Error(`script: ${step.op} refused: ${r.reason}`);
    }
    model.uncertainFlag = undefined;
    known[flag] = true;
  }
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The remounted journal agrees with everything the script was told, and nothing else. */
function check(journal: Journal, model: Model, label: string): void {
  const records = journal.records();
  for (let i = 1; i < records.length; i++) assert.ok(records[i]!.seq > records[i - 1]!.seq, `${label}: sequences strictly increasing`);
  const present = new Map(records.map((r) => [r.seq, r]));
  const latestState = new Map<number, number>();
  for (const k of model.durable.values()) if (k.retention === 'state') latestState.set(k.kind, k.seq);
  for (const k of model.durable.values()) {
    const shouldLive = k.retention === 'billing' ? !(k.acked && k.settled) : latestState.get(k.kind) === k.seq;
    const uncertain = model.uncertainFlag?.seq === k.seq || (model.inFlight?.retention === 'state' && model.inFlight.kind === k.kind);
    const got = present.get(k.seq);
    if (shouldLive && !uncertain) assert.ok(got, `${label}: durable record ${k.seq} lost`);
    if (!shouldLive && k.retention === 'billing') assert.not.ok(got, `${label}: pruned billing record ${k.seq} came back`);
    if (got) {
      const payload = journal.read(k.seq);
      assert.ok(payload.ok && sameBytes(payload.value, k.payload), `${label}: record ${k.seq} payload changed`);
      if (k.acked) assert.ok(got.acknowledged, `${label}: ack of ${k.seq} lost`);
      if (k.settled) assert.ok(got.settled, `${label}: settle of ${k.seq} lost`);
    }
  }
  for (const r of records) {
    if (model.durable.has(r.seq)) continue;
    // Only the append that was cut may have landed, whole.
    assert.ok(model.inFlight && model.inFlight.seq === r.seq, `${label}: unknown record ${r.seq}`);
    const payload = journal.read(r.seq);
    assert.ok(payload.ok && sameBytes(payload.value, model.inFlight.payload), `${label}: in-flight record ${r.seq} is garbage`);
  }
  const highest = Math.max(0, ...model.durable.keys());
  assert.ok(journal.nextSeq > highest, `${label}: next sequence ${journal.nextSeq} not above ${highest}`);
}

/**
 * Adopt what recovery found (the cut append, if it landed), acknowledge and settle it all, then
 * append more than the partition holds with a few records always unacknowledged, remounting and
 * re-checking every 2 appends (a write over a torn tail, or a pruned record coming back from a
 * stale copy, shows up here).
 */
function continueAfterRecovery(flash: NorFlashSim, recovered: Journal, model: Model, label: string): void {
  let journal = recovered;
  const landed = model.inFlight && journal.records().find((r) => r.seq === model.inFlight!.seq);
  if (landed) model.durable.set(model.inFlight!.seq, model.inFlight!);
  if (model.uncertainFlag) {
    const r = journal.records().find((x) => x.seq === model.uncertainFlag!.seq);
    const known = model.durable.get(model.uncertainFlag.seq)!;
    known.acked = r ? r.acknowledged : true;
    known.settled = r ? r.settled : true;
  }
  model.inFlight = undefined;
  model.uncertainFlag = undefined;
  // With the recovered records still unacknowledged, the journal must still find room (a cut
  // compaction resumes): append records that are acknowledged at once, past a block's worth.
  for (let i = 0; i < 12; i++) {
    const payload = new Uint8Array(90).fill(0x40 + i);
    const seq = journal.nextSeq;
    const appended = journal.append(kindContract, payload, { retention: 'billing', settled: true });
    assert.ok(appended.ok, `${label}: append before any new acknowledgement: ${appended.ok ? '' : appended.reason}`);
    const acked = i > 0; // the first one stays: it lands right where the cut left the log
    if (acked) assert.ok(journal.markAcknowledged(seq).ok);
    model.durable.set(seq, { seq, kind: kindContract, payload, retention: 'billing', acked, settled: true });
  }
  check(journal, model, `${label} (resumed)`);
  for (const r of journal.records()) {
    if (r.retention !== 'billing') continue;
    assert.ok(journal.markSettled(r.seq).ok && journal.markAcknowledged(r.seq).ok, `${label}: flags after recovery`);
    const known = model.durable.get(r.seq)!;
    known.acked = known.settled = true;
  }
  const pending: number[] = [];
  for (let i = 0; i < 48; i++) {
    const payload = new Uint8Array(90 + (i % 5) * 7).fill(i);
    const seq = journal.nextSeq;
    const appended = journal.append(kindContract, payload, { retention: 'billing', settled: true });
    assert.ok(appended.ok, `${label}: append after recovery: ${appended.ok ? '' : appended.reason}`);
    assert.is(appended.value, seq);
    model.durable.set(seq, { seq, kind: kindContract, payload, retention: 'billing', acked: false, settled: true });
    pending.push(seq);
    if (pending.length > 4) {
      const old = pending.shift()!;
      assert.ok(journal.markAcknowledged(old).ok);
      model.durable.get(old)!.acked = true;
    }
    if (i % 2 === 1) {
      const again = mountJournal(flash);
      assert.ok(again.ok, `${label}: remount after recovery`);
      journal = again.value;
      check(journal, model, `${label} (+${i + 1} appends)`);
    }
  }
}

test('power cut at every program/erase index: remount, nothing durable lost or duplicated, journal keeps working', () => {
  const steps = script();
  const reference = new NorFlashSim(geometry);
  assert.ok(formatJournal(reference).ok);
  const start = reference.operationCount;
  const mounted = mountJournal(reference);
  assert.ok(mounted.ok);
  const referenceModel = new Model();
  assert.is(run(mounted.value, steps, referenceModel), false, 'reference run completes without a cut');
  const totalOperations = reference.operationCount - start;
  assert.ok(totalOperations > 300, `workload too small: ${totalOperations} flash operations`);
  assert.ok(reference.stats().erases - geometry.byteLength / geometry.blockLength > 10, 'workload must compact repeatedly');

  let tried = 0;
  for (let cut = 0; cut < totalOperations; cut++) {
    const flash = new NorFlashSim({ ...geometry, seed: cut + 1 });
    assert.ok(formatJournal(flash).ok);
    const first = mountJournal(flash);
    assert.ok(first.ok);
    flash.cutPowerAt(flash.operationCount + cut);
    const model = new Model();
    assert.is(run(first.value, steps, model), true, `cut ${cut} must interrupt the script`);
    assert.is(flash.powered, false);
    flash.reboot();
    const before = flash.operationCount;
    const remounted = mountJournal(flash);
    assert.ok(remounted.ok, `cut ${cut}: mount failed: ${remounted.ok ? '' : remounted.reason}`);
    assert.is(flash.operationCount, before, `cut ${cut}: mount must not write or erase`);
    const journal = remounted.value;
    check(journal, model, `cut ${cut}`);
    continueAfterRecovery(flash, journal, model, `cut ${cut}`);
    tried++;
  }
  console.log(`journal power-cut: ${tried} cut points tried (every program/erase of a ${steps.length}-step workload)`);
  assert.is(tried, totalOperations);
});

test('steady state (a dozen unacknowledged records, the rest acknowledged as they go): after a cut anywhere the journal resumes without new acknowledgements', () => {
  const workload = (journal: Journal, onAppended: (seq: number, payload: Uint8Array) => void, onAcknowledged: (seq: number) => void): boolean => {
    const pending: number[] = [];
    for (let i = 0; i < 120; i++) {
      const payload = new Uint8Array(90).fill(i);
      const r = journal.append(kindReceipt, payload, { retention: 'billing', settled: true });
      if (!r.ok) {
        if (r.code === 'device') return true;
        throw new Error(r.reason);
      }
      onAppended(r.value, payload);
      pending.push(r.value);
      if (pending.length > 12) {
        const oldest = pending.shift()!;
        onAcknowledged(oldest); // from here it may be gone: a cut ack may have landed
        if (!journal.markAcknowledged(oldest).ok) return true;
      }
    }
    return false;
  };
  const reference = new NorFlashSim(geometry);
  assert.ok(formatJournal(reference).ok);
  const start = reference.operationCount;
  const mounted = mountJournal(reference);
  assert.ok(mounted.ok && !workload(mounted.value, () => {}, () => {}));
  const totalOperations = reference.operationCount - start;
  for (let cut = 0; cut < totalOperations; cut++) {
    const flash = new NorFlashSim({ ...geometry, seed: 1000 + cut });
    assert.ok(formatJournal(flash).ok);
    const first = mountJournal(flash);
    assert.ok(first.ok);
    flash.cutPowerAt(flash.operationCount + cut);
    const appended = new Map<number, Uint8Array>();
    assert.ok(workload(first.value, (seq, payload) => appended.set(seq, payload), (seq) => appended.delete(seq)));
    flash.reboot();
    const again = mountJournal(flash);
    assert.ok(again.ok, `cut ${cut}: mount`);
    const journal = again.value;
    const held = new Set(journal.records().map((r) => r.seq));
    for (const [seq, payload] of appended) {
      assert.ok(held.has(seq), `cut ${cut}: unacknowledged record ${seq} lost`);
      assert.equal(journal.read(seq), { ok: true, value: payload });
    }
    for (let i = 0; i < 30; i++) {
      const r = journal.append(kindReceipt, new Uint8Array(90), { retention: 'billing', settled: true });
      assert.ok(r.ok, `cut ${cut}: append ${i} after recovery: ${r.ok ? '' : r.reason}`);
      assert.ok(journal.markAcknowledged(r.value).ok);
    }
    for (const [seq, payload] of appended) assert.equal(journal.read(seq), { ok: true, value: payload }, `cut ${cut}: record ${seq} after resuming`);
  }
  console.log(`journal power-cut (steady state): ${totalOperations} cut points tried`);
});

test.run();

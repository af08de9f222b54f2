import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NorFlashSim } from '../../../hal/sim/nor-flash.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { formatJournal, mountJournal } from '../../../firmware/journal/mount.ts';
import type { Journal } from '../../../firmware/journal/journal.ts';

const kindTariff = 1, kindProvisioning = 3, kindContract = 10, kindReceipt = 11;
const filled = (length: number, value: number) => new Uint8Array(length).fill(value);

function fresh(options: { byteLength?: number; blockLength?: number } = {}): { flash: NorFlashSim; journal: Journal } {
  const flash = new NorFlashSim({ byteLength: 64 * 1024, blockLength: 4096, ...options });
  assert.ok(formatJournal(flash).ok);
  const mounted = mountJournal(flash);
  if (!mounted.ok) throw new Error(mounted.reason);
  return { flash, journal: mounted.value };
}

function remount(flash: NorFlashSim): Journal {
  const mounted = mountJournal(flash);
  if (!mounted.ok) throw new Error(mounted.reason);
  return mounted.value;
}

function payloadOf(journal: Journal, seq: number): number[] {
  const r = journal.read(seq);
  if (!r.ok) throw new Error(r.reason);
  return [...r.value];
}

test('an erased partition mounts as "blank"; garbage as "unrecognized"; neither is written or erased', () => {
  const blank = new NorFlashSim({ byteLength: 16 * 1024 });
  const r1 = mountJournal(blank);
  assert.ok(!r1.ok && r1.code === 'blank');
  const garbage = new NorFlashSim({ byteLength: 16 * 1024 });
  const noise = new Uint8Array(16 * 1024);
  new SeededRandom(9).fill(noise);
  garbage.write(noise, 0);
  const before = garbage.operationCount;
  const r2 = mountJournal(garbage);
  assert.ok(!r2.ok && r2.code === 'unrecognized');
  assert.match(r2.ok ? '' : r2.reason, /not formatting/);
  assert.is(garbage.operationCount, before);
});

test('append gives strictly increasing sequences; read returns the payload; remount sees the same', () => {
  const { flash, journal } = fresh();
  assert.is(journal.nextSeq, 1);
  const a = journal.append(kindContract, Uint8Array.of(1, 2, 3), { retention: 'billing' });
  const b = journal.append(kindReceipt, Uint8Array.of(4), { retention: 'billing', settled: true });
  const c = journal.append(kindContract, new Uint8Array(0), { retention: 'billing' });
  assert.equal([a.ok && a.value, b.ok && b.value, c.ok && c.value], [1, 2, 3]);
  assert.equal(payloadOf(journal, 1), [1, 2, 3]);
  const again = remount(flash);
  assert.equal(again.records(), journal.records());
  assert.equal(again.records().map((r) => [r.seq, r.kind, r.settled]), [[1, kindContract, false], [2, kindReceipt, true], [3, kindContract, false]]);
  assert.equal(payloadOf(again, 2), [4]);
  assert.is(again.nextSeq, 4);
});

test('state records: only the latest of each kind is live', () => {
  const { flash, journal } = fresh();
  journal.append(kindTariff, Uint8Array.of(1), { retention: 'state' });
  journal.append(kindProvisioning, Uint8Array.of(9), { retention: 'state' });
  journal.append(kindTariff, Uint8Array.of(2), { retention: 'state' });
  assert.equal(journal.records().map((r) => r.seq), [2, 3]);
  assert.is(journal.latest(kindTariff)?.seq, 3);
  const read = journal.read(1);
  assert.ok(!read.ok && read.code === 'unknown-seq');
  assert.is(remount(flash).latest(kindTariff)?.seq, 3);
});

test('a billing record stays until both acknowledged and settled; flags survive remount', () => {
  const { flash, journal } = fresh();
  journal.append(kindContract, Uint8Array.of(1), { retention: 'billing' });
  journal.append(kindContract, Uint8Array.of(2), { retention: 'billing' });
  assert.ok(journal.markAcknowledged(1).ok);
  assert.ok(journal.markAcknowledged(1).ok, 'idempotent');
  assert.ok(journal.markSettled(2).ok);
  let j = remount(flash);
  assert.equal(j.records().map((r) => [r.seq, r.acknowledged, r.settled]), [[1, true, false], [2, false, true]]);
  assert.ok(j.markSettled(1).ok);
  j = remount(flash);
  assert.equal(j.records().map((r) => r.seq), [2]);
});

test('marks on unknown or state records are refused with a result', () => {
  const { journal } = fresh();
  journal.append(kindTariff, Uint8Array.of(1), { retention: 'state' });
  const a = journal.markAcknowledged(1);
  assert.ok(!a.ok && a.code === 'not-billing');
  const b = journal.markSettled(99);
  assert.ok(!b.ok && b.code === 'unknown-seq');
});

test('bad arguments throw', () => {
  const { journal } = fresh({ byteLength: 8192 });
  assert.throws(() => journal.append(128, new Uint8Array(1), { retention: 'state' }), /"kind" expected an integer in 0\.\.127, got 128/);
  assert.throws(() => journal.append(1, new Uint8Array(journal.maxPayloadLength + 1), { retention: 'state' }), /at most 4067 bytes, got 4068/);
  assert.throws(() => journal.append(1, [1] as never, { retention: 'state' }), (e: unknown) => e instanceof TypeError);
  assert.throws(() => journal.append(1, new Uint8Array(1), { retention: 'forever' as never }), (e: unknown) => e instanceof TypeError);
  assert.throws(() => mountJournal(new NorFlashSim({ byteLength: 4096 })), /at least 2 blocks, got 1/);
});

test('capacity: ≥ 150 settled-but-unacknowledged sessions in 64 KiB, then contracts are refused and nothing is overwritten', () => {
  const { flash, journal } = fresh();
  journal.append(kindProvisioning, filled(200, 0xaa), { retention: 'state' });
  journal.append(kindTariff, filled(150, 0xbb), { retention: 'state' });
  const receiptReserve = 13 + 160;
  let sessions = 0;
  for (;;) {
    const contract = journal.append(kindContract, filled(200, sessions & 0xff), { retention: 'billing', headroomBytes: receiptReserve });
    if (!contract.ok) {
      assert.is(contract.code, 'full');
      assert.match(contract.reason, /journal full: .* waiting for a relay acknowledgement/);
      break;
    }
    const receipt = journal.append(kindReceipt, filled(160, sessions & 0xff), { retention: 'billing', settled: true });
    assert.ok(receipt.ok, 'the reserved room always takes the receipt');
    assert.ok(journal.markSettled(contract.value).ok);
    sessions++;
  }
  console.log(`journal capacity: ${sessions} sessions (200 B contract + 160 B receipt) in 64 KiB / 4 KiB blocks`);
  assert.ok(sessions >= 150, `only ${sessions} sessions`);
  const j = remount(flash);
  const billing = j.records().filter((r) => r.retention === 'billing');
  assert.is(billing.length, sessions * 2);
  for (const r of billing) assert.equal(payloadOf(j, r.seq), [...filled(r.kind === kindContract ? 200 : 160, ((r.seq - 3) >> 1) & 0xff)]);
  // A relay acknowledgement of the oldest 20 sessions frees room for new contracts.
  for (const r of billing.slice(0, 40)) assert.ok(j.markAcknowledged(r.seq).ok);
  const next = j.append(kindContract, filled(200, 1), { retention: 'billing', headroomBytes: receiptReserve });
  assert.ok(next.ok, 'after acknowledgement, compaction makes room');
  assert.is(j.records().filter((r) => r.retention === 'billing').length, sessions * 2 - 40 + 1);
  assert.is(j.latest(kindProvisioning)?.payloadLength, 200, 'state survives compaction');
});

test('compact() erases blocks whose records are all droppable and keeps live ones, sequences intact', () => {
  const { flash, journal } = fresh({ byteLength: 8 * 1024, blockLength: 1024 });
  const seqs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = journal.append(kindContract, filled(100, i), { retention: 'billing', settled: true });
    assert.ok(r.ok);
    seqs.push(r.value);
  }
  for (const seq of seqs) if (seq % 3 !== 0) assert.ok(journal.markAcknowledged(seq).ok);
  const before = journal.stats();
  const compacted = journal.compact();
  assert.ok(compacted.ok && compacted.value > 0);
  const after = journal.stats();
  assert.is(after.deadBytes, 0);
  assert.ok(after.freeBlocks > before.freeBlocks);
  const live = remount(flash).records().map((r) => r.seq);
  assert.equal(live, seqs.filter((s) => s % 3 === 0));
  for (const seq of live) assert.equal(payloadOf(journal, seq), [...filled(100, seq - 1)]);
});

test('a torn append is ignored at mount and its sequence is reused; the torn block takes nothing more', () => {
  let tornSeen = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const flash = new NorFlashSim({ byteLength: 16 * 1024, seed });
    assert.ok(formatJournal(flash).ok);
    const journal = remount(flash);
    journal.append(kindContract, filled(50, 1), { retention: 'billing' });
    flash.cutPowerAt(flash.operationCount);
    const cut = journal.append(kindContract, filled(50, 2), { retention: 'billing' });
    assert.ok(!cut.ok && cut.code === 'device');
    const poisoned = journal.append(kindContract, filled(1, 3), { retention: 'billing' });
    assert.ok(!poisoned.ok && poisoned.code === 'device', 'no call works after a device failure');
    flash.reboot();
    const j = remount(flash);
    const seqs = j.records().map((r) => r.seq);
    if (seqs.length === 1) {
      tornSeen++;
      assert.is(j.nextSeq, 2);
      const again = j.append(kindContract, filled(50, 4), { retention: 'billing' });
      assert.ok(again.ok && again.value === 2);
      assert.equal(remount(flash).records().map((r) => r.seq), [1, 2]);
      assert.equal(payloadOf(remount(flash), 2), [...filled(50, 4)]);
    } else {
      assert.equal(seqs, [1, 2]);
      assert.equal(payloadOf(j, 2), [...filled(50, 2)], 'a record that landed whole is the real one');
    }
  }
  assert.ok(tornSeen > 0);
});

test('two blocks claiming the same place in the log: refused as corrupt, not guessed', () => {
  const { flash } = fresh({ byteLength: 8192, blockLength: 4096 });
  flash.write(new Uint8Array(flash.read(16, 0)), 4096);
  const r = mountJournal(flash);
  assert.ok(!r.ok && r.code === 'corrupt');
});

test('compaction cut before its erase: the record is taken once, and a record pruned later does not come back from the stale copy', () => {
  const flash = new NorFlashSim({ byteLength: 5 * 256, blockLength: 256 });
  assert.ok(formatJournal(flash).ok);
  let j = remount(flash);
  const p = (v: number) => filled(50, v); // 63-byte records: three per 256-byte block
  const seq = (r: { ok: boolean; value?: number }) => (r.ok ? r.value! : -1);
  const a1 = seq(j.append(kindContract, p(1), { retention: 'billing' }));
  const a2 = seq(j.append(kindContract, p(2), { retention: 'billing' }));
  const b = seq(j.append(kindContract, p(3), { retention: 'billing' }));
  for (let i = 0; i < 3; i++) j.append(kindContract, p(10 + i), { retention: 'billing' }); // block 1
  assert.ok(j.markAcknowledged(b).ok && j.markSettled(b).ok);
  // compact(): start block 2 (erase, header), copy a1, copy a2 — cut there, nothing of it landing.
  flash.cutPowerAt(flash.operationCount + 3, 'none');
  assert.not.ok(j.compact().ok);
  flash.reboot();
  j = remount(flash);
  const seqs = j.records().map((r) => r.seq);
  assert.equal(seqs, [...new Set(seqs)], 'no duplicates');
  assert.ok(seqs.includes(a1) && seqs.includes(a2));
  // Prune a1 (its live copy is in block 2), fill block 2 and move on so block 2 could be compacted.
  assert.ok(j.markAcknowledged(a1).ok && j.markSettled(a1).ok);
  const later: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = j.append(kindReceipt, p(20 + i), { retention: 'billing', settled: true });
    assert.ok(r.ok, r.ok ? '' : r.reason);
    later.push(r.value);
    if (i < 2) assert.ok(j.markAcknowledged(r.value).ok);
  }
  const final = remount(flash).records().map((r) => r.seq);
  assert.not.ok(final.includes(a1), 'pruned record came back from a stale copy');
  assert.ok(final.includes(a2));
  assert.equal(payloadOf(remount(flash), a2), [...p(2)]);
});

test('compaction cut after spilling into the reserve block: the leftover copies are erased first and the journal resumes', () => {
  const flash = new NorFlashSim({ byteLength: 4 * 256, blockLength: 256 });
  assert.ok(formatJournal(flash).ok);
  let j = remount(flash);
  const p = (v: number) => filled(50, v); // 63-byte records: three per block
  const seqs: number[] = [];
  for (let i = 1; i <= 9; i++) {
    const r = j.append(kindContract, p(i), { retention: 'billing' });
    assert.ok(r.ok);
    seqs.push(r.value); // blocks 0, 1, 2 full; block 3 is the reserve
  }
  assert.ok(j.markAcknowledged(seqs[0]!).ok && j.markSettled(seqs[0]!).ok);
  // The next append compacts block 0 into the reserve: erase, header, copy 2 — cut at copy 3.
  flash.cutPowerAt(flash.operationCount + 3, 'none');
  const cut = j.append(kindContract, p(10), { retention: 'billing' });
  assert.ok(!cut.ok && cut.code === 'device');
  flash.reboot();
  j = remount(flash);
  assert.is(j.stats().freeBlocks, 0, 'the reserve was spent when the power went');
  assert.equal(j.records().map((r) => r.seq), seqs.slice(1));
  for (let i = 0; i < 6; i++) {
    const r = j.append(kindReceipt, p(20 + i), { retention: 'billing', settled: true });
    assert.ok(r.ok, `append ${i}: ${r.ok ? '' : r.reason}`);
    assert.ok(j.markAcknowledged(r.value).ok);
  }
  const after = remount(flash);
  assert.equal(after.records().map((r) => r.seq), seqs.slice(1));
  for (const seq of seqs.slice(1)) assert.equal(payloadOf(after, seq), [...p(seq)]);
});

test.run();

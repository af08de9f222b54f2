// The scripted day on the real pile, through APDUs only: what each session billed and how it
// ended, who carried which receipt, the updates, the per-tap air budget, and that the day is
// deterministic (the precondition of the XS parity test).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import { EndDetail, type Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { NorFlashSim } from '../../../hal/sim/nor-flash.ts';
import { mountJournal } from '../../../firmware/journal/mount.ts';
import { decodePileSigned, isReceipt } from '../pile/power-cut-checks.ts';
import { dayScript } from '../../support/day/day-script.ts';
import { type DayResult, runScriptedDay } from '../../support/day/scripted-day.ts';
import { tariffOf } from '../../support/day/test-relay.ts';

const day = await runScriptedDay();
const messages = day.records.map((r) => decodePileSigned(r.signed));
const contracts = messages.filter((m): m is Contract => !isReceipt(m));
const receipts = messages.filter(isReceipt);
const receiptOf = (contractSeq: number): Receipt => {
  const found = receipts.filter((r) => r.contractSeq === contractSeq);
  assert.is(found.length, 1, `one receipt for contract ${contractSeq}`);
  return found[0]!;
};
const uploadsOf = (seq: number) => day.uploads.filter((u) => u.seq === seq);

test('≥ 20 sessions cover the four modes and the three ways to end, each ended as scripted', () => {
  assert.ok(day.sessions.length >= 20, `${day.sessions.length} sessions`);
  assert.equal(new Set(day.sessions.map((s) => s.mode)), new Set(['energy', 'time', 'amount', 'full']));
  for (const session of day.sessions) {
    assert.is(session.contractSeqs.length, 1, `session ${session.s}: one contract`);
    const receipt = receiptOf(session.contractSeqs[0]!);
    assert.equal({ reason: receipt.endReason, detail: receipt.endDetail }, session.expect, `session ${session.s} ended as scripted`);
  }
  const ends = new Set(receipts.map((r) => `${r.endReason}/${r.endDetail}`));
  for (const d of ['limitReached', 'capReached', 'vehicleDone'] as const) assert.ok(ends.has(`normal/${EndDetail[d]}`), d);
  assert.ok(ends.has(`user/${EndDetail.userStop}`));
  assert.ok(ends.has(`abnormal/${EndDetail.plugRemoved}`) && ends.has(`abnormal/${EndDetail.pilotFault}`));
  assert.is(day.powerCycles, 0);
});

test('billing: seqs 1..N, every receipt within its cap, an amount limit met, a cap reached exactly at the cap', () => {
  assert.equal(day.records.map((r) => r.seq), Array.from({ length: day.records.length }, (_, i) => i + 1));
  for (const receipt of receipts) {
    const contract = contracts.find((c) => c.seq === receipt.contractSeq)!;
    assert.ok(receipt.seq > contract.seq && receipt.amountMinor <= contract.capMinor);
    assert.is(receipt.energyWh, receipt.endMeterWh - contract.startMeterWh);
    if (contract.limit.mode === 'amount' && receipt.endDetail === EndDetail.limitReached) assert.ok(receipt.amountMinor >= contract.limit.amountMinor);
    if (receipt.endDetail === EndDetail.capReached) assert.is(receipt.amountMinor, contract.capMinor);
  }
  const voucherIds = contracts.map((c) => bytesToHex(c.voucherId));
  assert.is(new Set(voucherIds).size, voucherIds.length, 'one contract per voucher');
});

test('capped receipts reach the relay through the next phone (another user), open ones through a tap', () => {
  const plugPulledCapped = day.sessions.find((s) => s.mode !== 'full' && s.expect.detail === EndDetail.plugRemoved)!;
  const carried = uploadsOf(receiptOf(plugPulledCapped.contractSeqs[0]!).seq);
  assert.ok(carried.length > 0 && carried.every((u) => u.via === 'OUTBOX' && u.phone !== plugPulledCapped.phone), 'carried by another phone');
  for (const open of day.sessions.filter((s) => s.mode === 'full')) {
    const uploads = uploadsOf(receiptOf(open.contractSeqs[0]!).seq);
    assert.ok(uploads.some((u) => u.via === 'OUTBOX'), `session ${open.s}: the open contract's receipt was collected by a tap`);
  }
  for (const stopped of day.sessions.filter((s) => s.expect.reason === 'user')) {
    assert.ok(uploadsOf(receiptOf(stopped.contractSeqs[0]!).seq).some((u) => u.via === 'STOP' && u.phone === stopped.phone), 'the stop answered the receipt');
  }
});

test('updates by tap: newer applied, stale refused with 6984; contracts carry the tariff then in force', () => {
  assert.equal(day.updates.map((u) => `${u.configVersion} ${u.outcome}`), ['2 applied', '1 refused 6984', '3 applied']);
  const versions = contracts.map((c) => c.tariff.version);
  assert.equal([versions[0], versions[7], versions[17]], [1, 2, 3]);
  for (const c of contracts) assert.equal(c.tariff, tariffOf(c.tariff.version));
});

test('acks travel with the phones; what is not acknowledged is still on the final flash', () => {
  assert.ok(day.acknowledgedSeqs.length > 0 && day.acknowledgedSeqs.length < day.records.length, 'some records acknowledged, the last ones not yet');
  const flash = new NorFlashSim({ byteLength: day.flashImage.length, blockLength: 1024 });
  flash.write(day.flashImage, 0);
  const mounted = mountJournal(flash);
  if (!mounted.ok) throw new Error(`the final image does not mount: ${mounted.reason}`);
  const journal = mounted.value;
  const payloads = new Set(journal.records().map((r) => {
    const payload = journal.read(r.seq);
    if (!payload.ok) throw new Error(payload.reason);
    return bytesToHex(payload.value);
  }));
  for (const { seq, signed } of day.records) {
    if (!day.acknowledgedSeqs.includes(seq)) assert.ok(payloads.has(bytesToHex(signed)), `unacknowledged record ${seq} is in the journal as handed out`);
  }
  const carriers = new Set(day.taps.filter((t) => t.commands.includes('ACK')).map((t) => t.phone));
  assert.ok(carriers.size >= 3, `acks carried by ${[...carriers].join(', ')}`);
});

test('every tap stays within the air budget: ≤ 6 APDUs and ≤ 1 KiB; an OUTBOX brought 4 records at once', () => {
  for (const tap of day.taps) {
    assert.ok(tap.apdus <= 6, `${tap.phone} ${tap.purpose}: ${tap.apdus} APDUs`);
    assert.ok(tap.commandBytes + tap.responseBytes <= 1024, `${tap.phone} ${tap.purpose}: ${tap.commandBytes + tap.responseBytes} bytes`);
    assert.is(tap.error, undefined);
  }
  assert.ok(day.taps.some((t) => t.outboxRecords === 4));
  assert.is(day.taps.filter((t) => t.purpose.startsWith('tap 2')).length, day.sessions.length);
  assert.is(dayScript.filter((s) => s.do === 'start').length, day.sessions.length);
});

test('the day is deterministic: a second run gives the same flash image, records and taps', async () => {
  const again: DayResult = await runScriptedDay();
  assert.is(bytesToHex(again.flashImage), bytesToHex(day.flashImage));
  assert.equal(again.records.map((r) => bytesToHex(r.signed)), day.records.map((r) => bytesToHex(r.signed)));
  assert.equal(again.taps, day.taps);
});

test.run();

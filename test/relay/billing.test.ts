// The relay's billing rules as worked examples: voucher caps per mode, the receipt amount rule,
// the credit limit and how each change of a contract's status changes the credit record. Tariff used: 30 per kWh, 60 per hour, 50 session fee (minor units).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { creditChange, creditLimitMinor } from '../../tools/relay/billing/credit.ts';
import { voucherCap } from '../../tools/relay/billing/voucher-cap.ts';
import { defaultPolicy } from '../../tools/relay/policy.ts';

const tariff = { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 };
const caps = defaultPolicy.caps; // energy allowance 4 h, open cap 10,000, minimum open cap 500

const capCases: [string, ChargeLimit, number, number, ReturnType<typeof voucherCap>][] = [
  ['amount: the amount', { mode: 'amount', amountMinor: 1_234 }, 7_400, 0, { ok: true, value: 1_234 }],
  // 3 h at 7.4 kW = 22,200 Wh: 50 + 666 + 180
  ['time: worst case at maxPowerW', { mode: 'time', durationS: 10_800 }, 7_400, 0, { ok: true, value: 896 }],
  // 1 s at 11 kW = ceil(3.06) = 4 Wh: 50 + 0.12 + 0.017 → 50
  ['time: energy rounded up to whole Wh', { mode: 'time', durationS: 1 }, 11_000, 0, { ok: true, value: 50 }],
  // 20 kWh takes 9,730 s at 7.4 kW, under the 4 h allowance: 50 + 600 + 240
  ['energy: within the duration allowance', { mode: 'energy', energyWh: 20_000 }, 7_400, 0, { ok: true, value: 890 }],
  // 74 kWh needs 10 h at 7.4 kW: 50 + 2,220 + 600
  ['energy: longer than the allowance at maxPowerW', { mode: 'energy', energyWh: 74_000 }, 7_400, 0, { ok: true, value: 2_870 }],
  ['full: the open cap when funds exceed it', { mode: 'full' }, 7_400, 20_000, { ok: true, value: 10_000 }],
  ['full: the funds when below the open cap', { mode: 'full' }, 7_400, 800, { ok: true, value: 800 }],
];

for (const [name, limit, maxPowerW, available, expected] of capCases) {
  test(`voucher cap, ${name}`, () => {
    assert.equal(voucherCap(limit, tariff, maxPowerW, available, caps), expected);
  });
}

test('voucher cap: full with less than the minimum open cap is insufficient; absurd limits pass no u32', () => {
  const full = voucherCap({ mode: 'full' }, tariff, 7_400, 499, caps);
  assert.equal([full.ok, !full.ok && full.code], [false, 'insufficient']);
  const huge = voucherCap({ mode: 'time', durationS: 0xffff_ffff }, tariff, 1_000_000, 0, caps);
  assert.equal([huge.ok, !huge.ok && huge.code], [false, 'above-u32']);
});

test('credit limit from settled history', () => {
  const policy = { minSettledSessions: 3, limitPercentOfSettled: 25, maxCreditMinor: 5_000, lateReceiptPenaltyPercent: 50 };
  const rows: [number, number, number, number][] = [
    [2, 10_000, 0, 0], // too few sessions
    [3, 10_000, 0, 2_500],
    [3, 40_000, 0, 5_000], // at the maximum
    [3, 10_000, 1, 1_250], // one late receipt halves it
    [3, 10_000, 2, 0],
    [5, 999, 0, 249], // floored
  ];
  for (const [settledSessions, settledAmountMinor, lateReceipts, limit] of rows) {
    assert.is(creditLimitMinor({ settledSessions, settledAmountMinor, lateReceipts }, policy), limit, `${settledSessions} sessions, ${settledAmountMinor}, ${lateReceipts} late`);
  }
});

test('credit record: the change each status transition makes (sessions, amount, late receipts)', () => {
  const row = (status: string, amount_minor: number | null = null, late = 0) => ({ status, amount_minor, late });
  const rows: [string, ReturnType<typeof row>, ReturnType<typeof row>, [number, number, number]][] = [
    ['receipt on time', row('provisional'), row('settled', 640, 0), [1, 640, 0]],
    ['receipt after receiptOverdueS', row('provisional'), row('settled', 640, 1), [1, 640, 1]],
    ['overdue: charged at the cap', row('provisional'), row('charged-at-cap'), [0, 0, 1]],
    ['late receipt corrects the charge: still one late receipt', row('charged-at-cap'), row('corrected', 640, 1), [1, 640, 0]],
    ['a disputed contract settled by the operator', row('disputed', null, 1), row('settled', 640, 1), [1, 640, 1]],
    ['a disputed contract voided', row('disputed'), row('voided'), [0, 0, 0]],
    ['a receipt for a disputed contract', row('disputed'), row('disputed', null, 1), [0, 0, 0]],
  ];
  for (const [what, before, after, [sessions, amount, late]] of rows) {
    assert.equal(creditChange(before, after), { settledSessions: sessions, settledAmountMinor: amount, lateReceipts: late }, what);
  }
});

test.run();

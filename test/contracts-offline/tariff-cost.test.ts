// The one cost rule (contracts-offline/tariff-cost.ts): fee + energy pro rata per kWh + time pro
// rata per hour, exact over 18000ths, rounded half-up once on the sum. Vectors worked by hand,
// including the .5 boundaries, no charge without energy, and sums of parts that would round differently one by one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { billedAmountMinor, receiptSettlement, sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';

// [sessionFeeMinor, energyMinorPerKwh, timeMinorPerHour, energyWh, durationS, amountMinor, exact]
const vectors: [number, number, number, number, number, number, string][] = [
  [50, 35, 60, 0, 0, 0, 'no energy delivered: nothing billed, fee included'],
  [50, 35, 60, 0, 7200, 0, 'no energy over two hours: nothing billed'],
  [50, 35, 60, 1, 0, 50, '50.035'],
  [50, 35, 60, 1000, 0, 85, '85'],
  [50, 35, 60, 5000, 2446, 266, '265.766…'],
  [50, 35, 60, 1226, 600, 103, '102.91'],
  [0, 1, 0, 500, 0, 1, '0.5 → up'],
  [0, 1, 0, 499, 0, 0, '0.499'],
  [0, 1, 0, 1500, 0, 2, '1.5 → up'],
  [0, 0, 1, 1, 1800, 1, '0.5 → up'],
  [0, 0, 1, 1, 1799, 0, '0.4997'],
  [0, 35, 60, 100, 30, 4, '3.5 + 0.5 = 4 (one rounding, not 4 + 1)'],
  [0, 1, 1, 250, 900, 1, '0.25 + 0.25 = 0.5 → 1 (not 0 + 0)'],
  [0, 1, 1, 249, 900, 0, '0.249 + 0.25 = 0.499'],
  [10_000_000, 10_000_000, 10_000_000, 0xffff_ffff, 0xffff_ffff, 54_880_147_658_333, '54880147658333.33 (past 2^53 inside)'],
];

test('cost vectors, half-up once on the exact sum', () => {
  for (const [sessionFeeMinor, energyMinorPerKwh, timeMinorPerHour, energyWh, durationS, amountMinor, exact] of vectors) {
    const tariff = { version: 1, sessionFeeMinor, energyMinorPerKwh, timeMinorPerHour };
    assert.is(sessionCostMinor(tariff, energyWh, durationS), amountMinor, exact);
  }
});

test('billed amount: the cost, never above the cap; nothing without energy', () => {
  const tariff = { version: 1, sessionFeeMinor: 50, energyMinorPerKwh: 35, timeMinorPerHour: 60 };
  assert.is(billedAmountMinor(tariff, { energyWh: 5000, durationS: 2446 }, 300), 266, 'under the cap: the cost');
  assert.is(billedAmountMinor(tariff, { energyWh: 5000, durationS: 2446 }, 266), 266, 'at the cap');
  assert.is(billedAmountMinor(tariff, { energyWh: 5000, durationS: 2446 }, 200), 200, 'above the cap: the cap');
  assert.is(billedAmountMinor(tariff, { energyWh: 0, durationS: 7200 }, 200), 0, 'no energy: nothing');
});

test('receipt settlement: min(receipt, tariff, cap); any difference is a mismatch', () => {
  const tariff = { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 };
  const metered = { energyWh: 10_000, durationS: 3_600 }; // 50 + 300 + 60 = 410
  assert.equal(receiptSettlement({ ...metered, amountMinor: 410 }, tariff, 2_000), { billedMinor: 410, settledMinor: 410, mismatch: false });
  assert.equal(receiptSettlement({ ...metered, amountMinor: 2_900 }, tariff, 3_000), { billedMinor: 410, settledMinor: 410, mismatch: true });
  assert.equal(receiptSettlement({ ...metered, amountMinor: 300 }, tariff, 2_000), { billedMinor: 410, settledMinor: 300, mismatch: true });
  assert.equal(receiptSettlement({ ...metered, amountMinor: 300 }, tariff, 300), { billedMinor: 300, settledMinor: 300, mismatch: false }, 'capped');
});

test('bad arguments are refused', () => {
  const tariff = { version: 1, sessionFeeMinor: 0, energyMinorPerKwh: 1, timeMinorPerHour: 1 };
  assert.throws(() => sessionCostMinor(tariff, -1, 0), /"energyWh" expected a non-negative integer, got -1/);
  assert.throws(() => sessionCostMinor(tariff, 0, 1.5), /"durationS" expected a non-negative integer, got 1.5/);
});

test.run();

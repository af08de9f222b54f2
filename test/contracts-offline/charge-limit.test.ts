// The charging limit in its JSON form and from a (mode, value) pair: strict, never throwing,
// every refusal naming its field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chargeLimitFromJson, chargeLimitOf, isCapped, limitValue } from '../../contracts-offline/charge-limit.ts';

const good: [unknown, unknown][] = [
  [{ mode: 'amount', amountMinor: 2_000 }, { mode: 'amount', amountMinor: 2_000 }],
  [{ mode: 'time', durationS: 1 }, { mode: 'time', durationS: 1 }],
  [{ mode: 'energy', energyWh: 0xffff_ffff }, { mode: 'energy', energyWh: 0xffff_ffff }],
  [{ mode: 'full' }, { mode: 'full' }],
];

const bad: [string, unknown, string][] = [
  ['not an object', [1], 'field "limit" expected an object'],
  ['null', null, 'field "limit" expected an object'],
  ['unknown mode', { mode: 'cheap' }, 'field "limit.mode" expected one of amount|time|energy|full'],
  ['no mode', { energyWh: 5 }, 'field "limit.mode" expected one of amount|time|energy|full'],
  ['another unit', { mode: 'energy', durationS: 5 }, 'field "limit.durationS" is not allowed with mode energy'],
  ['full with a limit', { mode: 'full', amountMinor: 5 }, 'field "limit.amountMinor" is not allowed with mode full'],
  ['missing value', { mode: 'time' }, 'field "limit.durationS" expected an integer'],
  ['zero', { mode: 'amount', amountMinor: 0 }, 'field "limit.amountMinor" expected 1..4294967295, got 0'],
  ['past u32', { mode: 'energy', energyWh: 2 ** 32 }, 'field "limit.energyWh" expected 1..4294967295, got 4294967296'],
  ['fraction', { mode: 'energy', energyWh: 1.5 }, 'field "limit.energyWh" expected an integer'],
  ['text number', { mode: 'energy', energyWh: '5' }, 'field "limit.energyWh" expected an integer'],
];

test('the JSON form, accepted', () => {
  for (const [json, limit] of good) assert.equal(chargeLimitFromJson(json), { ok: true, value: limit });
});

for (const [what, json, reason] of bad) {
  test(`the JSON form, refused: ${what}`, () => {
    assert.equal(chargeLimitFromJson(json), { ok: false, code: 'malformed', reason });
  });
}

test('from a mode and a value (a database row, flags); the value back', () => {
  assert.equal(chargeLimitOf('energy', 20_000, 'voucher.limit'), { ok: true, value: { mode: 'energy', energyWh: 20_000 } });
  assert.equal(chargeLimitOf('full', undefined), { ok: true, value: { mode: 'full' } });
  assert.equal(chargeLimitOf('full', 3), { ok: false, code: 'malformed', reason: 'field "limit" mode full takes no limit' });
  assert.equal(chargeLimitOf('time', 0, 'x'), { ok: false, code: 'malformed', reason: 'field "x.durationS" expected 1..4294967295, got 0' });
  assert.is(limitValue({ mode: 'time', durationS: 60 }), 60);
  assert.is(limitValue({ mode: 'full' }), undefined);
  assert.equal(['amount', 'time', 'energy', 'full'].map((m) => isCapped(m as 'full')), [true, true, true, false]);
});

test.run();

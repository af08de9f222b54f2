// Display text shared by the pile's screens, the phone and the day's report: integers only,
// printable ASCII only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  asciiText, chargeLimitText, endDetailText, formatDuration, formatEnergy, formatMoney, startRefusalLines, startRefusalText,
} from '../../contracts-offline/display-text.ts';
import { EndDetail } from '../../contracts-offline/messages/receipt.ts';

test('formatting, integers only', () => {
  assert.is(formatMoney(0), '0.00');
  assert.is(formatMoney(5), '0.05');
  assert.is(formatMoney(12_345), '123.45');
  assert.is(formatEnergy(0), '0.000 kWh');
  assert.is(formatEnergy(1_005), '1.005 kWh');
  assert.is(formatEnergy(123_456), '123.456 kWh');
  assert.is(formatDuration(0), '0:00:00');
  assert.is(formatDuration(3_723), '1:02:03');
  assert.is(formatDuration(36_000), '10:00:00');
  assert.is(asciiText('Zoë K.'), 'Zo? K.');
  assert.is(asciiText('tab\there'), 'tab?here');
});

test('a charging limit reads in its own unit', () => {
  assert.is(chargeLimitText({ mode: 'amount', amountMinor: 2_000 }), 'amount 20.00');
  assert.is(chargeLimitText({ mode: 'time', durationS: 5_400 }), 'time 1:30:00');
  assert.is(chargeLimitText({ mode: 'energy', energyWh: 20_000 }), 'energy 20.000 kWh');
  assert.is(chargeLimitText({ mode: 'full' }), 'full');
  assert.ok(chargeLimitText({ mode: 'energy', energyWh: 0xffff_ffff }).length <= 24, 'the largest fits a 24-column line');
});

test('every end detail has its words; an unknown code says its number', () => {
  for (const code of Object.values(EndDetail)) assert.not.match(endDetailText(code), /end code/);
  assert.is(endDetailText(EndDetail.plugRemoved), 'plug removed');
  assert.is(endDetailText(200), 'end code 200');
});

test('a refused start reads the same on the pile (two lines) and the phone (one phrase)', () => {
  assert.equal(startRefusalLines('tariff-changed'), ['Tariff changed', 'Tap again']);
  assert.is(startRefusalText('tariff-changed'), 'Tariff changed: tap again');
  assert.is(startRefusalText('nonce-expired'), 'Too late: tap again');
  assert.is(startRefusalText('no-vehicle'), 'No vehicle: plug in, tap again');
});

test.run();

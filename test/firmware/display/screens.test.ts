// The pile's screens: printable ASCII only (contracts-offline/display-text.ts), every screen fits
// the 6 × 24 reference display unclipped and is clipped (not broken) on a smaller one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EndDetail } from '../../../contracts-offline/messages/receipt.ts';
import { DisplaySim } from '../../../hal/sim/display.ts';
import {
  type Screen, busyScreen, chargingScreen, faultScreen, fitScreen, idleScreen, journalFullScreen, receiptScreen, startRefusedScreen, tapPromptScreen, welcomeScreen,
} from '../../../firmware/display/screens.ts';
import type { StartRefusal } from '../../../contracts-offline/display-text.ts';
import { samples } from '../../support/samples.ts';

const tariff = { version: 3, energyMinorPerKwh: 1_234_567, timeMinorPerHour: 10_000_000, sessionFeeMinor: 10_000_000 };
const worst = {
  name: 'W'.repeat(24), limit: { mode: 'energy' as const, energyWh: 0xffff_ffff }, energyWh: 0xffff_ffff, durationS: 359_999,
  costMinor: 0xffff_ffff, capMinor: 0xffff_ffff, delivering: true,
};
const screens: [string, Screen][] = [
  ['idle', idleScreen(samples.PileInfo.pileId, 'L'.repeat(32), tariff)],
  ['welcome', welcomeScreen('Zoë K.', tariff, 'tap')],
  ['welcome through the channel', welcomeScreen('Zoë K.', tariff, 'channel')],
  ['busy', busyScreen('Ann')],
  ['charging', chargingScreen(worst)],
  ['charging, paused', chargingScreen({ ...worst, delivering: false, limit: { mode: 'time', durationS: 359_999 } })],
  ['receipt', receiptScreen({ ...samples.Receipt, seq: 0xffff_ffff, energyWh: 0xffff_ffff, durationS: 359_999, amountMinor: 0xffff_ffff })],
  ['tap prompt', tapPromptScreen(EndDetail.contactorFault, 0xffff_ffff)],
  ['journal full', journalFullScreen()],
  ['fault', faultScreen('storage failed: journal: flash failed (spi timeout); remount needed', 24)],
];

test('every screen fits 6 × 24 (labels and names longer than the width aside) in printable ASCII', () => {
  for (const [name, screen] of screens) {
    assert.ok(screen.lines.length <= 6, `${name}: ${screen.lines.length} rows`);
    for (const line of screen.lines) {
      assert.ok(/^[\x20-\x7e]*$/.test(line), `${name}: ${JSON.stringify(line)}`);
      if (name !== 'idle' && name !== 'charging') assert.ok(line.length <= 24, `${name}: ${JSON.stringify(line)} is ${line.length} wide`);
    }
    const display = new DisplaySim();
    const fitted = fitScreen(screen, display.rows, display.columns);
    display.show(fitted.lines, fitted.status);
  }
});

const startRefusals: StartRefusal[] = [
  'other-pile', 'nonce-unknown', 'nonce-used', 'nonce-expired', 'tariff-changed', 'no-vehicle', 'busy', 'out-of-service', 'journal-full', 'pile-fault',
];

test("a refused start's screen fits the board's 4 × 20 display unclipped, in printable ASCII", () => {
  for (const reason of startRefusals) {
    const screen = startRefusedScreen(reason);
    assert.equal(fitScreen(screen, 4, 20), screen, reason);
    assert.ok(screen.lines.every((line) => /^[\x20-\x7e]+$/.test(line)), reason);
    assert.is(screen.status, 'attention');
  }
  assert.equal(startRefusedScreen('nonce-expired').lines, ['Charging not started', 'Too late', 'Tap again']);
});

test('a smaller display gets the first rows, clipped', () => {
  const fitted = fitScreen(chargingScreen(worst), 4, 16);
  assert.is(fitted.lines.length, 4);
  assert.ok(fitted.lines.every((l) => l.length <= 16));
  new DisplaySim({ rows: 4, columns: 16 }).show(fitted.lines, fitted.status);
  assert.equal(faultScreen('contactor welded at boot', 16).lines, ['OUT OF SERVICE', 'contactor welded', 'at boot']);
});

test.run();

// The phone at tap 2 when the pile's clock is not the relay's, and when START is refused (real
// firmware on simulated piles, the real relay, the phone SDK over the simulated field): a pile
// days ahead or hours behind still takes a fresh voucher; a refusal names its condition in the
// words the pile's display shows; a voucher that can never start a contract is cancelled at the
// relay by the sync after the tap (its cap free at once, not at expiresAtS), one that may have
// started is only dropped, one the pile may still take is kept; and the driver can cancel the
// voucher she holds. As an app does, a phone syncs after a tap once the field is released.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SW } from '../../contracts-offline/apdu.ts';
import { VOUCHER_RESERVATION_S } from '../../contracts-offline/voucher-lifetime.ts';
import { bootPile } from '../../firmware/pile.ts';
import { EvSim } from '../../hal/sim/ev.ts';
import { Phone } from '../../tools/phone/phone.ts';
import { PhoneError, PileRefusedError, RelayError, RelayUnreachableError } from '../../tools/phone/errors.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import type { WalletState } from '../../tools/phone/wallet-state.ts';
import { SimSystem, type SimPile } from '../../tools/system-day/sim-system.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const amount = { mode: 'amount', amountMinor: 1_000 } as const;

const refusals = suite<{ rig: SimSystem }>('phone: START on skewed pile clocks, and its refusals', { rig: new SimSystem() });

refusals.before(async ({ rig }) => {
  await rig.start();
});

refusals.after(async ({ rig }) => {
  await rig.close();
});

/** Time passes for the relay and for `piles`, each keeping its own offset (SimSystem.advance would pull them into step). */
function elapse(rig: SimSystem, ms: number, ...piles: SimPile[]): void {
  rig.clock.atMs += ms;
  for (const pile of piles) pile.sim.clock.advance(ms);
}

/** Plugs an EV into `pile` and gives that pile (alone) two seconds to see it. */
function plug(pile: SimPile): void {
  pile.sim.circuit.plug(new EvSim({ batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 }));
  pile.sim.clock.advance(2000);
}

async function refusalOf(work: Promise<unknown>): Promise<PileRefusedError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  assert.instance(error, PileRefusedError);
  return error as PileRefusedError;
}

const reservedOf = async (phone: Phone): Promise<number> => (await phone.account()).account.reservedMinor;
const shownBy = (pile: SimPile): string[] => pile.sim.display.lines.slice(0, 3);

refusals('a pile 3 days ahead of the relay and one 6 hours behind both start a contract on a fresh voucher', async ({ rig }) => {
  const ahead = await rig.addPile('Ahead');
  const behind = await rig.addPile('Behind');
  ahead.sim.clock.advance(3 * DAY_MS); // the pile has run three days on a clock gaining against the relay's
  rig.clock.atMs += 6 * HOUR_MS; // the relay's clock is 6 hours ahead of the other pile's
  const ada = await rig.addPhone('Ada', 10_000);
  for (const pile of [ahead, behind]) {
    plug(pile);
    await rig.tap(pile, (t) => ada.tapHello(t));
    const voucher = await ada.requestVoucher(amount);
    elapse(rig, 10 * 60_000, ahead, behind);
    const started = await rig.tap(pile, (t) => ada.tapStart(t));
    await ada.sync();
    const pileNowS = Math.floor(pile.sim.clock.nowMs() / 1000);
    assert.is(started.contract.startAtS, pileNowS, `${pile.label}: the contract is dated by the pile clock`);
    if (pile === ahead) assert.ok(voucher.expiresAtS < pileNowS, 'its expiresAtS was long past on the pile clock');
    assert.is(await reservedOf(ada), 0, 'the voucher is used: nothing reserved');
    pile.sim.circuit.unplug();
    pile.sim.clock.advance(2000);
  }
});

refusals('tariff changed between tap 1 and tap 2: "Tariff changed: tap again" on phone and pile; the voucher is cancelled at the relay', async ({ rig }) => {
  const pile = await rig.addPile('Tariff bay');
  const ada = await rig.addPhone('Ada', 10_000);
  const bob = await rig.addPhone('Bob', 0);
  plug(pile);
  await rig.tap(pile, (t) => ada.tapHello(t));
  const voucher = await ada.requestVoucher(amount);
  assert.is(await reservedOf(ada), 1_000);
  await rig.operatorClient.configurePile(rig.relay.operatorKey, pile.pileId, { tariff: { energyMinorPerKwh: 45, timeMinorPerHour: 0, sessionFeeMinor: 10 } });
  assert.is((await rig.tap(pile, (t) => bob.tapHello(t))).screen.updatedTo, 2, "Bob's tap 1 writes the new tariff");
  const refused = await refusalOf(rig.tap(pile, (t) => ada.tapStart(t)));
  assert.equal([refused.sw, refused.startRefusal, refused.voucherCancelled], [SW.tariffChanged, 'tariff-changed', true]);
  assert.is(refused.message, 'START refused by the pile: 9A02 Tariff changed: tap again (the voucher is cancelled: the next sync frees its cap)');
  assert.equal(shownBy(pile), ['Charging not started', 'Tariff changed', 'Tap again']);
  assert.is(ada.voucher, null);
  assert.equal(ada.state.vouchersToCancel, [voucher.voucherId], 'kept in the wallet until the relay has heard it');
  assert.equal((await ada.sync()).vouchersCancelled, [{ voucherId: voucher.voucherId, releasedMinor: 1_000 }]);
  assert.is(await reservedOf(ada), 0, 'freed by the sync after the tap, not at expiresAtS');
  assert.equal(ada.state.vouchersToCancel, []);
  await rig.tap(pile, (t) => ada.tapHello(t));
  await ada.requestVoucher(amount);
  assert.is((await rig.tap(pile, (t) => ada.tapStart(t))).contract.seq, 1, 'tap again: it starts');
});

refusals('a pile clock that ran 16 minutes between the taps: "Too late: tap again", the voucher cancelled', async ({ rig }) => {
  const pile = await rig.addPile('Fast clock');
  const ada = await rig.addPhone('Ada', 10_000);
  plug(pile);
  await rig.tap(pile, (t) => ada.tapHello(t));
  await ada.requestVoucher(amount);
  pile.sim.clock.advance(16 * 60_000); // only the pile's clock: for the phone and the relay no time passed
  const refused = await refusalOf(rig.tap(pile, (t) => ada.tapStart(t)));
  assert.equal([refused.sw, refused.startRefusal, refused.voucherCancelled], [SW.nonceExpired, 'nonce-expired', true]);
  assert.match(refused.message, /9A01 Too late: tap again/);
  assert.equal(shownBy(pile), ['Charging not started', 'Too late', 'Tap again']);
  assert.is(await reservedOf(ada), 1_000, 'no relay request in the field');
  const offline = new Phone({ state: ada.state, relay: new RelayClient({ baseUrl: 'http://127.0.0.1:1' }) });
  assert.instance(await offline.sync().then(() => undefined, (e: unknown) => e), RelayUnreachableError);
  assert.is(offline.state.vouchersToCancel?.length, 1, 'kept for a sync that reaches the relay');
  assert.is((await ada.sync()).vouchersCancelled.length, 1);
  assert.is(await reservedOf(ada), 0);
});

refusals('no vehicle: "No vehicle: plug in, tap again", the voucher kept and still reserved; plugged in, it starts', async ({ rig }) => {
  const pile = await rig.addPile('Empty bay');
  const ada = await rig.addPhone('Ada', 10_000);
  await rig.tap(pile, (t) => ada.tapHello(t));
  const voucher = await ada.requestVoucher(amount);
  const refused = await refusalOf(rig.tap(pile, (t) => ada.tapStart(t)));
  assert.equal([refused.sw, refused.startRefusal, refused.voucherCancelled], [SW.conditionsNotSatisfied, 'no-vehicle', false]);
  assert.match(refused.message, /6985 No vehicle: plug in, tap again$/);
  assert.equal(shownBy(pile), ['Charging not started', 'No vehicle', 'Plug in, tap again']);
  assert.is(ada.voucher?.voucherId, voucher.voucherId);
  assert.is(await reservedOf(ada), 1_000);
  plug(pile);
  assert.is((await rig.tap(pile, (t) => ada.tapStart(t))).contract.capMinor, voucher.capMinor);
});

refusals('a pile restarted between the taps: "Tap not recognised", the voucher dropped but not cancelled; its cap is free after expiresAtS', async ({ rig }) => {
  const pile = await rig.addPile('Restarted bay');
  const ada = await rig.addPhone('Ada', 10_000);
  plug(pile);
  await rig.tap(pile, (t) => ada.tapHello(t));
  const voucher = await ada.requestVoucher(amount);
  pile.handle.shutdown();
  pile.handle = bootPile(pile.sim.hal);
  pile.sim.clock.advance(2000);
  const refused = await refusalOf(rig.tap(pile, (t) => ada.tapStart(t)));
  assert.equal([refused.sw, refused.startRefusal, refused.voucherCancelled], [SW.referenceNotFound, 'nonce-unknown', false]);
  assert.equal(shownBy(pile), ['Charging not started', 'Tap not recognised', 'Tap again']);
  assert.is(ada.voucher, null, 'no use trying it again');
  assert.equal((await ada.sync()).vouchersCancelled, [], 'dropped, not cancelled');
  assert.is(await reservedOf(ada), 1_000, 'a START whose answer was lost may have used it: the relay keeps the cap');
  const nothing = await ada.cancelVoucher().then(() => undefined, (e: unknown) => e);
  assert.ok(nothing instanceof PhoneError && nothing.code === 'no-voucher');
  elapse(rig, (voucher.expiresAtS + 1) * 1000 - rig.clock.atMs, pile);
  assert.is(await reservedOf(ada), 0, `released ${VOUCHER_RESERVATION_S} s after issue`);
});

refusals('the driver cancels the voucher she holds: its cap is free at once; a voucher already used cannot be cancelled and is dropped', async ({ rig }) => {
  const pile = await rig.addPile('Cancel bay');
  const saved: WalletState[] = [];
  const ada = await rig.addPhone('Ada', 10_000, saved);
  plug(pile);
  await rig.tap(pile, (t) => ada.tapHello(t));
  const voucher = await ada.requestVoucher(amount);
  const cancelled = await ada.cancelVoucher();
  assert.equal([cancelled.voucherId, cancelled.releasedMinor], [voucher.voucherId, 1_000]);
  assert.is(ada.voucher, null);
  assert.is(await reservedOf(ada), 0);
  assert.is(saved.at(-1)!.voucher, null, 'the wallet was saved without it');

  await rig.tap(pile, (t) => ada.tapHello(t));
  await ada.requestVoucher(amount);
  // The same wallet on another device (or the START whose answer this phone lost) uses the voucher.
  const twin = new Phone({ state: saved.at(-1)!, nowMs: () => rig.clock.nowMs() });
  await rig.tap(pile, (t) => twin.tapStart(t));
  await twin.sync();
  const used = await ada.cancelVoucher().then(() => undefined, (e: unknown) => e);
  assert.ok(used instanceof RelayError && used.code === 'voucher-used', String(used));
  assert.is(ada.voucher, null);
});

refusals.run();

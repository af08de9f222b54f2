// The phone's flows (tools/phone/phone.ts) over the simulated NFC field, against the real firmware
// (bootPile on a simulated board) and the real relay (startRelay, SQLite + embedded ledger):
// tap 1 with a pile update, tap 2, the four modes to their normal end, user stop, plug pulled on an
// open contract, receipts carried by another user's phone, an offline phone, a cloned pile. As an
// app does, a phone syncs after a tap once the field is released (no flow uploads in the field).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW } from '../../contracts-offline/apdu.ts';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { NfcTagLostError } from '../../hal/sim/nfc-field.ts';
import { createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { bootPile } from '../../firmware/pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { readCarriedRecord } from '../../tools/phone/carried-record.ts';
import { Phone, type PileLeft, type TapReport } from '../../tools/phone/phone.ts';
import { PhoneError } from '../../tools/phone/errors.ts';
import { PileAnswerError, PileRefusedError } from '../../tools/phone/errors.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { RelayError, RelayUnreachableError } from '../../tools/phone/errors.ts';
import type { WalletState } from '../../tools/phone/wallet-state.ts';
import { SimSystem, type SimPile } from '../../tools/system-day/sim-system.ts';

const flows = suite<{ rig: SimSystem }>('phone flows', { rig: new SimSystem() });

flows.before(async ({ rig }) => {
  await rig.start();
});

flows.after(async ({ rig }) => {
  await rig.close();
});

/** Every tap stays inside design §6's budget: ≤ 6 APDUs, ≤ 1 KiB on air. */
function withinBudget(report: TapReport, what: string): void {
  const bytes = report.air.commandBytes + report.air.responseBytes;
  assert.ok(report.air.apdus <= 6, `${what}: ${report.air.apdus} APDUs`);
  assert.ok(bytes <= 1024, `${what}: ${bytes} bytes on air`);
}

async function contractAtRelay(rig: SimSystem, phone: Phone, pile: SimPile, seq: number) {
  await rig.relay.drainLedger();
  const { account, contracts } = await phone.account();
  return { account, contract: contracts.find((c) => c.pileId === bytesToHex(pile.pileId) && c.seq === seq) };
}

flows('tap 1: a verified pile screen; a newer config from the relay is written into the pile once', async ({ rig }) => {
  const pile = await rig.addPile('Bay update');
  const ada = await rig.addPhone('Ada', 0);
  const first = await rig.tap(pile, (t) => ada.tapHello(t));
  assert.equal(first.screen, {
    pileId: bytesToHex(pile.pileId), label: 'Bay update', state: 'available', configVersion: 1,
    tariff: { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 }, modes: ['amount', 'time', 'energy', 'full'], verified: true, updatedTo: undefined,
  });
  pile.sim.clock.advance(0); // the display is redrawn once the tap is answered
  assert.match(pile.sim.display.text(), /Welcome, Ada/);
  withinBudget(first, 'tap 1');
  assert.equal([first.relayInField.roundTrips, first.relayInField.answered, first.relayInField.timedOut], [1, true, false]);

  await rig.operatorClient.configurePile(rig.relay.operatorKey, pile.pileId, { label: 'Bay update v2', tariff: { energyMinorPerKwh: 45, timeMinorPerHour: 0, sessionFeeMinor: 10 } });
  const second = await rig.tap(pile, (t) => ada.tapHello(t));
  assert.is(second.screen.updatedTo, 2);
  assert.is(second.screen.label, 'Bay update v2');
  assert.equal(second.screen.tariff, { version: 2, energyMinorPerKwh: 45, timeMinorPerHour: 0, sessionFeeMinor: 10 });
  assert.is(pile.handle.services!.config().configVersion, 2);
  assert.is(pile.handle.services!.config().tariff.energyMinorPerKwh, 45);
  withinBudget(second, 'tap 1 with UPDATE');
  const third = await rig.tap(pile, (t) => ada.tapHello(t));
  assert.is(third.screen.updatedTo, undefined);
  assert.is(third.screen.configVersion, 2);
  assert.is(third.air.apdus, 2); // SELECT + HELLO: nothing else to do
});

flows('energy mode, normal end: the cap shows until ANOTHER user\'s tap carries the receipt (R7)', async ({ rig }) => {
  const pile = await rig.addPile('Bay R7');
  const ada = await rig.addPhone('Ada', 10_000);
  const bob = await rig.addPhone('Bob', 0);
  await rig.tap(pile, (t) => ada.tapHello(t));
  rig.plug(pile);
  const voucher = await ada.requestVoucher({ mode: 'energy', energyWh: 1000 });
  const started = await rig.tap(pile, (t) => ada.tapStart(t));
  withinBudget(started, 'tap 2');
  assert.is(started.contract.seq, 1);
  assert.is(started.contract.capMinor, voucher.capMinor);
  assert.is(started.relayInField.roundTrips, 0, 'tap 2 asks the relay nothing');
  const afterStart = await ada.sync();
  assert.is(afterStart.accepted, 1);
  assert.equal(afterStart.acksFor, [bytesToHex(pile.pileId)], 'the relay\'s ack for the contract waits in the wallet for a tap');
  const during = await contractAtRelay(rig, ada, pile, 1);
  assert.is(during.contract?.status, 'provisional');
  assert.is(during.account.escrowMinor, voucher.capMinor);

  rig.advance(20 * 60_000); // 1 kWh at 7.4 kW takes about 8 minutes
  assert.is(pile.handle.services!.state(), 'finishing');
  const stillCap = await contractAtRelay(rig, ada, pile, 1);
  assert.is(stillCap.contract?.status, 'provisional', 'no tap yet: the relay still holds the cap');
  assert.is(stillCap.account.escrowMinor, voucher.capMinor);

  const bobTap = await rig.tap(pile, (t) => bob.tapHello(t));
  withinBudget(bobTap, 'another user\'s tap 1');
  assert.equal(bobTap.screen.modes, ['amount', 'time', 'energy', 'full'], 'the vehicle is still plugged after the session: a new one can start');
  assert.is(bobTap.carried.fromPile, 1);
  assert.ok(bobTap.carried.ackDelivered, 'tap 1\'s round trip fetched the pile\'s Ack (the contract): the pile pruned it, the page brought the receipt');
  assert.is((await bob.sync()).accepted, 1);
  const settled = await contractAtRelay(rig, ada, pile, 1);
  assert.is(settled.contract?.status, 'settled');
  assert.is(settled.contract?.endReason, 'normal');
  assert.ok(settled.contract!.amountMinor! <= voucher.capMinor);
  assert.is(settled.account.escrowMinor, 0);
  assert.is(settled.account.balanceMinor, 10_000 - settled.contract!.amountMinor!);
  assert.ok(ada.activeContract, 'Ada\'s phone has not heard yet');
  assert.ok((await ada.sync()).activeClosed);
  assert.is(ada.activeContract, null);
});

const modes: [string, ChargeLimit, (rig: SimSystem, pile: SimPile) => void][] = [
  ['amount', { mode: 'amount', amountMinor: 40 }, (rig) => rig.advance(30 * 60_000)],
  ['time', { mode: 'time', durationS: 600 }, (rig) => rig.advance(11 * 60_000)],
  ['energy', { mode: 'energy', energyWh: 700 }, (rig) => rig.advance(20 * 60_000)],
  ['full', { mode: 'full' }, (rig, pile) => { rig.advance(5 * 60_000); pile.sim.circuit.ev!.setWantsCharge(false); rig.advance(5 * 60_000); }],
];

for (const [name, limit, runToEnd] of modes) {
  flows(`${name} mode to its normal end, then the user's final tap collects and settles it`, async ({ rig }) => {
    const pile = await rig.addPile(`Bay ${name}`);
    const ada = await rig.addPhone('Ada', 5_000);
    await rig.tap(pile, (t) => ada.tapHello(t));
    rig.plug(pile);
    await ada.requestVoucher(limit);
    const started = await rig.tap(pile, (t) => ada.tapStart(t));
    await ada.sync();
    assert.equal(started.contract.limit, limit);
    runToEnd(rig, pile);
    assert.match(pile.handle.services!.state(), /finishing|available/);
    const collected = await rig.tap(pile, (t) => ada.tapCollect(t));
    withinBudget(collected, 'final tap');
    assert.is(collected.relayInField.roundTrips, 0, 'the final tap asks the relay nothing');
    assert.is(collected.carried.fromPile, 1);
    assert.ok(collected.carried.ackDelivered, 'the contract\'s Ack, kept since the sync after tap 2');
    assert.equal([collected.pileStillHolds, collected.outboxLeft], [1, 0], 'the receipt: carried, not acknowledged yet');
    assert.is(ada.activeContract, null);
    assert.is((await ada.sync()).accepted, 1);
    const later = await rig.tap(pile, (t) => ada.tapCollect(t));
    assert.ok(later.carried.ackDelivered);
    assert.is(later.pileStillHolds, 0, 'the pile may prune: every record acknowledged');
    assert.is(ada.state.lastFinished?.contractSeq, 1);
    const { contract } = await contractAtRelay(rig, ada, pile, 1);
    assert.is(contract?.status, 'settled');
    assert.is(contract?.endReason, 'normal');
    assert.ok(contract!.amountMinor! > 0);
    if (limit.mode === 'amount') assert.ok(contract!.amountMinor! <= limit.amountMinor);
    if (limit.mode === 'time') assert.ok(contract!.durationS! <= limit.durationS);
    if (limit.mode === 'energy') assert.ok(contract!.energyWh! <= limit.energyWh);
  });
}

flows('user stop: a user-signed StopRequest over this tap\'s nonce; the receipt settles at once', async ({ rig }) => {
  const pile = await rig.addPile('Bay stop');
  const ada = await rig.addPhone('Ada', 5_000);
  await rig.tap(pile, (t) => ada.tapHello(t));
  rig.plug(pile);
  await ada.requestVoucher({ mode: 'time', durationS: 3600 });
  await rig.tap(pile, (t) => ada.tapStart(t));
  await ada.sync();
  rig.advance(5 * 60_000);
  assert.is(pile.handle.services!.state(), 'charging');
  const stopped = await rig.tap(pile, (t) => ada.tapStop(t));
  withinBudget(stopped, 'stop tap');
  assert.is(stopped.relayInField.roundTrips, 0, 'the stop tap asks the relay nothing');
  assert.ok(stopped.carried.ackDelivered, 'the contract\'s Ack from the sync after tap 2');
  assert.is(stopped.receipt.message.endReason, 'user');
  assert.is(stopped.receipt.message.contractSeq, 1);
  assert.is((await ada.sync()).accepted, 1);
  assert.is(pile.handle.services!.state() === 'charging', false);
  assert.is(ada.activeContract, null);
  const { contract } = await contractAtRelay(rig, ada, pile, 1);
  assert.is(contract?.status, 'settled');
  assert.is(contract?.amountMinor, stopped.receipt.message.amountMinor);
  // a second stop has nothing to stop
  try {
    await rig.tap(pile, (t) => ada.tapStop(t));
    assert.unreachable('stopped twice');
  } catch (error) {
    assert.instance(error, PhoneError);
    assert.is((error as PhoneError).code, 'no-active-contract');
  }
  // changed her mind with the cable still in: the display invites a tap, and the tap starts again
  rig.advance(61_000); // the receipt screen's minute is over
  assert.is(pile.handle.services!.state(), 'finishing');
  assert.match(pile.sim.display.text(), /Tap your phone to start/);
  const again = await rig.tap(pile, (t) => ada.tapHello(t));
  assert.equal(again.screen.modes, ['amount', 'time', 'energy', 'full']);
  await ada.requestVoucher({ mode: 'time', durationS: 600 });
  const restarted = await rig.tap(pile, (t) => ada.tapStart(t));
  assert.is(restarted.contract.seq, 3);
  assert.is(pile.handle.services!.state(), 'charging', 'without unplugging');
});

flows('plug pulled on an open (full) contract: no new voucher until a tap brings the receipt (R8)', async ({ rig }) => {
  const pile = await rig.addPile('Bay R8');
  const elsewhere = await rig.addPile('Bay R8 other');
  const ada = await rig.addPhone('Ada', 5_000);
  await rig.tap(pile, (t) => ada.tapHello(t));
  rig.plug(pile);
  await ada.requestVoucher({ mode: 'full' });
  await rig.tap(pile, (t) => ada.tapStart(t));
  await ada.sync();
  rig.advance(3 * 60_000);
  pile.sim.circuit.unplug();
  rig.advance(2000);
  assert.match(pile.sim.display.text(), /Tap your phone/);
  // at another pile, before any tap has carried the abnormal receipt
  await rig.tap(elsewhere, (t) => ada.tapHello(t));
  rig.plug(elsewhere);
  try {
    await ada.requestVoucher({ mode: 'energy', energyWh: 500 });
    assert.unreachable('voucher issued with an open contract outstanding');
  } catch (error) {
    assert.instance(error, RelayError);
    assert.is((error as RelayError).status, 409);
    assert.is((error as RelayError).code, 'open-contract-outstanding');
  }
  const collected = await rig.tap(pile, (t) => ada.tapCollect(t));
  withinBudget(collected, 'final tap');
  assert.is(collected.carried.fromPile, 1);
  await ada.sync();
  const { contract } = await contractAtRelay(rig, ada, pile, 1);
  assert.is(contract?.status, 'settled');
  assert.is(contract?.endReason, 'abnormal');
  assert.is(ada.activeContract, null);
  await rig.tap(elsewhere, (t) => ada.tapHello(t));
  const voucher = await ada.requestVoucher({ mode: 'energy', energyWh: 500 });
  assert.ok(voucher.capMinor > 0);
});

flows('offline at tap 2: the contract stays in the wallet and reaches the relay with a later sync', async ({ rig }) => {
  const pile = await rig.addPile('Bay offline');
  const saved: WalletState[] = [];
  const online = await rig.addPhone('Ada', 5_000, saved);
  await rig.tap(pile, (t) => online.tapHello(t));
  rig.plug(pile);
  await online.requestVoucher({ mode: 'energy', energyWh: 400 });
  // the phone loses its network: same wallet, relay unreachable
  const offline = new Phone({ state: saved.at(-1)!, relay: new RelayClient({ baseUrl: 'http://127.0.0.1:1' }), nowMs: () => rig.clock.nowMs(), save: (s) => saved.push(s) });
  await rig.tap(pile, (t) => offline.tapStart(t));
  assert.is(saved.at(-1)!.records.length, 1, 'the contract was saved before the upload was tried');
  const failed = await offline.sync().then(() => undefined, (e: unknown) => e);
  assert.instance(failed, RelayUnreachableError);
  assert.is(offline.pendingRecords.length, 1);
  assert.is((await contractAtRelay(rig, online, pile, 1)).contract, undefined);
  // back online, restored from the saved wallet
  const back = new Phone({ state: saved.at(-1)!, nowMs: () => rig.clock.nowMs() });
  const sync = await back.sync();
  assert.is(sync.accepted, 1);
  assert.is(back.pendingRecords.length, 0);
  assert.is((await contractAtRelay(rig, back, pile, 1)).contract?.status, 'provisional');
  rig.advance(60_000);
  const stopped = await rig.tap(pile, (t) => back.tapStop(t));
  assert.is(stopped.receipt.message.endReason, 'user');
});

flows('a pile holding many unacknowledged records: each tap carries what fits its budget, until none is left', async ({ rig }) => {
  const pile = await rig.addPile('Bay backlog');
  const saved: WalletState[] = [];
  await rig.addPhone('Ada', 5_000, saved);
  const deadRelay = new RelayClient({ baseUrl: 'http://127.0.0.1:1' });
  const adaAt = (relay?: RelayClient) => new Phone({ state: saved.at(-1)!, nowMs: () => rig.clock.nowMs(), save: (s) => saved.push(s), ...(relay && { relay }) });
  for (let session = 0; session < 3; session++) {
    // taps without network (nothing uploaded, no ack), the voucher asked for online in between
    rig.plug(pile);
    await rig.tap(pile, (t) => adaAt(deadRelay).tapHello(t));
    await adaAt().requestVoucher({ mode: 'amount', amountMinor: 50 });
    await rig.tap(pile, (t) => adaAt(deadRelay).tapStart(t));
    rig.advance(60_000);
    pile.sim.circuit.unplug();
    rig.advance(2000);
  }
  const bob = await rig.addPhone('Bob', 0);
  let carried = 0;
  const taps: (TapReport & PileLeft)[] = [];
  for (let tap = 0; tap < 4; tap++) {
    const collected = await rig.tap(pile, (t) => bob.tapCollect(t));
    await bob.sync();
    withinBudget(collected, `collect tap ${tap + 1}`);
    taps.push(collected);
    carried += collected.carried.fromPile;
    if (collected.outboxLeft === 0) break;
  }
  assert.is(carried, 6, 'three contracts and three receipts');
  assert.ok(taps.length >= 2, 'more than one tap was needed within the budget');
  assert.ok(taps.every((t) => t.carried.fromPile <= 4));
  assert.is(taps.at(-1)!.outboxLeft, 0);
  assert.is((await rig.tap(pile, (t) => bob.tapCollect(t))).pileStillHolds, 0, 'the next tap hands the pile the Ack of the last sync');
  await rig.relay.drainLedger();
  const contracts = await new RelayClient({ baseUrl: rig.relay.url, nowMs: () => rig.clock.nowMs() }).userContracts(adaAt().keyPair);
  assert.equal(contracts.filter((c) => c.pileId === bytesToHex(pile.pileId)).map((c) => [c.seq, c.status, c.endReason]), [[1, 'settled', 'abnormal'], [3, 'settled', 'abnormal'], [5, 'settled', 'abnormal']]);
  // Ada's own copies (her contracts, and receipts her offline taps carried) are duplicates now
  const holding = adaAt().pendingRecords.length;
  assert.ok(holding >= 3);
  const late = await adaAt().sync();
  assert.equal([late.accepted, late.duplicates], [0, holding]);
});

flows('the field drops after the pile journaled the contract: the next tap brings the contract back to the phone', async ({ rig }) => {
  const pile = await rig.addPile('Bay field loss');
  const ada = await rig.addPhone('Ada', 5_000);
  await rig.tap(pile, (t) => ada.tapHello(t));
  rig.plug(pile);
  const voucher = await ada.requestVoucher({ mode: 'energy', energyWh: 300 });
  const tap = pile.sim.nfc.tap();
  const losing = { transceive: async (apdu: Uint8Array) => (apdu[1] === INS.start ? tap.transceiveThenLoseField(apdu) : tap.transceive(apdu)) };
  try {
    await ada.tapStart(losing);
    assert.unreachable('START answered');
  } catch (error) {
    assert.instance(error, NfcTagLostError);
  }
  assert.is(ada.activeContract, null);
  assert.is(pile.handle.services!.state(), 'charging', 'the pile started: its contract is journaled');
  const collected = await rig.tap(pile, (t) => ada.tapCollect(t));
  assert.is(collected.carried.fromPile, 1);
  assert.is(ada.activeContract?.seq, 1);
  assert.is(ada.voucher, null);
  assert.is(bytesToHex(readContractVoucher(ada.activeContract!.contract)), voucher.voucherId);
  await ada.sync();
  assert.is((await contractAtRelay(rig, ada, pile, 1)).contract?.status, 'provisional');
  const stopped = await rig.tap(pile, (t) => ada.tapStop(t));
  assert.is(stopped.receipt.message.endReason, 'user');
});

flows('tap 2 with no vehicle is refused (6985) and keeps the voucher; after plugging in it starts', async ({ rig }) => {
  const pile = await rig.addPile('Bay no car');
  const ada = await rig.addPhone('Ada', 5_000);
  await rig.tap(pile, (t) => ada.tapHello(t));
  await ada.requestVoucher({ mode: 'amount', amountMinor: 100 });
  try {
    await rig.tap(pile, (t) => ada.tapStart(t));
    assert.unreachable('started without a vehicle');
  } catch (error) {
    assert.instance(error, PileRefusedError);
    assert.is((error as PileRefusedError).sw, SW.conditionsNotSatisfied);
  }
  assert.ok(ada.voucher, 'voucher kept');
  rig.plug(pile);
  const started = await rig.tap(pile, (t) => ada.tapStart(t));
  assert.is(started.contract.seq, 1);
  // the voucher is used up: a second START is refused before any tap
  try {
    await rig.tap(pile, (t) => ada.tapStart(t));
    assert.unreachable('voucher used twice');
  } catch (error) {
    assert.instance(error, PhoneError);
    assert.is((error as PhoneError).code, 'no-voucher');
  }
});

flows('a pile answering for a registered pile id with another key is not genuine (R12)', async ({ rig }) => {
  const real = await rig.addPile('Bay real');
  const impostorKey = generateKeyPair();
  const impostor = createSimulatedPile({ secretKey: impostorKey.secretKey, startMs: rig.clock.nowMs() });
  const offer = await rig.operatorClient.pileUpdate(real.pileId, 0);
  const written = provisionPile(impostor.flash, { pileId: real.pileId, relayPublicKey: hexKey(rig.relay.relayPublicKey), pilePublicKey: impostorKey.publicKey, pileUpdate: offer!.pileUpdate, firstBillingSeq: 1 });
  assert.ok(written.ok);
  const handle = bootPile(impostor.hal);
  const ada = await rig.addPhone('Ada', 0);
  const tap = impostor.nfc.tap();
  try {
    await ada.tapHello({ transceive: async (apdu) => tap.transceive(apdu) });
    assert.unreachable('impostor accepted');
  } catch (error) {
    assert.instance(error, PileAnswerError);
    assert.match((error as Error).message, /^HELLO: the pile's answer is not usable: cose: kid mismatch/);
  } finally {
    tap.end();
    handle.shutdown();
  }
  assert.is(ada.state.hello, null, 'no nonce kept from a pile that is not genuine');
});

function readContractVoucher(contractText: string): Uint8Array {
  const read = readCarriedRecord(Uint8Array.from(Buffer.from(contractText, 'base64url')));
  if (!read.ok || read.value.kind !== 'contract') throw new Error('not a contract');
  return read.value.message.voucherId;
}

function hexKey(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

flows.run();

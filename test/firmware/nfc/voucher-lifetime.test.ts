// A voucher's life at the pile follows the pile's own clock (contracts-offline/voucher-lifetime.ts,
// firmware/nfc/README.md "Nonces"), on the real pile (bootPile on the simulated board) through
// APDUs: the pile runs for days, its clock days ahead of or hours behind the relay that signs the
// vouchers, and a voucher over a fresh tap nonce still starts; a nonce too old, unknown (the pile
// restarted) or used, a changed tariff and a missing vehicle are each refused with their own
// status word, change nothing, and the display says why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, encodeStopData, selectCommand } from '../../../contracts-offline/apdu.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { readSigned } from '../../../contracts-offline/signed.ts';
import { PILE_NONCE_LIFETIME_MS, VOUCHER_RESERVATION_S } from '../../../contracts-offline/voucher-lifetime.ts';
import { bootPile } from '../../../firmware/pile.ts';
import type { NfcTap } from '../../../hal/sim/nfc-field.ts';
import { type NfcPileRig, nfcPileRig, plugEv, testRelay, userStop } from './nfc-pile-rig.ts';
import { command, dataOf, signedVoucher, statusOf, userKeys } from '../../support/tap-kit.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const energy = { mode: 'energy', energyWh: 5_000 } as const;

const pileNowS = (rig: NfcPileRig): number => Math.floor(rig.sim.clock.nowMs() / 1000);

function selectNonce(tap: NfcTap): Uint8Array {
  const hello = decodePileHello(dataOf(tap.transceive(selectCommand())));
  if (!hello.ok) throw new Error(hello.reason);
  return hello.value.pileNonce;
}

/** What the relay signs for `nonce` at relay second `relayNowS`: expiresAtS = relayNowS + VOUCHER_RESERVATION_S. */
function relayVoucher(nonce: Uint8Array, relayNowS: number, tariffVersion = 1): Uint8Array {
  return signedVoucher(nonce, {
    voucherId: Uint8Array.of(0x70, 0xc4, 0, 0, 0, 0, 0, 9), userKid: userKeys.kid, limit: energy, capMinor: 2_000, tariffVersion,
    expiresAtS: relayNowS + VOUCHER_RESERVATION_S,
  });
}

/** One tap: SELECT for a fresh nonce, then `work`; the field goes off after. */
function tapped<T>(rig: NfcPileRig, work: (tap: NfcTap) => T): T {
  const tap = rig.sim.nfc.tap();
  try {
    return work(tap);
  } finally {
    tap.end();
  }
}

/** The display once the pile has redrawn after the tap. */
function shown(rig: NfcPileRig): string {
  rig.sim.clock.advance(0);
  return rig.sim.display.text();
}

/** The first three rows and the status once the pile has redrawn after the tap. */
function refusalShown(rig: NfcPileRig): [string[], string] {
  rig.sim.clock.advance(0);
  return [rig.sim.display.lines.slice(0, 3), rig.sim.display.status];
}

function refusedUnchanged(rig: NfcPileRig, tap: NfcTap, voucher: Uint8Array, sw: number, what: string): void {
  const flash = rig.flashOperations();
  assert.is(statusOf(tap.transceive(command(INS.start, voucher))).toString(16), sw.toString(16), what);
  assert.is(rig.flashOperations(), flash, `${what}: nothing journaled`);
  assert.is(rig.handle.services!.session, undefined, `${what}: no session`);
}

// skew = relay clock − pile clock. The pile first runs three days (its metering ticks every second),
// then a driver taps (tap 1), asks the relay for a voucher, and taps again 14 minutes later.
const skews: [string, number][] = [
  ['3 days ahead of', -3 * DAY_MS],
  ['6 hours ahead of', -6 * HOUR_MS],
  ['in step with', 0],
  ['6 hours behind', 6 * HOUR_MS],
  ['3 days behind', 3 * DAY_MS],
];

for (const [name, skewMs] of skews) {
  test(`a pile running for 3 days with its clock ${name} the relay's takes a voucher 14 minutes after tap 1`, () => {
    const rig = nfcPileRig();
    rig.sim.clock.advance(3 * DAY_MS);
    plugEv(rig);
    const nonce = tapped(rig, selectNonce);
    const relayNowS = pileNowS(rig) + skewMs / 1000;
    const voucher = relayVoucher(nonce, relayNowS);
    const expiresAtS = relayNowS + VOUCHER_RESERVATION_S;
    rig.sim.clock.advance(14 * 60_000);
    if (skewMs < 0) assert.ok(expiresAtS < pileNowS(rig), 'expiresAtS is long past on the pile clock (refused before this change)');
    const response = tapped(rig, (tap) => {
      selectNonce(tap);
      return tap.transceive(command(INS.start, voucher));
    });
    assert.is(statusOf(response), SW.ok);
    const contract = readSigned(dataOf(response), 'Contract');
    assert.ok(contract.ok);
    if (contract.ok) assert.is(contract.value.message.startAtS, pileNowS(rig), 'the contract is dated by the pile clock');
    assert.match(shown(rig), /Charging|Waiting for vehicle/);
  });
}

test('a nonce older than its lifetime on the pile clock: 9A01 "Too late", nothing changes, and a fresh tap works', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const relayNowS = pileNowS(rig) + 6 * 3600; // the relay's clock is hours ahead: expiresAtS is far in the pile's future
  const stale = tapped(rig, selectNonce);
  rig.sim.clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  tapped(rig, (tap) => {
    selectNonce(tap);
    refusedUnchanged(rig, tap, relayVoucher(stale, relayNowS), SW.nonceExpired, 'tap 1 was 15:00.001 ago');
  });
  assert.equal(refusalShown(rig), [['Charging not started', 'Too late', 'Tap again'], 'attention']);
  const fresh = tapped(rig, selectNonce);
  rig.sim.clock.advance(PILE_NONCE_LIFETIME_MS);
  const response = tapped(rig, (tap) => {
    selectNonce(tap);
    return tap.transceive(command(INS.start, relayVoucher(fresh, relayNowS)));
  });
  assert.is(statusOf(response), SW.ok, 'tap 1 exactly 15:00 ago');
});

test('a STOP over a nonce older than its lifetime is 9A01; over one the pile never issued, 6A88', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  tapped(rig, (tap) => assert.is(statusOf(tap.transceive(command(INS.start, testRelay.voucher(selectNonce(tap), userKeys, energy, 2_000)))), SW.ok));
  const seq = rig.handle.services!.session!.contract.seq;
  const stale = tapped(rig, selectNonce);
  rig.sim.clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  const stop = (nonce: Uint8Array) => command(INS.stop, encodeStopData({ signedStopRequest: userStop(userKeys, nonce, seq, pileNowS(rig)), userPublicKey: userKeys.publicKey }));
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(stop(stale))), SW.nonceExpired);
    assert.is(statusOf(tap.transceive(stop(new Uint8Array(16).fill(5)))), SW.referenceNotFound);
    assert.ok(rig.handle.services!.session, 'still charging');
    assert.is(statusOf(tap.transceive(stop(selectNonce(tap)))), SW.ok);
  });
});

test('the tariff changed between tap 1 and tap 2: 9A02 "Tariff changed"; the nonce still takes a voucher for the new tariff', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const nonce = tapped(rig, selectNonce);
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(command(INS.update, testRelay.update(2)))), SW.ok, "another driver's tap wrote tariff 2");
  });
  tapped(rig, (tap) => {
    selectNonce(tap);
    refusedUnchanged(rig, tap, relayVoucher(nonce, pileNowS(rig)), SW.tariffChanged, 'voucher for tariff 1');
  });
  assert.equal(refusalShown(rig), [['Charging not started', 'Tariff changed', 'Tap again'], 'attention']);
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(command(INS.start, relayVoucher(nonce, pileNowS(rig), 2)))), SW.ok);
  });
});

test('a pile restart forgets its nonces: 6A88 "Tap not recognised"', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const nonce = tapped(rig, selectNonce);
  rig.handle.shutdown();
  rig.handle = bootPile(rig.sim.hal);
  rig.sim.clock.advance(1000);
  tapped(rig, (tap) => {
    selectNonce(tap);
    refusedUnchanged(rig, tap, relayVoucher(nonce, pileNowS(rig)), SW.referenceNotFound, 'nonce from before the restart');
  });
  assert.equal(refusalShown(rig), [['Charging not started', 'Tap not recognised', 'Tap again'], 'attention']);
});

test('a voucher used once: 6984 "Voucher already used"', () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const nonce = tapped(rig, selectNonce);
  const voucher = relayVoucher(nonce, pileNowS(rig));
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.ok);
  });
  const flash = rig.flashOperations();
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.referenceNotUsable);
  });
  assert.is(rig.flashOperations(), flash, 'no second contract');
  assert.equal(refusalShown(rig), [['Charging not started', 'Voucher already used', 'Tap again'], 'attention']);
});

test('no vehicle: 6985 "No vehicle: plug in", the nonce kept; plugged in, the same voucher starts', () => {
  const rig = nfcPileRig();
  const nonce = tapped(rig, selectNonce);
  const voucher = relayVoucher(nonce, pileNowS(rig));
  tapped(rig, (tap) => {
    selectNonce(tap);
    refusedUnchanged(rig, tap, voucher, SW.conditionsNotSatisfied, 'nothing plugged in');
  });
  assert.equal(refusalShown(rig), [['Charging not started', 'No vehicle', 'Plug in, tap again'], 'attention']);
  plugEv(rig);
  tapped(rig, (tap) => {
    selectNonce(tap);
    assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.ok);
  });
});

test.run();

// A real pile (firmware/pile.ts `bootPile` on the simulated board, provisioned in its journal)
// reached only through APDUs: phones tap it through the simulated NFC field with the PileReader,
// and a test relay (a fixed test key) signs what the real relay would sign. The vehicle, the
// connector and the clock are the simulated physical world.
import type { KeyPair } from '../../../contracts-offline/keys.ts';
import type { SeqRange } from '../../../contracts-offline/messages/ack.ts';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { encodePileUpdate } from '../../../contracts-offline/messages/pile-update.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { type PileHandle, bootPile } from '../../../firmware/pile.ts';
import { provisionPile } from '../../../firmware/provisioning/provision-pile.ts';
import { EvSim, type EvOptions } from '../../../hal/sim/ev.ts';
import type { NfcTapStats } from '../../../hal/sim/nfc-field.ts';
import { type SimulatedPile, createSimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import { PileReader } from '../../../tools/phone/pile-reader.ts';
import { simulatedTapTransport } from '../../../tools/phone/sim-field-transport.ts';
import { pileId, pileKeys, pileUpdate, relayKeys, signedAck, signedStop, signedVoucher, startMs } from '../../support/tap-kit.ts';

export const pileSecretKey = new Uint8Array(32).fill(0x22); // pileKeys' secret (tap-kit.ts)
/** Tariff of config version 1: 0.35 per kWh, 0.60 per hour, 0.50 per session. */
export const provisionedTariff = { version: 1, energyMinorPerKwh: 35, timeMinorPerHour: 60, sessionFeeMinor: 50 };

export type NfcPileRig = {
  sim: SimulatedPile;
  handle: PileHandle;
  /** Program/erase operations so far: any change to the journal moves it. */
  flashOperations(): number;
};

export type NfcPileRigOptions = {
  seed?: number;
  flashByteLength?: number;
  /**
   * Called with the board before provisioning and the first boot: wrap hal parts, or put the pile
   * on other hardware (`sim.hal = createHostBoard(sim, { pileSecretKey }).hal`).
   */
  instrument?: (sim: SimulatedPile) => void;
};

/** A simulated board provisioned with config version 1 (7.4 kW) and booted. */
export function nfcPileRig(options: NfcPileRigOptions = {}): NfcPileRig {
  const sim = createSimulatedPile({ secretKey: pileSecretKey, startMs, meterEnergyWh: 1_000_000, seed: options.seed ?? 1, ...(options.flashByteLength ? { flashByteLength: options.flashByteLength } : {}) });
  options.instrument?.(sim);
  const first = signMessage(encodePileUpdate(pileUpdate(1, { tariff: provisionedTariff })), relayKeys.secretKey);
  const provisioned = provisionPile(sim.flash, { pileId, relayPublicKey: relayKeys.publicKey, pilePublicKey: pileKeys.publicKey, pileUpdate: first, firstBillingSeq: 1 });
  if (!provisioned.ok) throw new Error(provisioned.reason);
  const handle = bootPile(sim.hal);
  if (!handle.services) throw new Error(`rig: the pile refused to run: ${handle.fault}`);
  return { sim, handle, flashOperations: () => sim.flash.operationCount };
}

export const defaultEv: EvOptions = { batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 };

export function plugEv(rig: NfcPileRig, options: Partial<EvOptions> = {}): EvSim {
  const ev = new EvSim({ ...defaultEv, ...options });
  rig.sim.circuit.plug(ev);
  rig.sim.clock.advance(1000); // one supervision period: the pile sees state B
  return ev;
}

/** A phone of one user: each `tap` is one RF contact, measured. */
export class TestPhone {
  readonly user: KeyPair;
  readonly displayName: string;
  readonly #rig: NfcPileRig;
  /** Stats of every tap so far, labelled. */
  readonly taps: { label: string; stats: NfcTapStats }[] = [];

  constructor(rig: NfcPileRig, user: KeyPair, displayName: string) {
    this.#rig = rig;
    this.user = user;
    this.displayName = displayName;
  }

  /** One tap: the field comes up, `exchange` talks to the pile, the phone moves away. */
  async tap<T>(label: string, exchange: (reader: PileReader) => Promise<T>): Promise<T> {
    const tap = this.#rig.sim.nfc.tap();
    try {
      const reader = new PileReader(simulatedTapTransport(tap));
      return await exchange(reader);
    } finally {
      this.taps.push({ label, stats: tap.stats });
      tap.end();
    }
  }

  phoneNonce(): Uint8Array {
    return new Uint8Array(12).fill(this.taps.length + 1);
  }

  userHello() {
    return { userKid: this.user.kid, displayName: this.displayName, phoneNonce: this.phoneNonce() };
  }
}

let voucherCounter = 0;

/** What the relay signs, with the test relay key. */
export const testRelay = {
  voucher(pileNonce: Uint8Array, user: KeyPair, limit: ChargeLimit, capMinor: number, tariffVersion = 1): Uint8Array {
    voucherCounter++;
    const voucherId = Uint8Array.of(0x70, 0xc4, 0, 0, 0, 0, voucherCounter >> 8, voucherCounter & 0xff);
    return signedVoucher(pileNonce, { voucherId, userKid: user.kid, limit, capMinor, tariffVersion, expiresAtS: startMs / 1000 + 30 * 86_400 });
  },
  stop(pileNonce: Uint8Array, contractSeq: number, atS: number): Uint8Array {
    return signedStop({ pileId, contractSeq, pileNonce, atS }, relayKeys);
  },
  ack(ranges: SeqRange[], atS: number): Uint8Array {
    return signedAck({ pileId, ranges, atS });
  },
  update(configVersion: number, tariffChanges: Partial<typeof provisionedTariff> = {}): Uint8Array {
    return signMessage(encodePileUpdate(pileUpdate(configVersion, { tariff: { ...provisionedTariff, version: configVersion, ...tariffChanges } })), relayKeys.secretKey);
  },
};

/** A user's own StopRequest (signed with the user's key). */
export function userStop(user: KeyPair, pileNonce: Uint8Array, contractSeq: number, atS: number): Uint8Array {
  return signedStop({ pileId, contractSeq, pileNonce, atS }, user);
}

/** Advance virtual time a second at a time until `done()`; throws after `maxS`. */
export function runUntil(rig: NfcPileRig, done: () => boolean, maxS: number): number {
  let seconds = 0;
  while (!done()) {
    if (seconds >= maxS) throw new Error(`rig: condition not met within ${maxS} s`);
    rig.sim.clock.advance(1000);
    seconds++;
  }
  return seconds;
}

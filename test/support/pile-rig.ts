// Test rig: a provisioned pile on the simulated board (hal/sim), a relay key that signs updates,
// vouchers and acks, and helpers to plug a vehicle and run the clock. Deterministic: fixed keys,
// seeded RNG and flash, virtual time.
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { type PileUpdate, encodePileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import type { MessageMap } from '../../contracts-offline/messages/registry.ts';
import { EvSim, type EvOptions } from '../../hal/sim/ev.ts';
import type { NorFlashSim } from '../../hal/sim/nor-flash.ts';
import { type SimulatedPile, type SimulatedPileOptions, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { type BootOptions, type PileHandle, bootPile } from '../../firmware/pile.ts';
import type { PileController } from '../../firmware/pile-controller.ts';
import type { SignatureCheck } from '../../firmware/pile-services.ts';

export const relayKey = keyPairFromSecret(new Uint8Array(32).fill(0x52));
export const pileSecretKey = new Uint8Array(32).fill(0x50);
export const pileKey = keyPairFromSecret(pileSecretKey);
export const pileId = hexToBytes('50a1e00000000017');
export const userKid = hexToBytes('9c0ffee000000042');
export const otherUserKid = hexToBytes('9c0ffee000000043');
export const tariff: Tariff = { version: 1, energyMinorPerKwh: 35, timeMinorPerHour: 60, sessionFeeMinor: 50 };
/** 2026-01-01T00:00:00Z, the virtual clock's start. */
export const startMs = Date.UTC(2026, 0, 1);

export function pileUpdate(configVersion: number, changes: Partial<PileUpdate> = {}): { update: PileUpdate; signedBytes: Uint8Array } {
  const update: PileUpdate = {
    pileId, configVersion, tariff: { ...tariff, version: configVersion }, label: 'Depot 4, bay 2', maxPowerW: 7400, issuedAtS: startMs / 1000, ...changes,
  };
  return { update, signedBytes: signMessage(encodePileUpdate(update), relayKey.secretKey) };
}

let voucherCounter = 0;
/** The signature check of a voucher or stop these tests hand the pile directly: they made it genuine (the NFC tests forge). */
export const genuine: SignatureCheck = () => true;

/** A relay voucher as the NFC layer hands it over, read (its signature checked by the `SignatureCheck` beside it). */
export function voucher(limit: ChargeLimit, capMinor: number, changes: Partial<Authorization> = {}): Authorization {
  voucherCounter++;
  const voucherId = new Uint8Array(8);
  new DataView(voucherId.buffer).setUint32(4, voucherCounter);
  return {
    voucherId, userKid, pileId, pileNonce: new Uint8Array(16).fill(1), limit, capMinor, tariffVersion: 1, expiresAtS: startMs / 1000 + 86_400, ...changes,
  };
}

export type Rig = { sim: SimulatedPile; handle: PileHandle; pile: PileController; boot(options?: BootOptions): PileController };

export type RigOptions = {
  board?: Partial<SimulatedPileOptions>;
  /** Another journal partition (e.g. small blocks, so a short script turns blocks over). */
  flash?: NorFlashSim;
  boot?: BootOptions;
  /** Called with the board before the first boot (wrap hal parts to observe the firmware). */
  instrument?: (sim: SimulatedPile) => void;
  /** The provisioning record's first billing sequence (default 1: a new pile). */
  firstBillingSeq?: number;
};

/** A simulated board, provisioned (config version 1, 7.4 kW) and booted. */
export function provisionedRig(options: RigOptions = {}): Rig {
  const sim = createSimulatedPile({ secretKey: pileSecretKey, startMs, meterEnergyWh: 1_000_000, ...options.board });
  if (options.flash) sim.hal.flash = sim.flash = options.flash;
  options.instrument?.(sim);
  const provisioned = provisionPile(sim.flash, { pileId, relayPublicKey: relayKey.publicKey, pilePublicKey: pileKey.publicKey, pileUpdate: pileUpdate(1).signedBytes, firstBillingSeq: options.firstBillingSeq ?? 1 });
  if (!provisioned.ok) throw new Error(provisioned.reason);
  const rig = { sim } as Rig;
  rig.boot = (bootOptions = options.boot) => {
    rig.handle = bootPile(sim.hal, bootOptions);
    if (!rig.handle.services) throw new Error(`rig: the pile refused to run: ${rig.handle.fault}`);
    rig.pile = rig.handle.services;
    return rig.pile;
  };
  rig.boot();
  return rig;
}

export const defaultEv: EvOptions = { batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 };

export function plugEv(sim: SimulatedPile, options: Partial<EvOptions> = {}): EvSim {
  const ev = new EvSim({ ...defaultEv, ...options });
  sim.circuit.plug(ev);
  sim.clock.advance(1000); // one supervision period: the pile sees state B
  return ev;
}

/** Start a session; throws with the refusal when the pile refuses. */
export function startSession(pile: PileController, limit: ChargeLimit, capMinor: number, changes: Partial<Authorization> = {}): Uint8Array {
  const started = pile.startSession(voucher(limit, capMinor, changes), 'Zoe K.', genuine);
  if (!started.ok) throw new Error(`rig: start refused (${started.code}: ${started.reason})`);
  return started.value;
}

/** Verify a pile-signed record with the pile's public key and decode it. */
export function openPileSigned<N extends 'Contract' | 'Receipt'>(bytes: Uint8Array, type: N): MessageMap[N] {
  const opened = openSigned(bytes, { publicKey: pileKey.publicKey, expectType: type });
  if (!opened.ok) throw new Error(`rig: ${type} does not verify: ${opened.reason}`);
  return opened.value.message;
}

/** Every unacknowledged signed record of the pile, decoded, by billing seq. */
export function outboxMessages(pile: PileController): (Contract | Receipt)[] {
  const { records, remaining } = pile.outbox(0, 10_000);
  if (remaining !== 0) throw new Error('rig: outbox did not fit');
  return records.map(({ seq, bytes }) => {
    const opened = openSigned(bytes, { publicKey: pileKey.publicKey });
    if (!opened.ok) throw new Error(`rig: outbox record ${seq} does not verify: ${opened.reason}`);
    const message = opened.value.message as Contract | Receipt;
    if (message.seq !== seq) throw new Error(`rig: outbox record ${seq} carries seq ${message.seq}`);
    return message;
  });
}

/** The receipt the pile holds for contract `contractSeq`. */
export function heldReceipt(pile: PileController, contractSeq: number): Receipt {
  const receipt = outboxMessages(pile).find((m): m is Receipt => 'contractSeq' in m && m.contractSeq === contractSeq);
  if (!receipt) throw new Error(`rig: no receipt held for contract ${contractSeq}`);
  return receipt;
}

/** Advance virtual time in metering periods until `done()` or `maxMs` passed; answers the ms advanced. */
export function runUntil(sim: SimulatedPile, done: () => boolean, maxMs: number, stepMs = 1000): number {
  let advanced = 0;
  while (!done() && advanced < maxMs) {
    sim.clock.advance(stepMs);
    advanced += stepMs;
  }
  if (!done()) throw new Error(`rig: condition not met within ${maxMs} ms`);
  return advanced;
}

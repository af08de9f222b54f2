// The whole system in one process, on one virtual business clock: the real relay (startRelay:
// SQLite + embedded ledger in a data folder), SIMULATED piles running the real firmware (bootPile
// on createSimulatedPile), registered at that relay and provisioned with its answer, and phones
// (the phone SDK) tapping them over the simulated NFC field. Used by `tapcharge day`,
// `npm run pile:sim`, and the phone and end-to-end tests.
//
// A networked pile (addPile's `networked`) also has an uplink module: a real WebSocket to the
// relay's OCPP endpoint, behind a SIMULATED outage (hal/sim/uplink-outage.ts) the test can cut.
// Its frames are real I/O while its timers run on virtual time, so virtual time must not run
// past a CALL in flight (the pile's call timeout is 30 s): `advanceSettled` moves time in steps
// of one metering period and waits for the uplinks to go quiet after each; `settleUplinks` waits
// without moving time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, type RandomSource, generateKeyPair } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import { EvSim } from '../../hal/sim/ev.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { type SimulatedPile, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { UplinkOutage } from '../../hal/sim/uplink-outage.ts';
import { type PileHandle, bootPile } from '../../firmware/pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { Phone } from '../phone/phone.ts';
import type { IsoDepTransport } from '../phone/pile-reader.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { simulatedTapTransport } from '../phone/sim-field-transport.ts';
import type { WalletState } from '../phone/wallet-state.ts';
import type { PolicyOverrides } from '../relay/policy.ts';
import { type RunningRelay, startRelay } from '../relay/start-relay.ts';
import { WsUplinkSocket } from '../pile-sim/uplink-socket.ts';
import { UplinkTraffic } from './uplink-traffic.ts';

/** The shared business clock: the relay's time; piles follow it through `advance`. */
export class BusinessClock {
  atMs: number;
  constructor(startMs: number) {
    this.atMs = startMs;
  }
  nowMs(): number {
    return this.atMs;
  }
}

export type SimSystemOptions = {
  /** Relay data folder (kept); default a fresh temp folder, removed by close() unless `keepData`. */
  dataDir?: string;
  keepData?: boolean;
  /** Seeds pile, phone and vehicle randomness (reproducible keys and nonces: a simulation, not secure). Default: OS randomness for keys. */
  seed?: number;
  /** Business time at start, epoch ms. Default the wall clock. */
  startMs?: number;
  policy?: PolicyOverrides;
  relayLog?: (line: string) => void;
};

/** A networked pile's uplink: `outage` cuts and restores its link to the relay; `traffic` is what is in flight. */
export type SimUplink = { outage: UplinkOutage; traffic: UplinkTraffic };
export type SimPile = { sim: SimulatedPile; handle: PileHandle; pileId: Uint8Array; pileIdHex: string; label: string; key: KeyPair; uplink?: SimUplink };
/** `networked`: the board has an uplink and the pile connects to the relay's OCPP endpoint. Default false. */
export type AddPileOptions = { networked?: boolean };
export type VehicleOptions = { batteryWh?: number; stateOfChargePerMille?: number; maxCurrentMa?: number };
export const defaultTariff: Omit<Tariff, 'version'> = Object.freeze({ energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 });

/** How long `settleUplinks` waits for the uplinks to go quiet, real ms, by default. */
const SETTLE_LIMIT_MS = 10_000;
/** `advanceSettled`'s step: the pile's metering period, when it samples its state. */
const SETTLED_STEP_MS = 1000;

function seededSource(seed: number): RandomSource {
  const rng = new SeededRandom(seed);
  return (length) => {
    const bytes = new Uint8Array(length);
    rng.fill(bytes);
    return bytes;
  };
}

export class SimSystem {
  readonly clock: BusinessClock;
  readonly piles: SimPile[] = [];
  readonly dataDir: string;
  relay!: RunningRelay;
  operatorClient!: RelayClient;
  readonly #options: SimSystemOptions;
  readonly #ownsDir: boolean;
  readonly #random: RandomSource | undefined;

  constructor(options: SimSystemOptions = {}) {
    this.#options = options;
    this.clock = new BusinessClock(options.startMs ?? Date.now());
    this.#ownsDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tapcharge-system-'));
    this.#random = options.seed === undefined ? undefined : seededSource(options.seed);
  }

  async start(): Promise<void> {
    const { policy, relayLog } = this.#options;
    this.relay = await startRelay({ dataDir: this.dataDir, port: 0, clock: this.clock, log: relayLog ?? (() => undefined), ...(policy && { policy }) });
    this.operatorClient = new RelayClient({ baseUrl: this.relay.url, nowMs: () => this.clock.nowMs() });
  }

  async close(): Promise<void> {
    for (const pile of this.piles) pile.handle.shutdown();
    await this.relay?.close();
    if (this.#ownsDir && !this.#options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** A pile registered at the relay by the operator, provisioned with the relay's answer, booted. */
  async addPile(label: string, tariff: Omit<Tariff, 'version'> = defaultTariff, maxPowerW = 7400, options: AddPileOptions = {}): Promise<SimPile> {
    const key = generateKeyPair(this.#random ? { random: this.#random } : {});
    const seed = (this.#options.seed ?? 0) * 16 + this.piles.length + 1;
    const uplink = options.networked ? networkedUplink() : undefined;
    const sim = createSimulatedPile({ secretKey: key.secretKey, startMs: this.clock.atMs, seed, ...(uplink && { uplink: uplink.traffic }) });
    const pileId = key.kid;
    const answer = await this.operatorClient.registerPile(this.relay.operatorKey, { pileId, publicKey: key.publicKey, operator: 'tapcharge sim', label, maxPowerW, tariff });
    const provisioned = provisionPile(sim.flash, { pileId, relayPublicKey: answer.relayPublicKey, pilePublicKey: key.publicKey, pileUpdate: answer.pileUpdate, firstBillingSeq: answer.firstBillingSeq });
    if (!provisioned.ok) throw new Error(`sim-system: provisioning ${label}: ${provisioned.reason}`);
    const handle = bootPile(sim.hal, uplink ? { uplinkUrl: this.relay.ocppUrl } : {});
    if (!handle.services) throw new Error(`sim-system: pile ${label} refused to boot: ${handle.fault}`);
    const pile: SimPile = { sim, handle, pileId, pileIdHex: bytesToHex(pileId), label, key, ...(uplink && { uplink }) };
    this.piles.push(pile);
    if (uplink) await this.settleUplinks();
    return pile;
  }

  /**
   * Waits, up to `limitMs` of real time, until no networked pile's uplink has anything in flight:
   * no connection being opened, every CALL either way answered, the relay's challenge made.
   * Throws naming what is still in flight.
   */
  async settleUplinks(limitMs = SETTLE_LIMIT_MS): Promise<void> {
    const startedMs = Date.now();
    for (;;) {
      const busy = this.piles.filter((pile) => pile.uplink && !pile.uplink.traffic.quiet);
      if (busy.length === 0) return;
      if (Date.now() - startedMs > limitMs) {
        throw new Error(`sim-system: uplinks not quiet after ${limitMs} ms: ${busy.map((pile) => `${pile.label}: ${pile.uplink!.traffic.describe()}`).join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** `advance(ms)` one metering period at a time, the uplinks settled before and after each step. */
  async advanceSettled(ms: number): Promise<void> {
    await this.settleUplinks();
    for (let leftMs = ms; leftMs > 0; leftMs -= SETTLED_STEP_MS) {
      this.advance(Math.min(leftMs, SETTLED_STEP_MS));
      await this.settleUplinks();
    }
  }

  /**
   * Moves the relay's business time and every pile forward by `ms`. With networked piles keep
   * `ms` well under their 30 s call timeout and settle after it, or use `advanceSettled`.
   */
  advance(ms: number): void {
    this.clock.atMs += ms;
    for (const pile of this.piles) pile.sim.clock.advance(this.clock.atMs - pile.sim.clock.nowMs());
  }

  /** Plugs a simulated EV into `pile` and gives the pile two seconds to see it. */
  plug(pile: SimPile, options: VehicleOptions = {}): EvSim {
    const ev = new EvSim({ batteryWh: options.batteryWh ?? 60_000, stateOfChargePerMille: options.stateOfChargePerMille ?? 200, maxCurrentMa: options.maxCurrentMa ?? 32_000 });
    pile.sim.circuit.plug(ev);
    this.advance(2000);
    return ev;
  }

  /** A registered driver, topped up with `fundsMinor`. `saved` receives every wallet the phone commits. */
  async addPhone(name: string, fundsMinor: number, saved: WalletState[] = []): Promise<Phone> {
    const phone = Phone.create({ displayName: name, relayUrl: this.relay.url, nowMs: () => this.clock.nowMs(), save: (s) => saved.push(s), ...(this.#random && { random: this.#random }) });
    await phone.register();
    if (fundsMinor > 0) await this.operatorClient.issue(this.relay.operatorKey, phone.keyPair.kid, fundsMinor);
    await this.relay.drainLedger();
    return phone;
  }

  /** One tap of `pile` by a phone: field on, the flow, field off. */
  async tap<T>(pile: SimPile, flow: (transport: IsoDepTransport) => Promise<T>): Promise<T> {
    const tap = pile.sim.nfc.tap();
    try {
      return await flow(simulatedTapTransport(tap));
    } finally {
      tap.end();
      pile.sim.clock.advance(0); // the pile's event loop runs what the tap left to do: the display redraw
    }
  }
}

function networkedUplink(): SimUplink {
  const outage = new UplinkOutage(new WsUplinkSocket());
  return { outage, traffic: new UplinkTraffic(outage) };
}

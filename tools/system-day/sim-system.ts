// The whole system in one process, on one virtual business clock: the real relay (startRelay:
// SQLite + embedded ledger in a data folder), SIMULATED piles running the real firmware (bootPile
// on createSimulatedPile), registered at that relay and provisioned with its answer, and phones
// (the phone SDK) tapping them over the simulated NFC field. Used by `tapcharge day`,
// `npm run pile:sim`, and the phone and end-to-end tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, type RandomSource, generateKeyPair } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import { EvSim } from '../../hal/sim/ev.ts';
import { SeededRandom } from '../../hal/sim/seeded-random.ts';
import { type SimulatedPile, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { type PileHandle, bootPile } from '../../firmware/pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { Phone } from '../phone/phone.ts';
import type { IsoDepTransport } from '../phone/pile-reader.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { simulatedTapTransport } from '../phone/sim-field-transport.ts';
import type { WalletState } from '../phone/wallet-state.ts';
import type { PolicyOverrides } from '../relay/policy.ts';
import { type RunningRelay, startRelay } from '../relay/start-relay.ts';

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

export type SimPile = { sim: SimulatedPile; handle: PileHandle; pileId: Uint8Array; pileIdHex: string; label: string; key: KeyPair };
export type VehicleOptions = { batteryWh?: number; stateOfChargePerMille?: number; maxCurrentMa?: number };
export const defaultTariff: Omit<Tariff, 'version'> = Object.freeze({ energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 });

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
  async addPile(label: string, tariff: Omit<Tariff, 'version'> = defaultTariff, maxPowerW = 7400): Promise<SimPile> {
    const key = generateKeyPair(this.#random ? { random: this.#random } : {});
    const seed = (this.#options.seed ?? 0) * 16 + this.piles.length + 1;
    const sim = createSimulatedPile({ secretKey: key.secretKey, startMs: this.clock.atMs, seed });
    const pileId = key.kid;
    const answer = await this.operatorClient.registerPile(this.relay.operatorKey, { pileId, publicKey: key.publicKey, operator: 'tapcharge sim', label, maxPowerW, tariff });
    const provisioned = provisionPile(sim.flash, { pileId, relayPublicKey: answer.relayPublicKey, pilePublicKey: key.publicKey, pileUpdate: answer.pileUpdate, firstBillingSeq: answer.firstBillingSeq });
    if (!provisioned.ok) throw new Error(`sim-system: provisioning ${label}: ${provisioned.reason}`);
    const handle = bootPile(sim.hal);
    if (!handle.services) throw new Error(`sim-system: pile ${label} refused to boot: ${handle.fault}`);
    const pile = { sim, handle, pileId, pileIdHex: bytesToHex(pileId), label, key };
    this.piles.push(pile);
    return pile;
  }

  /** Moves the relay's business time and every pile forward by `ms`. */
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

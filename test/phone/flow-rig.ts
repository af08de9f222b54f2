// Test rig for phone flows against the real parts: a relay (startRelay: SQLite + embedded ledger
// in a temp folder) and simulated piles running the real firmware (bootPile on createSimulatedPile),
// registered at that relay and provisioned with its answer. One virtual clock drives the relay's
// business time, the piles and the phones, so time can move by hours within a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { EvSim } from '../../hal/sim/ev.ts';
import { type SimulatedPile, createSimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { type PileHandle, bootPile } from '../../firmware/pile.ts';
import { provisionPile } from '../../firmware/provisioning/provision-pile.ts';
import { Phone } from '../../tools/phone/phone.ts';
import type { IsoDepTransport } from '../../tools/phone/pile-reader.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { simulatedTapTransport } from '../../tools/phone/sim-field-transport.ts';
import type { WalletState } from '../../tools/phone/wallet-state.ts';
import { type RunningRelay, startRelay } from '../../tools/relay/start-relay.ts';

/** The shared business clock: starts at the wall clock; piles follow it through `advance`. */
export class RigClock {
  atMs = Date.now();
  nowMs(): number {
    return this.atMs;
  }
}

export type RigPile = { sim: SimulatedPile; handle: PileHandle; pileId: Uint8Array };

export class FlowRig {
  readonly clock = new RigClock();
  readonly piles: RigPile[] = [];
  relay!: RunningRelay;
  operatorClient!: RelayClient;
  readonly #dir = mkdtempSync(join(tmpdir(), 'tapcharge-phone-flow-'));

  async start(): Promise<void> {
    this.relay = await startRelay({ dataDir: this.#dir, port: 0, clock: this.clock, log: () => undefined });
    this.operatorClient = new RelayClient({ baseUrl: this.relay.url, nowMs: () => this.clock.nowMs() });
  }

  async close(): Promise<void> {
    for (const pile of this.piles) pile.handle.shutdown();
    await this.relay.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** A pile registered at the relay by the operator, provisioned with the relay's answer, booted. */
  async addPile(label: string, tariff = { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 }, maxPowerW = 7400): Promise<RigPile> {
    const key = generateKeyPair();
    const sim = createSimulatedPile({ secretKey: key.secretKey, startMs: this.clock.atMs, seed: this.piles.length + 1 });
    const pileId = key.kid;
    const answer = await this.operatorClient.registerPile(this.relay.operatorKey, { pileId, publicKey: key.publicKey, operator: 'rig', label, maxPowerW, tariff });
    const provisioned = provisionPile(sim.flash, { pileId, relayPublicKey: answer.relayPublicKey, pilePublicKey: key.publicKey, pileUpdate: answer.pileUpdate });
    if (!provisioned.ok) throw new Error(provisioned.reason);
    const handle = bootPile(sim.hal);
    if (!handle.services) throw new Error(`pile refused to boot: ${handle.fault}`);
    const pile = { sim, handle, pileId };
    this.piles.push(pile);
    return pile;
  }

  /** Moves every pile and the relay's business time forward by `ms`. */
  advance(ms: number): void {
    this.clock.atMs += ms;
    for (const pile of this.piles) pile.sim.clock.advance(this.clock.atMs - pile.sim.clock.nowMs());
  }

  plug(pile: RigPile, options: { batteryWh?: number; stateOfChargePerMille?: number } = {}): EvSim {
    const ev = new EvSim({ batteryWh: options.batteryWh ?? 60_000, stateOfChargePerMille: options.stateOfChargePerMille ?? 200, maxCurrentMa: 32_000 });
    pile.sim.circuit.plug(ev);
    this.advance(2000);
    return ev;
  }

  /** A registered, funded driver. `saved` receives every wallet the phone commits. */
  async addPhone(name: string, fundsMinor: number, saved: WalletState[] = []): Promise<Phone> {
    const phone = Phone.create({ displayName: name, relayUrl: this.relay.url, nowMs: () => this.clock.nowMs(), save: (s) => saved.push(s) });
    await phone.register();
    if (fundsMinor > 0) await this.operatorClient.issue(this.relay.operatorKey, phone.keyPair.kid, fundsMinor);
    await this.relay.drainLedger();
    return phone;
  }

  /** One tap of `pile` by a phone: field on, the flow, field off. */
  async tap<T>(pile: RigPile, flow: (transport: IsoDepTransport) => Promise<T>): Promise<T> {
    const tap = pile.sim.nfc.tap();
    try {
      return await flow(simulatedTapTransport(tap));
    } finally {
      tap.end();
    }
  }
}

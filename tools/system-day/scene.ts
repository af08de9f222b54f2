// The vocabulary of a scripted day: drivers arrive with their cars, tap piles, choose modes,
// stop, walk away, top up and pay each other — every act through the public entry points (phone
// SDK flows over the simulated NFC field, the relay's HTTP API) — while the business clock moves
// and the view follows. A phone syncs after each tap, once the field is released, as the app does. After each act the relay is asked what changed (contracts settled,
// balances), which is what the log shows and what marks the flows of the day as seen.
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { chargeLimitText, formatEnergy, formatMoney } from '../../contracts-offline/display-text.ts';
import { Phone, type TapReport } from '../phone/phone.ts';
import type { SyncReport } from '../phone/phone-sync.ts';
import type { IsoDepTransport } from '../phone/pile-reader.ts';
import { RelayClient } from '../phone/relay-client.ts';
import { RelayError } from '../phone/errors.ts';
import type { UserAccount, UserContract } from '../phone/relay-client.ts';
import { type FlowBook, type FlowId, flowOfSettlement } from './flows.ts';
import type { SimPile, SimSystem } from './sim-system.ts';
import { DayError } from './errors.ts';

export type Car = { batteryWh: number; socPerMille: number; maxCurrentMa: number };

/** A car as a script describes it: battery size, state of charge on arrival, on-board charger limit. */
export function car(batteryKwh: number, socPercent: number, maxCurrentA = 32): Car {
  return { batteryWh: batteryKwh * 1000, socPerMille: socPercent * 10, maxCurrentMa: maxCurrentA * 1000 };
}

/** A scripted run of the system: what must be seen, and the acts. */
export type DayScript = {
  name: string;
  expectedFlows: readonly FlowId[];
  /** Plain output prints each pile's display whenever it changes (a one-pile show). */
  showDisplays?: boolean;
  run(scene: Scene): Promise<void>;
};

export type Driver = { name: string; phone: Phone; screen: string; account: UserAccount | undefined };

/** Where the scene reports: one line per act, a redraw while time passes. */
export interface SceneOutput {
  event(line: string): Promise<void>;
  /** Called after every business minute. */
  timePassed(): Promise<void>;
}

const MINUTE_MS = 60_000;
/** Nothing listens on port 1: a phone pointed there has no network. */
const UNREACHABLE_RELAY = 'http://127.0.0.1:1';

export function clockText(atMs: number): string {
  const d = new Date(atMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export class Scene {
  readonly system: SimSystem;
  readonly drivers: Driver[] = [];
  readonly flows: FlowBook;
  readonly #out: SceneOutput;
  readonly #dayStartMs: number;
  /** contractId → status last seen at the relay. */
  readonly #seen = new Map<string, string>();

  constructor(system: SimSystem, flows: FlowBook, out: SceneOutput) {
    this.system = system;
    this.flows = flows;
    this.#out = out;
    this.#dayStartMs = system.clock.nowMs();
  }

  get nowMs(): number {
    return this.system.clock.nowMs();
  }

  async say(where: string, text: string): Promise<void> {
    await this.#out.event(`${clockText(this.nowMs)}  ${where.padEnd(10)} ${text}`);
  }

  /**
   * Lets business time run to HH:MM of the day (piles meter, sessions end by themselves). With a
   * networked pile in the day, time moves with its uplink settled (sim-system.ts `advanceSettled`).
   */
  async at(hhmm: string): Promise<void> {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    const start = new Date(this.#dayStartMs);
    const target = new Date(start.getFullYear(), start.getMonth(), start.getDate(), h, m).getTime();
    if (target < this.nowMs) throw new DayError('script', `script: ${hhmm} is before ${clockText(this.nowMs)}`);
    const networked = this.system.piles.some((pile) => pile.uplink);
    while (this.nowMs < target) {
      const stepMs = Math.min(target - this.nowMs, MINUTE_MS);
      if (networked) await this.system.advanceSettled(stepMs);
      else this.system.advance(stepMs);
      await this.#out.timePassed();
    }
  }

  async addDriver(name: string, fundsMinor: number): Promise<Driver> {
    const phone = await this.system.addPhone(name, 0);
    const driver: Driver = { name, phone, screen: 'installed the app', account: undefined };
    this.drivers.push(driver);
    await this.say('relay', `${name} registered (key ${phone.kid})`);
    if (fundsMinor > 0) await this.topUp(driver, fundsMinor);
    return driver;
  }

  async topUp(driver: Driver, amountMinor: number): Promise<void> {
    const before = await this.account(driver);
    const answer = await this.system.operatorClient.issue(this.system.relay.operatorKey, driver.phone.keyPair.kid, amountMinor);
    const repaid = Number(answer['repaidMinor'] ?? 0);
    await this.settle();
    this.flows.mark('top-up', `${driver.name} +${formatMoney(amountMinor)}`);
    if (repaid > 0) {
      const after = await this.account(driver);
      if (after.creditUsedMinor !== before.creditUsedMinor - repaid) throw new DayError('script', `${driver.name}: credit used ${before.creditUsedMinor} → ${after.creditUsedMinor}, expected ${repaid} repaid`);
      this.flows.mark('credit-repaid', `${driver.name}'s top-up of ${formatMoney(amountMinor)} repaid the ${formatMoney(repaid)} advance first`);
    }
    await this.say('operator', `top-up ${driver.name} ${formatMoney(amountMinor)}${repaid > 0 ? ` (repays the credit advance ${formatMoney(repaid)} first)` : ''}`);
  }

  async transfer(from: Driver, to: Driver, amountMinor: number): Promise<void> {
    await from.phone.relay!.transfer(from.phone.keyPair, to.phone.keyPair.kid, amountMinor);
    await this.settle();
    this.flows.mark('transfer', `${from.name} → ${to.name} ${formatMoney(amountMinor)}`);
    from.screen = `sent ${formatMoney(amountMinor)} to ${to.name}`;
    to.screen = `received ${formatMoney(amountMinor)} from ${from.name}`;
    await this.say('phones', `${from.name} transfers ${formatMoney(amountMinor)} to ${to.name}`);
  }

  async configure(pile: SimPile, changes: Parameters<SimSystem['operatorClient']['configurePile']>[2]): Promise<number> {
    const offer = await this.system.operatorClient.configurePile(this.system.relay.operatorKey, pile.pileId, changes);
    const t = changes.tariff;
    await this.say('operator', `new config v${offer.configVersion} for ${pile.label}${t ? `: ${formatMoney(t.energyMinorPerKwh)}/kWh, fee ${formatMoney(t.sessionFeeMinor)}` : ''} — the next phone tapping it carries the update`);
    return offer.configVersion;
  }

  async plug(driver: Driver, pile: SimPile, car: Car): Promise<void> {
    this.system.plug(pile, { batteryWh: car.batteryWh, stateOfChargePerMille: car.socPerMille, maxCurrentMa: car.maxCurrentMa });
    if (pile.uplink) await this.system.settleUplinks();
    await this.say(pile.label, `${driver.name} plugs in (${car.batteryWh / 1000} kWh battery at ${car.socPerMille / 10} %)`);
  }

  /** The driver takes the cable out: leaving after the end, or pulling it mid-charge (an abnormal end). */
  async unplug(driver: Driver, pile: SimPile): Promise<'left' | 'pulled'> {
    const state = pile.handle.services!.state();
    pile.sim.circuit.unplug();
    this.system.advance(2000);
    if (pile.uplink) await this.system.settleUplinks();
    const pulled = state === 'charging' || state === 'suspended';
    driver.screen = pulled ? `${pile.label}: session ended, plug removed` : `drove off from ${pile.label}`;
    await this.say(pile.label, pulled ? `${driver.name}'s plug is pulled while charging — display: "${pile.sim.display.lines.slice(0, 2).join(' ')}"` : `${driver.name} unplugs and drives off, no tap`);
    return pulled ? 'pulled' : 'left';
  }

  /** One tap, the field released, then the phone's upload. */
  async #tapThenSync<T extends TapReport>(driver: Driver, pile: SimPile, flow: (transport: IsoDepTransport) => Promise<T>): Promise<{ report: T; upload: SyncReport }> {
    const report = await this.system.tap(pile, flow);
    return { report, upload: await driver.phone.sync() };
  }

  async tapHello(driver: Driver, pile: SimPile): Promise<void> {
    const { report, upload } = await this.#tapThenSync(driver, pile, (t) => driver.phone.tapHello(t));
    const s = report.screen;
    driver.screen = `${s.label}: ${formatMoney(s.tariff.energyMinorPerKwh)}/kWh ${formatMoney(s.tariff.timeMinorPerHour)}/h fee ${formatMoney(s.tariff.sessionFeeMinor)} — choose ${s.modes.join('/') || 'nothing (busy)'}`;
    if (s.updatedTo !== undefined) this.flows.mark('tap1-update', `${driver.name}'s tap 1 wrote config v${s.updatedTo} into ${pile.label}`);
    const update = s.updatedTo !== undefined ? `, wrote config v${s.updatedTo} (tariff v${s.tariff.version})` : '';
    await this.say(pile.label, `${driver.name} tap 1: "${pile.sim.display.lines[0]}"${update}${carriedText(report, upload)}`);
    await this.settle(driver);
  }

  /** Tap 1 with the phone out of network coverage (an underground car park): records are carried, nothing is uploaded. */
  async tapHelloOffline(driver: Driver, pile: SimPile): Promise<void> {
    const offline = new Phone({ state: driver.phone.state, relay: new RelayClient({ baseUrl: UNREACHABLE_RELAY }), nowMs: () => this.nowMs });
    const report = await this.system.tap(pile, (t) => offline.tapHello(t));
    driver.phone = new Phone({ state: offline.state, nowMs: () => this.nowMs });
    driver.screen = `${report.screen.label} (no network): holding ${driver.phone.pendingRecords.length} record(s)`;
    await this.say(pile.label, `${driver.name} tap 1 without network${carriedText(report, undefined)}`);
  }

  /** The phone is back online: it uploads what it carries. */
  async sync(driver: Driver): Promise<void> {
    const report = await driver.phone.sync();
    driver.screen = `synced: ${report.accepted} record(s) to the relay`;
    await this.say('phones', `${driver.name}'s phone is online again: ${report.accepted} record(s) uploaded`);
    await this.settle(driver);
  }

  async choose(driver: Driver, limit: ChargeLimit): Promise<number> {
    const voucher = await driver.phone.requestVoucher(limit);
    driver.screen = `${chargeLimitText(limit)} chosen, cap ${formatMoney(voucher.capMinor)} — tap again to start`;
    await this.say('phones', `${driver.name} chooses ${chargeLimitText(limit)}: voucher with cap ${formatMoney(voucher.capMinor)}`);
    return voucher.capMinor;
  }

  /** Asks for a voucher that the relay must refuse with `status`; answers the relay's error. */
  async chooseRefused(driver: Driver, limit: ChargeLimit, status: number): Promise<RelayError> {
    try {
      await driver.phone.requestVoucher(limit);
    } catch (error) {
      if (error instanceof RelayError && error.status === status) {
        driver.screen = `refused ${status} ${error.code}`;
        await this.say('phones', `${driver.name} chooses ${chargeLimitText(limit)}: refused ${status} ${error.code}`);
        return error;
      }
      throw error;
    }
    throw new DayError('script', `${driver.name}: the relay issued a voucher for ${chargeLimitText(limit)}; expected ${status}`);
  }

  async tapStart(driver: Driver, pile: SimPile): Promise<{ seq: number; capMinor: number }> {
    const { report, upload } = await this.#tapThenSync(driver, pile, (t) => driver.phone.tapStart(t));
    const c = report.contract;
    driver.screen = `charging at ${pile.label}: ${chargeLimitText(c.limit)}, cap ${formatMoney(c.capMinor)}`;
    await this.say(pile.label, `${driver.name} tap 2: contract #${c.seq} signed by the pile${carriedText(report, upload)}`);
    await this.settle(driver);
    return { seq: c.seq, capMinor: c.capMinor };
  }

  async tapStop(driver: Driver, pile: SimPile): Promise<void> {
    const { report, upload } = await this.#tapThenSync(driver, pile, (t) => driver.phone.tapStop(t));
    const r = report.receipt.message;
    driver.screen = `stopped: ${formatEnergy(r.energyWh)}, ${formatMoney(r.amountMinor)}`;
    await this.say(pile.label, `${driver.name} stop tap: receipt #${r.seq}, ${formatEnergy(r.energyWh)}, ${formatMoney(r.amountMinor)}${carriedText(report, upload)}`);
    await this.settle(driver);
  }

  async tapCollect(driver: Driver, pile: SimPile): Promise<void> {
    const { report, upload } = await this.#tapThenSync(driver, pile, (t) => driver.phone.tapCollect(t));
    driver.screen = `tapped ${pile.label}: carried ${report.carried.fromPile} record(s)`;
    await this.say(pile.label, `${driver.name} taps to collect${carriedText(report, upload)}`);
    await this.settle(driver);
  }

  expectState(pile: SimPile, ...states: string[]): void {
    const state = pile.handle.services!.state();
    if (!states.includes(state)) throw new DayError('script', `script: ${pile.label} is ${state} at ${clockText(this.nowMs)}, expected ${states.join(' or ')}`);
  }

  async account(driver: Driver): Promise<UserAccount> {
    await this.system.relay.drainLedger();
    return driver.phone.relay!.user(driver.phone.keyPair);
  }

  async contractOf(driver: Driver, pile: SimPile, seq: number): Promise<UserContract> {
    await this.system.relay.drainLedger();
    const found = (await driver.phone.relay!.userContracts(driver.phone.keyPair)).find((c) => c.pileId === pile.pileIdHex && c.seq === seq);
    if (!found) throw new DayError('script', `script: the relay holds no contract ${pile.label} #${seq} of ${driver.name}`);
    return found;
  }

  /** Waits for the ledger, then logs what the relay settled since the last look and refreshes balances. `tapper` carried it. */
  async settle(tapper?: Driver): Promise<void> {
    await this.system.relay.drainLedger();
    for (const driver of this.drivers) {
      const [account, contracts] = await Promise.all([driver.phone.relay!.user(driver.phone.keyPair), driver.phone.relay!.userContracts(driver.phone.keyPair)]);
      driver.account = account;
      for (const c of contracts) {
        if (this.#seen.get(c.contractId) === c.status) continue;
        this.#seen.set(c.contractId, c.status);
        const pile = this.system.piles.find((p) => p.pileIdHex === c.pileId);
        const where = `${pile?.label ?? c.pileId} #${c.seq}`;
        if (c.status === 'provisional') {
          await this.say('relay', `${driver.name}'s ${c.mode} contract ${where} held: cap ${formatMoney(c.capMinor)} escrowed on the ledger`);
          continue;
        }
        const carrier = tapper && tapper !== driver ? `, receipt carried by ${tapper.name}'s phone` : '';
        driver.screen = `${where} ${c.status}: ${formatEnergy(c.energyWh ?? 0)}, ${formatMoney(c.amountMinor ?? 0)}`;
        await this.say('relay', `${driver.name}'s contract ${where} ${c.status} (${c.endReason}): ${formatEnergy(c.energyWh ?? 0)}, ${formatMoney(c.amountMinor ?? 0)} of cap ${formatMoney(c.capMinor)}${carrier}`);
        // a networked pile's ends are the R9 flows, marked by its acts (networked-acts.ts)
        const flow = pile?.uplink ? undefined : flowOfSettlement(c);
        if (flow) this.flows.mark(flow, `${driver.name} at ${where}: ${formatEnergy(c.energyWh ?? 0)}, ${formatMoney(c.amountMinor ?? 0)}`);
        if (tapper && tapper !== driver && c.capMinor > 0 && c.mode !== 'full' && c.endReason === 'normal') {
          this.flows.mark('capped-carried-by-another', `${driver.name}'s ${c.mode} contract ${where} settled by ${tapper.name}'s tap`);
        }
      }
    }
  }
}

// `upload`: the sync after the tap (undefined: the phone had no network).
function carriedText(report: TapReport, upload: SyncReport | undefined): string {
  const air = `${report.air.apdus} APDUs, ${report.air.commandBytes + report.air.responseBytes} B${report.relayInField.answered ? ', 1 relay round trip in the field' : ''}`;
  const uploaded = upload ? `then ${upload.accepted} new record(s) to the relay` : 'relay offline';
  const fromPile = report.carried.fromPile > 0 ? `carried ${report.carried.fromPile} from the pile's outbox, ` : '';
  return ` [${fromPile}${report.carried.ackDelivered ? 'ack written back, ' : ''}${uploaded}; ${air}]`;
}

// Runs the pile's scripted day (day-script.ts) on the simulated board: the real firmware
// (bootPile on a provisioned journal, test/support/pile-rig.ts), driven only through APDUs by the
// day's phones (PileReader over the simulated NFC field), with relay messages signed by the TEST
// relay key (test-relay.ts). Deterministic and device-safe (no Node APIs): it runs unchanged in
// Node and in XS, and answers the final flash image, every signed record handed out and every tap.
//
// Power loss: whenever the flash has lost power (a test armed a cut), the board goes down, the pile
// boots again on the same flash and the day goes on; the step that was under way is done again from
// its first tap, as a person re-taps. Deviations from the script (a session a power loss already
// ended) are accepted only after such a reboot.
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import { SW } from '../../../contracts-offline/apdu.ts';
import { keyPairFromSecret } from '../../../contracts-offline/keys.ts';
import { EvSim, type EvOptions } from '../../../hal/sim/ev.ts';
import { KeyStoreSim } from '../../../hal/sim/key-store.ts';
import { type NorFlashStats, NorFlashSim } from '../../../hal/sim/nor-flash.ts';
import type { SimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import { type BootOptions, type PileHandle, bootPile } from '../../../firmware/pile.ts';
import type { PileController } from '../../../firmware/pile-controller.ts';
import { PileRefusedError } from '../../../tools/phone/errors.ts';
import { type HostBoard, createHostBoard } from '../../../boards/host/hal.ts';
import { pileSecretKey, provisionedRig } from '../pile-rig.ts';
import { DayPhone, type PhoneContext, type TapLog } from './day-phone.ts';
import { type DayStep, type EvProfile, type ExpectedEnd, type PhoneName, dayScript, phoneNames } from './day-script.ts';
import { TestRelay, type Upload } from './test-relay.ts';

export type { TapLog } from './day-phone.ts';

const evProfiles: Record<EvProfile, EvOptions> = {
  charging: { batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 },
  nearlyFull: { batteryWh: 10_000, stateOfChargePerMille: 990, maxCurrentMa: 32_000 },
};
/** The phones' users: fixed TEST keys (public test material). */
const userKeys = phoneNames.map((_, i) => keyPairFromSecret(new Uint8Array(32).fill(0x61 + i)));
const maxPowerCyclesPerStep = 3;
const maxBootsPerPowerCycle = 3;

/** The day's journal partition: 8 KiB of 1 KiB blocks, so blocks turn over and compaction runs. */
export function dayFlash(): NorFlashSim {
  return new NorFlashSim({ byteLength: 8 * 1024, blockLength: 1024, seed: 7 });
}

export type DayBoard = {
  readonly sim: SimulatedPile;
  readonly flash: NorFlashSim;
  /** The running pile (undefined only before the first boot). */
  readonly pile: PileController | undefined;
  readonly handle: PileHandle | undefined;
  readonly powerCycles: number;
  /** The host board, when the pile runs on the drivers (`board: 'host'`). */
  readonly host: HostBoard | undefined;
};

export type DayOptions = {
  /**
   * What the firmware runs on: the hal/sim parts themselves (default), or the host board — the
   * ESP32 board's drivers over bus-level simulations of its chips, driven by the same physics.
   */
  board?: 'hal-sim' | 'host';
  /** Ed25519 for the pile's key store and its signature checks (hal.crypto), the test relay and the users (default @noble/ed25519). */
  crypto?: Ed25519Provider;
  /** Phones verify the pile's signatures (default true). */
  verifyPileSignatures?: boolean;
  flash?: NorFlashSim;
  boot?: BootOptions;
  /** Run only the first `stepLimit` steps (the day is then not checked for completeness). */
  stepLimit?: number;
  /** Before provisioning and the first boot: wrap hal parts to observe the firmware. */
  instrument?(board: DayBoard): void;
  /** After the first boot (e.g. arm a power cut). */
  onBooted?(board: DayBoard): void;
  /** The board lost power: called before the reboot, with the flash as the cut left it. */
  onPowerLoss?(board: DayBoard): void;
  /** Power is back, before each boot (e.g. arm a cut inside the boot's recovery). */
  onPowerRestored?(board: DayBoard): void;
  /** The pile runs again. */
  onRebooted?(board: DayBoard): void;
};

export type SessionLog = {
  s: number;
  phone: PhoneName;
  mode: string;
  expect: ExpectedEnd;
  /** Contracts the phone received for this session (more than one only when a power loss lost one). */
  contractSeqs: number[];
  /** Flash work of the session's own steps (contract, checkpoints, receipt, settling). */
  flash: { programs: number; erases: number; bytesProgrammed: number };
};

export type UpdateLog = { phone: PhoneName; configVersion: number; outcome: 'applied' | 'already applied' | 'refused 6984' };

export type DayResult = {
  flashImage: Uint8Array;
  /** Every signed record handed out (START, STOP, OUTBOX), once per billing seq, by seq. */
  records: { seq: number; signed: Uint8Array }[];
  uploads: Upload[];
  /** Seqs the pile acknowledged (it answered a relay-signed ACK covering them). */
  acknowledgedSeqs: number[];
  taps: TapLog[];
  sessions: SessionLog[];
  updates: UpdateLog[];
  powerCycles: number;
  flashStats: NorFlashStats;
};

export async function runScriptedDay(options: DayOptions = {}): Promise<DayResult> {
  return new ScriptedDay(options).run();
}

class ScriptedDay implements DayBoard {
  readonly sim: SimulatedPile;
  readonly flash: NorFlashSim;
  handle: PileHandle | undefined;
  host: HostBoard | undefined;
  powerCycles = 0;
  readonly #options: DayOptions;
  readonly #relay: TestRelay;
  readonly #phones: Map<PhoneName, DayPhone>;
  readonly #taps: TapLog[] = [];
  readonly #sessions = new Map<number, SessionLog>();
  readonly #updates: UpdateLog[] = [];

  constructor(options: DayOptions) {
    this.#options = options;
    this.#relay = new TestRelay(options.crypto);
    this.flash = options.flash ?? dayFlash();
    const rig = provisionedRig({
      flash: this.flash,
      ...(options.boot ? { boot: options.boot } : {}),
      instrument: (sim) => {
        (this as { sim: SimulatedPile }).sim = sim;
        if (options.crypto) sim.hal.keyStore = sim.keyStore = new KeyStoreSim({ secretKey: pileSecretKey, crypto: options.crypto });
        if (options.board === 'host') sim.hal = (this.host = createHostBoard(sim, { pileSecretKey })).hal;
        if (options.crypto) sim.hal.crypto = options.crypto;
        options.instrument?.(this);
      },
    });
    this.sim = rig.sim;
    this.handle = rig.handle;
    const context: PhoneContext = {
      sim: this.sim, relay: this.#relay, nowS: () => this.#nowS(), verifyPileSignatures: options.verifyPileSignatures ?? true, crypto: options.crypto,
    };
    this.#phones = new Map(phoneNames.map((name, i) => [name, new DayPhone(name, userKeys[i]!, context, this.#taps)]));
  }

  get pile(): PileController | undefined {
    return this.handle?.services;
  }

  async run(): Promise<DayResult> {
    this.#options.onBooted?.(this);
    const steps = dayScript.slice(0, this.#options.stepLimit ?? dayScript.length);
    for (const step of steps) {
      const before = this.flash.stats();
      await this.#step(step);
      this.#checkPower();
      const s = 's' in step ? step.s : undefined;
      if (s !== undefined) this.#countFlash(this.#sessions.get(s)!, before);
    }
    if (steps.length === dayScript.length && this.pile!.session) throw new Error('day: a session is still running at the end of the day');
    return {
      flashImage: this.flash.contents(),
      records: [...this.#relay.received].sort(([a], [b]) => a - b).map(([seq, signed]) => ({ seq, signed })),
      uploads: this.#relay.uploads,
      acknowledgedSeqs: [...this.#relay.acknowledged].sort((a, b) => a - b),
      taps: this.#taps,
      sessions: [...this.#sessions.values()],
      updates: this.#updates,
      powerCycles: this.powerCycles,
      flashStats: this.flash.stats(),
    };
  }

  async #step(step: DayStep): Promise<void> {
    switch (step.do) {
      case 'plug':
        if (this.sim.circuit.ev) this.#deviate('plug: a vehicle is already plugged in');
        else this.sim.circuit.plug(new EvSim(evProfiles[step.ev]));
        return this.#advance(1);
      case 'unplug':
        this.sim.circuit.unplug();
        return;
      case 'wait':
        return this.#advance(step.seconds);
      case 'pilotFault':
        this.sim.circuit.ev?.shortPilot(step.shorted);
        return;
      case 'charge':
        for (let s = 0; this.pile!.session; s++) {
          if (s >= step.maxS) throw new Error(`day: session ${step.s} did not end within ${step.maxS} s`);
          this.#advance(1);
        }
        return;
      case 'start':
        this.#sessions.set(step.s, {
          s: step.s, phone: step.phone, mode: step.limit.mode, expect: step.expect, contractSeqs: [], flash: { programs: 0, erases: 0, bytesProgrammed: 0 },
        });
        return this.#retrying(`session ${step.s} start`, () => this.#start(step));
      case 'stop':
        return this.#retrying(`session ${step.s} stop`, () => this.#stop(step));
      case 'collect':
        return this.#retrying(`collect by ${step.phone}`, () => this.#collect(step.phone));
      case 'update':
        return this.#retrying(`update ${step.configVersion}`, () => this.#update(step));
    }
  }

  /** Tap 1 (SELECT, HELLO) → the relay's voucher over its nonce (a second) → tap 2 (SELECT, START). */
  async #start(step: Extract<DayStep, { do: 'start' }>): Promise<void> {
    const phone = this.#phones.get(step.phone)!;
    const tap1 = await phone.tap(`tap 1 (session ${step.s})`, async (tap) => {
      const hello = await tap.select();
      tap.track('HELLO');
      const info = await tap.reader.hello(phone.userHello());
      return { pileNonce: hello.pileNonce, tariffVersion: info.message.tariff.version };
    });
    const voucher = this.#relay.voucher(tap1.pileNonce, phone.user, step.limit, step.capMinor, tap1.tariffVersion, this.#nowS());
    this.#advance(1); // the phone asks the relay for the voucher between the taps
    const contract = await phone.tap(`tap 2 (session ${step.s})`, async (tap) => {
      await tap.select();
      tap.track('START');
      return tap.reader.start(voucher);
    });
    this.#relay.receive([{ seq: contract.message.seq, signed: contract.signed }], phone.name, 'START');
    this.#sessions.get(step.s)!.contractSeqs.push(contract.message.seq);
  }

  /** One tap: SELECT, then STOP signed by the user on the phone or by the relay, over this tap's nonce. */
  async #stop(step: Extract<DayStep, { do: 'stop' }>): Promise<void> {
    const phone = this.#phones.get(step.phone)!;
    const contractSeq = this.#sessions.get(step.s)!.contractSeqs.at(-1);
    if (contractSeq === undefined) return this.#deviate(`session ${step.s}: no contract to stop`);
    await phone.tap(`stop by ${step.by} (session ${step.s})`, async (tap) => {
      const { pileNonce } = await tap.select();
      const signed = step.by === 'user' ? tap.userStop(pileNonce, contractSeq) : this.#relay.stop(pileNonce, contractSeq, this.#nowS());
      tap.track('STOP');
      try {
        const receipt = await tap.reader.stop(signed, step.by === 'user' ? phone.user.publicKey : undefined);
        this.#relay.receive([{ seq: receipt.message.seq, signed: receipt.signed }], phone.name, 'STOP');
      } catch (error) {
        // After a reboot the contract may already be settled and acknowledged: nothing left to stop.
        if (!(error instanceof PileRefusedError && error.sw === SW.conditionsNotSatisfied)) throw error;
        this.#deviate(`session ${step.s}: ${error.message}`);
      }
    });
  }

  /** Taps until the outbox is drained: SELECT, the relay's pending ACK, one OUTBOX page. */
  async #collect(name: PhoneName): Promise<void> {
    const phone = this.#phones.get(name)!;
    for (let taps = 1; ; taps++) {
      const page = await phone.tap('collect', async (tap) => {
        await tap.select();
        await tap.carryAck();
        return tap.collectPage();
      });
      if (page.remaining === 0) return;
      if (taps === 6) throw new Error(`day: ${page.remaining} records still in the outbox after 6 taps`);
    }
  }

  /** One tap: SELECT, then UPDATE when the relay has a newer config than the pile's (or a stale one, to be refused). */
  async #update(step: Extract<DayStep, { do: 'update' }>): Promise<void> {
    const phone = this.#phones.get(step.phone)!;
    const update = this.#relay.update(step.configVersion);
    await phone.tap(`update to ${step.configVersion}`, async (tap) => {
      const hello = await tap.select();
      if (step.expect === 'applied' && hello.configVersion >= step.configVersion) {
        this.#deviate(`update ${step.configVersion}: the pile already has config ${hello.configVersion}`);
        this.#updates.push({ phone: step.phone, configVersion: step.configVersion, outcome: 'already applied' });
        return;
      }
      tap.track('UPDATE');
      try {
        await tap.reader.update(update);
      } catch (error) {
        if (step.expect === 'refused' && error instanceof PileRefusedError && error.sw === SW.referenceNotUsable) {
          this.#updates.push({ phone: step.phone, configVersion: step.configVersion, outcome: 'refused 6984' });
          return;
        }
        throw error;
      }
      if (step.expect === 'refused') throw new Error(`day: the stale update ${step.configVersion} was applied`);
      this.#updates.push({ phone: step.phone, configVersion: step.configVersion, outcome: 'applied' });
    });
  }

  /** Do `work`; if the board lost power meanwhile, reboot it and do it again (a person re-taps). */
  async #retrying(label: string, work: () => Promise<void>): Promise<void> {
    for (let cycles = 0; ; cycles++) {
      try {
        await work();
        if (this.flash.powered) return;
      } catch (error) {
        if (this.flash.powered) throw error;
      }
      if (cycles === maxPowerCyclesPerStep) throw new Error(`day: ${label} failed after ${cycles} power cycles`);
      this.#powerCycle();
    }
  }

  #advance(seconds: number): void {
    for (let s = 0; s < seconds; s++) {
      this.sim.clock.advance(1000);
      this.#checkPower();
    }
  }

  #checkPower(): void {
    if (!this.flash.powered) this.#powerCycle();
  }

  /**
   * The board goes down and comes back: the journal must mount as it is (never formatted) and the
   * pile run. A boot whose own writes lose power again is followed by another boot.
   */
  #powerCycle(): void {
    this.#options.onPowerLoss?.(this);
    this.handle!.shutdown();
    this.host?.restart(); // the drivers start over with the board; the chips keep their state
    for (let boots = 1; ; boots++) {
      this.flash.reboot();
      this.#options.onPowerRestored?.(this);
      this.handle = bootPile(this.sim.hal, this.#options.boot);
      if (this.handle.services) break;
      if (this.flash.powered || boots === maxBootsPerPowerCycle) throw new Error(`day: the pile refused to run after a power loss: ${this.handle.fault}`);
      this.handle.shutdown();
    }
    this.powerCycles++;
    this.#options.onRebooted?.(this);
  }

  /** A departure from the script: only a power loss can explain one. */
  #deviate(what: string): void {
    if (this.powerCycles === 0) throw new Error(`day: ${what}`);
  }

  #countFlash(session: SessionLog, before: NorFlashStats): void {
    const after = this.flash.stats();
    session.flash.programs += after.programs - before.programs;
    session.flash.erases += after.erases - before.erases;
    session.flash.bytesProgrammed += after.bytesProgrammed - before.bytesProgrammed;
  }

  #nowS(): number {
    return Math.floor(this.sim.clock.nowMs() / 1000);
  }
}

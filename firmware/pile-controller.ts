// The pile controller: the `PileServices` the NFC application calls, the supervision loop (one
// timer, every metering period: control pilot, contactor feedback, the running session, the
// display) and the pile's state. Built by `bootPile` once the journal is mounted, the pile is
// provisioned and interrupted sessions are recovered. It reports faults, abnormal ends and session
// starts and ends to the pile's event log (firmware/events/event-log.ts).
import type { MeterSample, PileHal, TimerId } from '../hal/types.ts';
import { PILOT_CONSTANT_MINUS_12V, PILOT_CONSTANT_PLUS_12V } from '../hal/types.ts';
import { equalBytes } from '../contracts-offline/bytes.ts';
import type { SeqRange } from '../contracts-offline/messages/ack.ts';
import { type StartRefusal, chargeLimitText, endDetailText } from '../contracts-offline/display-text.ts';
import type { Authorization } from '../contracts-offline/messages/authorization.ts';
import type { PileState } from '../contracts-offline/messages/fields.ts';
import { type PileUpdate, isNewerConfig } from '../contracts-offline/messages/pile-update.ts';
import type { Receipt } from '../contracts-offline/messages/receipt.ts';
import type { UserHello } from '../contracts-offline/messages/user-hello.ts';
import { fail, ok } from '../contracts-offline/result.ts';
import type { Journal, JournalStats } from './journal/journal.ts';
import type { EventSink } from './events/event-log.ts';
import { unacknowledgedBillingCount } from './provisioning/factory-reset.ts';
import type { BillingBook } from './billing/billing-book.ts';
import type { PileConfig, PileOutcome, PileServices, PileSigner, SignatureCheck, SignedOutcome, UserArrival } from './pile-services.ts';
import { type CpState, CpReader, vehicleConnected } from './charging/control-pilot.ts';
import { ContactorSupervisor } from './charging/contactor-supervisor.ts';
import { type EndedSession, SessionEngine, type SessionSettings } from './session/session-engine.ts';
import { RecordKind } from './records/record-kinds.ts';
import { Presenter } from './display/presenter.ts';
import {
  type Screen, busyScreen, chargingScreen, faultScreen, idleScreen, journalFullScreen, receiptPendingScreen, receiptScreen, startRefusedScreen, tapPromptScreen,
  welcomeScreen,
} from './display/screens.ts';

export type PileSettings = SessionSettings & {
  firmwareVersion: string;
  /** Metering and supervision period, ms. */
  meteringPeriodMs: number;
  /** Time the contactor is given to move before its feedback must match the command, ms. */
  contactorSettleMs: number;
  /** How long a welcome, receipt or journal-full screen stays up, ms. */
  messageMs: number;
};

export type PileIdentity = { pileId: Uint8Array; relayPublicKey: Uint8Array; signer: PileSigner };

/** The answer to a voucher or stop whose signature check failed. */
function forged(what: 'voucher' | 'stop'): SignedOutcome<never> {
  return fail('bad-signature', `the ${what}'s signature does not verify`);
}

export function configOf(update: PileUpdate): PileConfig {
  return { configVersion: update.configVersion, tariff: update.tariff, label: update.label, maxPowerW: update.maxPowerW };
}

export class PileController implements PileServices {
  readonly pileId: Uint8Array;
  readonly firmwareVersion: string;
  readonly relayPublicKey: Uint8Array;
  readonly signer: PileSigner;
  readonly #hal: PileHal;
  readonly #journal: Journal;
  readonly #book: BillingBook;
  readonly #settings: PileSettings;
  readonly #contactor: ContactorSupervisor;
  readonly #engine: SessionEngine;
  readonly #presenter: Presenter;
  #config: PileConfig;
  #timer: TimerId | undefined;
  /** A redraw asked for by a tap, run once the tap's answer is out. */
  #renderTimer: TimerId | undefined;
  /** A reading taken with the contactor open since the last session: at its end, or by the idle tick while a vehicle waits. */
  #idleSample: MeterSample | undefined;
  readonly #cpReader: CpReader;
  #cp: CpState;
  #driverName = '';
  /** A session ended and the plug has not been pulled since. */
  #finishing = false;
  /** The newest unacknowledged receipt that needs a tap to reach the relay (R6 abnormal, R8 open). */
  #tapPrompt: Receipt | undefined;
  #halted: string | undefined;
  readonly #events: EventSink;
  /** The contactor fault or pilot error already reported to the event log. */
  #reportedContactorFault = false;
  #reportedPilotError = false;
  #reportedUnsignedReceipt = false;
  /** The service self-test is exercising the contactor: no session may start. */
  #contactorTest = false;

  constructor(hal: PileHal, journal: Journal, book: BillingBook, identity: PileIdentity, config: PileConfig, settings: PileSettings, events: EventSink) {
    this.pileId = identity.pileId;
    this.relayPublicKey = identity.relayPublicKey;
    this.signer = identity.signer;
    this.firmwareVersion = settings.firmwareVersion;
    this.#hal = hal;
    this.#journal = journal;
    this.#book = book;
    this.#config = config;
    this.#settings = settings;
    this.#events = events;
    this.#contactor = new ContactorSupervisor(hal.contactor, hal.clock, settings.contactorSettleMs);
    this.#presenter = new Presenter(hal.display, hal.clock);
    this.#cpReader = new CpReader(hal.pilot);
    this.#engine = new SessionEngine({
      clock: hal.clock, meter: hal.meter, pilot: hal.pilot, readCp: () => this.#cpReader.read(), contactor: this.#contactor, journal, book, signer: identity.signer, settings,
      onDeviceFailure: (message) => this.#halt(message),
    });
    this.#cp = this.#cpReader.read();
    this.#refreshTapPrompt();
  }

  /** Start supervising (the first tick runs now). */
  start(): void {
    this.#idlePilot();
    this.#restartTimer();
    this.#tick();
  }

  /** Stop the timer (the board is going down). */
  stop(): void {
    if (this.#timer !== undefined) this.#hal.clock.clearTimer(this.#timer);
    if (this.#renderTimer !== undefined) this.#hal.clock.clearTimer(this.#renderTimer);
    this.#timer = this.#renderTimer = undefined;
  }

  /** Why the pile stopped working (journal or key store failure), if it did. */
  get halted(): string | undefined {
    return this.#halted;
  }

  /** Fill and room of the journal (service console Status). */
  journalStats(): JournalStats {
    return this.#journal.stats();
  }

  /** Billing records the relay has not acknowledged, by the journal's flags. */
  unacknowledgedCount(): number {
    return unacknowledgedBillingCount(this.#journal);
  }

  /** The running session, for the simulator, the service console and tests. */
  get session(): SessionEngine['running'] {
    return this.#engine.running;
  }

  /** The running session's contract seq and the meter now (OCPP MeterValues); undefined when none runs or the meter cannot be read. */
  sessionMeter(): { contractSeq: number; energyWh: number; powerW: number } | undefined {
    const running = this.#engine.running;
    if (!running || this.#halted) return undefined;
    try {
      const { energyWh, powerW } = this.#hal.meter.sample();
      return { contractSeq: running.contract.seq, energyWh, powerW };
    } catch {
      return undefined; // the session's own tick reads the meter and ends the session on a fault
    }
  }

  config(): PileConfig {
    return { ...this.#config, tariff: { ...this.#config.tariff } };
  }

  state(): PileState {
    if (this.#halted || this.#contactor.fault) return 'faulted';
    const running = this.#engine.running;
    if (running) return running.delivering ? 'charging' : 'suspended';
    if (this.#cp === 'E' || this.#cp === 'invalid') return 'faulted';
    if (vehicleConnected(this.#cp)) return this.#finishing ? 'finishing' : 'preparing';
    return 'available';
  }

  greet(user: UserHello, arrival: UserArrival): void {
    if (this.#halted) return;
    const running = this.#engine.running;
    if (!running) this.#presenter.showFor(welcomeScreen(user.displayName, this.#config.tariff, arrival), this.#settings.messageMs);
    else if (equalBytes(running.contract.userKid, user.userKid)) this.#presenter.clearOverlay();
    else this.#presenter.showFor(busyScreen(user.displayName), this.#settings.messageMs);
    this.#renderAfterTap();
  }

  applyUpdate(update: PileUpdate, signedBytes: Uint8Array): PileOutcome<void> {
    if (this.#halted) return fail('device', this.#halted);
    if (!equalBytes(update.pileId, this.pileId)) return fail('unusable', 'update for another pile');
    if (!isNewerConfig(this.#config.configVersion, update)) {
      return fail('unusable', `configVersion ${update.configVersion} is not newer than ${this.#config.configVersion}`);
    }
    const appended = this.#journal.append(RecordKind.config, signedBytes, { retention: 'state' });
    if (!appended.ok) {
      if (appended.code === 'full') return fail('full', appended.reason);
      this.#halt(appended.reason);
      return fail('device', appended.reason);
    }
    this.#config = configOf(update);
    this.#events('info', `config version ${update.configVersion} applied`);
    this.#renderAfterTap();
    return ok(undefined);
  }

  startSession(voucher: Authorization, displayName: string | undefined, checkSignature: SignatureCheck): SignedOutcome<Uint8Array> {
    // Any refusal waits for the voucher's signature check: a forged voucher is answered as forged and changes nothing.
    const refused = (refusal: PileOutcome<never>, show: () => void = () => {}): SignedOutcome<Uint8Array> => {
      if (!checkSignature()) return forged('voucher');
      show();
      return refusal;
    };
    if (this.#halted) return refused(fail('device', this.#halted));
    if (!equalBytes(voucher.pileId, this.pileId)) return refused(fail('unusable', 'voucher for another pile'));
    if (voucher.tariffVersion !== this.#config.tariff.version) {
      return refused(fail('unusable', `voucher for tariff ${voucher.tariffVersion}, the pile applies ${this.#config.tariff.version}`));
    }
    if (this.#contactor.fault) return refused(fail('conditions', `contactor fault (${this.#contactor.fault})`));
    if (this.#engine.running) return refused(fail('conditions', 'a session is running'));
    if (this.#contactorTest) return refused(fail('conditions', 'the service self-test is exercising the contactor'));
    const cp = this.#cpReader.read();
    if (!vehicleConnected(cp)) {
      return refused(fail('conditions', `no vehicle connected (control pilot state ${cp})`), () => {
        this.#cp = cp;
        this.showStartRefusal('no-vehicle');
      });
    }
    const pending = this.#engine.prepareStart(voucher, this.pileId, this.#config, this.#idleSample);
    const started = pending.ok ? this.#engine.start(pending.value, checkSignature) : refused(pending);
    if (!started.ok && started.code === 'bad-signature') return started;
    this.#cp = cp;
    this.#idleSample = undefined;
    if (!started.ok) {
      if (started.code === 'full') this.#presenter.showFor(journalFullScreen(), this.#settings.messageMs);
      this.#renderAfterTap();
      return started;
    }
    this.#driverName = displayName ?? '';
    this.#finishing = false;
    this.#events('info', `session ${this.#engine.running!.contract.seq} started: ${chargeLimitText(voucher.limit)}`);
    this.#presenter.clearOverlay();
    this.#restartTimer(); // metering periods count from the contract's start
    this.#renderAfterTap();
    return started;
  }

  showStartRefusal(reason: StartRefusal): void {
    if (this.#halted) return;
    this.#presenter.showFor(startRefusedScreen(reason), this.#settings.messageMs);
    this.#renderAfterTap();
  }

  stopSession(contractSeq: number, _by: 'user' | 'relay', checkSignature: SignatureCheck): SignedOutcome<Uint8Array> {
    if (!this.#halted && this.#engine.running?.contract.seq === contractSeq) {
      const ended = this.#engine.stop(contractSeq, checkSignature);
      if (ended === 'forged') return forged('stop');
      return this.#stopped(ended);
    }
    if (!checkSignature()) return forged('stop');
    if (this.#halted) return fail('device', this.#halted);
    if (this.#engine.awaitingReceipt === contractSeq) return this.#stopped(this.#engine.retryReceipt());
    const receiptSeq = this.#book.contract(contractSeq)?.receiptSeq;
    const held = receiptSeq === undefined ? undefined : this.#book.read(receiptSeq);
    if (held?.ok) return ok(held.value);
    return fail('conditions', `contract ${contractSeq} is neither running nor holding a receipt`);
  }

  #stopped(ended: EndedSession | undefined): PileOutcome<Uint8Array> {
    if (!ended) return fail('device', this.#halted ?? 'the key store could not sign the receipt yet');
    this.#sessionEnded(ended);
    return ok(ended.signedBytes);
  }

  contractUserKid(contractSeq: number): Uint8Array | undefined {
    const entry = this.#book.contract(contractSeq);
    if (!entry) return undefined;
    if (this.#engine.running?.contract.seq === contractSeq || this.#engine.awaitingReceipt === contractSeq) return entry.userKid;
    return entry.receiptSeq !== undefined && this.#book.record(entry.receiptSeq) ? entry.userKid : undefined;
  }

  outbox(afterSeq: number, maxRecords: number): { records: { seq: number; bytes: Uint8Array }[]; remaining: number } {
    const pending = this.#book.unacknowledged().filter((r) => r.seq > afterSeq);
    const records: { seq: number; bytes: Uint8Array }[] = [];
    for (const record of pending.slice(0, Math.max(0, maxRecords))) {
      const bytes = this.#book.read(record.seq);
      if (!bytes.ok) {
        if (bytes.code === 'device') this.#halt(bytes.reason);
        break;
      }
      records.push({ seq: record.seq, bytes: bytes.value });
    }
    return { records, remaining: pending.length - records.length };
  }

  acknowledge(ranges: readonly SeqRange[]): PileOutcome<number> {
    if (this.#halted) return fail('device', this.#halted);
    for (const record of this.#book.unacknowledged()) {
      if (!ranges.some((r) => record.seq >= r.fromSeq && record.seq <= r.toSeq)) continue;
      const marked = this.#book.acknowledge(record.seq);
      if (!marked.ok) {
        if (marked.code === 'full') return fail('full', marked.reason);
        this.#halt(marked.reason);
        return fail('device', marked.reason);
      }
    }
    this.#refreshTapPrompt();
    this.#renderAfterTap();
    return ok(this.#book.unacknowledged().length);
  }

  /**
   * Service self-test of the contactor (no session running, no vehicle connected: the caller
   * checks the pilot): close, let it settle, the feedback must read closed; open, let it settle,
   * the feedback must read open. A wrong feedback latches the supervisor's fault, as in service.
   * `report` gets the outcome from a timer.
   */
  testContactor(report: (fault: string | undefined) => void): void {
    const settleMs = this.#settings.contactorSettleMs;
    const refusal = this.#halted ?? (this.#engine.running ? 'a session is running' : this.#contactorTest ? 'a contactor test is running' : undefined);
    if (refusal) return report(refusal);
    const before = this.#contactor.check();
    if (before) return report(`contactor fault (${before}) latched before the test`);
    this.#contactorTest = true;
    this.#contactor.command(true);
    this.#hal.clock.setTimer(() => {
      const closing = this.#contactor.check();
      this.#contactor.command(false);
      this.#hal.clock.setTimer(() => {
        const opening = this.#contactor.check();
        this.#contactorTest = false;
        this.#reportContactor();
        this.#idlePilot();
        report(closing ? `did not close (${closing})` : opening ? `did not open (${opening})` : undefined);
      }, settleMs);
    }, settleMs);
  }

  #tick(): void {
    if (this.#halted) return;
    this.#cp = this.#cpReader.read();
    this.#reportPilot();
    if (this.#engine.running) {
      const ended = this.#engine.tick(this.#cp, this.#config);
      if (ended) this.#sessionEnded(ended);
    } else if (this.#engine.awaitingReceipt !== undefined) {
      const ended = this.#engine.retryReceipt();
      if (ended) this.#sessionEnded(ended);
    } else {
      if (this.#cp === 'A') this.#finishing = false;
      if (this.#contactor.check()) this.#idlePilot();
      this.#readIdleMeter();
    }
    this.#reportContactor();
    this.#reportUnsignedReceipt();
    this.#render();
  }

  /** A session ended but the key store could not sign its receipt (retried every tick). */
  #reportUnsignedReceipt(): void {
    const contractSeq = this.#engine.awaitingReceipt;
    if (contractSeq !== undefined && !this.#reportedUnsignedReceipt) this.#events('fault', `key store cannot sign the receipt of session ${contractSeq}`);
    this.#reportedUnsignedReceipt = contractSeq !== undefined;
  }

  #reportPilot(): void {
    const error = this.#cp === 'E' || this.#cp === 'invalid';
    if (error && !this.#reportedPilotError) this.#events('fault', `control pilot error (state ${this.#cp})`);
    this.#reportedPilotError = error;
  }

  #reportContactor(): void {
    const fault = this.#contactor.fault;
    if (!fault || this.#reportedContactorFault) return;
    this.#reportedContactorFault = true;
    this.#events('fault', fault === 'welded' ? 'contactor welded' : 'contactor feedback lost');
  }

  /** While a vehicle waits and the contactor is open, keep a reading for the next START. */
  #readIdleMeter(): void {
    this.#idleSample = undefined;
    if (!vehicleConnected(this.#cp) || this.#contactor.fault || this.#contactor.closed) return;
    try {
      this.#idleSample = this.#hal.meter.sample();
    } catch {
      // START reads the meter itself and reports the fault
    }
  }

  /** Redraw once the current APDU has been answered: the phone does not wait for the display's bus. */
  #renderAfterTap(): void {
    if (this.#renderTimer !== undefined) return;
    this.#renderTimer = this.#hal.clock.setTimer(() => {
      this.#renderTimer = undefined;
      this.#render();
    }, 0);
  }

  #sessionEnded(ended: EndedSession): void {
    const { receipt } = ended;
    this.#events(receipt.endReason === 'abnormal' ? 'warning' : 'info', `session ${receipt.contractSeq} ended ${receipt.endReason}: ${endDetailText(receipt.endDetail)}`);
    this.#reportContactor();
    this.#idleSample = this.#contactor.fault ? undefined : ended.finalSample;
    this.#idlePilot();
    this.#finishing = this.#cpReader.read() !== 'A';
    this.#refreshTapPrompt();
    if (this.#tapPrompt?.seq === ended.receipt.seq) this.#presenter.clearOverlay();
    else this.#presenter.showFor(receiptScreen(ended.receipt), this.#settings.messageMs);
    this.#renderAfterTap();
  }

  /** Constant +12 V offers nothing and lets a vehicle say it is there; −12 V (state F) says "not available". */
  #idlePilot(): void {
    try {
      this.#hal.pilot.setDutyPerMille(this.#contactor.fault || this.#halted ? PILOT_CONSTANT_MINUS_12V : PILOT_CONSTANT_PLUS_12V);
    } catch {
      // a pilot that cannot be driven shows up as an invalid CP reading at the next tick
    }
  }

  #halt(reason: string): void {
    if (this.#halted) return;
    this.#halted = reason;
    this.#events('fault', `halted: ${reason}`);
    this.#engine.abandon();
    this.#idlePilot();
    this.#render();
  }

  #restartTimer(): void {
    this.stop();
    this.#timer = this.#hal.clock.setTimer(() => this.#tick(), this.#settings.meteringPeriodMs, this.#settings.meteringPeriodMs);
  }

  #refreshTapPrompt(): void {
    let newest: Receipt | undefined;
    for (const record of this.#book.unacknowledged()) {
      const receipt = record.kind === 'receipt' ? this.#book.receipt(record.seq) : undefined;
      if (receipt && (receipt.endReason === 'abnormal' || this.#book.contract(receipt.contractSeq)?.open)) newest = receipt;
    }
    this.#tapPrompt = newest;
  }

  #render(): void {
    if (this.#halted || this.#contactor.fault) this.#presenter.clearOverlay(); // a fault is never hidden
    this.#presenter.render(this.#baseScreen());
  }

  #baseScreen(): Screen {
    const columns = this.#presenter.columns;
    if (this.#halted) return faultScreen(this.#halted, columns);
    if (this.#contactor.fault) return faultScreen(this.#contactor.fault === 'welded' ? 'Contactor welded' : 'Contactor feedback lost', columns);
    const running = this.#engine.running;
    if (running) {
      const { contract, usage, delivering } = running;
      return chargingScreen({
        name: this.#driverName, limit: contract.limit, energyWh: usage.energyWh, durationS: usage.durationS,
        costMinor: this.#engine.billedSoFarMinor(), capMinor: contract.capMinor, delivering,
      });
    }
    if (this.#engine.awaitingReceipt !== undefined) return receiptPendingScreen();
    if (this.#cp === 'E' || this.#cp === 'invalid') return faultScreen('Control pilot error: check the cable', columns);
    if (this.#tapPrompt) return tapPromptScreen(this.#tapPrompt.endDetail, this.#tapPrompt.amountMinor);
    return idleScreen(this.pileId, this.#config.label, this.#config.tariff);
  }
}

// The running charging session: from a durable signed Contract to a durable signed Receipt.
//
// Commit before act: the contract is in the journal before the contactor may close; the contactor
// is open and the receipt is in the journal before anyone sees it. In between, every metering tick
// reads the meter's register (energy is never integrated here), ends the session when its limit,
// its price cap, the vehicle (done, unplugged) or a device (pilot, contactor, meter) says so, and
// journals a checkpoint every `checkpointPeriodS` — the point a power loss is billed up to.
import type { Clock, Meter, MeterSample, Pilot } from '../../hal/types.ts';
import { PILOT_CONSTANT_PLUS_12V } from '../../hal/types.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { type Contract, encodeContract } from '../../contracts-offline/messages/contract.ts';
import { EndDetail, type Receipt, encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import type { Journal } from '../journal/journal.ts';
import type { BillingBook, ContractEntry } from '../billing/billing-book.ts';
import type { PileConfig, PileOutcome, PileSigner, SignatureCheck, SignedOutcome } from '../pile-services.ts';
import { allowedCurrentMa, dutyPerMilleForCurrentMa } from '../charging/pilot-duty.ts';
import { type CpState, vehicleRequestsEnergy } from '../charging/control-pilot.ts';
import type { ContactorSupervisor } from '../charging/contactor-supervisor.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { encodeCheckpoint } from '../records/checkpoint-record.ts';
import { type Usage, billedAmountMinor } from '../../contracts-offline/tariff-cost.ts';
import { type EndCause, limitEnd } from './limits.ts';
import { buildReceipt } from './receipt.ts';
import { checkpointHeadroomBytes, contractHeadroomBytes } from './journal-budget.ts';
import { signRecord, signRecordWhile } from './sign-record.ts';
import { fail, ok } from '../../contracts-offline/result.ts';

export type SessionSettings = {
  /**
   * Seconds between durable checkpoints of a running session. A power loss bills the session up to
   * the last checkpoint, so at most this much time and energy goes unbilled (60 s at 22 kW is
   * 0.37 kWh); each checkpoint is one ~30-byte flash write, so 60 s keeps a 10-hour session to
   * 600 writes (~18 KiB, a few block erases over the wear-levelled partition). Shorter periods wear
   * the flash and fill the journal faster for little money; longer ones give away more energy.
   */
  checkpointPeriodS: number;
  /** A vehicle that drew energy and then draws none for this long is done. */
  vehicleIdleS: number;
  /** Below this power the vehicle counts as not drawing. */
  idlePowerW: number;
};

export type SessionDeps = {
  clock: Clock;
  meter: Meter;
  pilot: Pilot;
  /** The pilot's state now (the controller's reader, with its hysteresis). */
  readCp(): CpState;
  contactor: ContactorSupervisor;
  journal: Journal;
  book: BillingBook;
  signer: PileSigner;
  settings: SessionSettings;
  /** The journal or the key store failed (a flash fault, a power cut): nothing more may be written. */
  onDeviceFailure(message: string): void;
};

/** `finalSample`: the reading taken after the contactor opened, when the end took a fresh one. */
export type EndedSession = { receipt: Receipt; signedBytes: Uint8Array; open: boolean; finalSample?: MeterSample };

type Running = {
  contract: Contract;
  entry: ContractEntry;
  startMs: number;
  meterWh: number;
  durationS: number;
  hasDrawn: boolean;
  notDrawingSinceMs: number | undefined;
  checkpointDurationS: number;
};

/** An ended session whose receipt the key store has not signed yet (a secure element off the bus). */
type Unsigned = { receipt: Receipt; open: boolean; finalSample: MeterSample | undefined };

/** The contract a voucher would start, built without changing anything (`SessionEngine.prepareStart`). */
export type PendingContract = { contract: Contract; currentMa: number; startMs: number };

export class SessionEngine {
  readonly #deps: SessionDeps;
  #running: Running | undefined;
  #unsigned: Unsigned | undefined;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
  }

  get running(): { contract: Contract; usage: Usage; delivering: boolean } | undefined {
    const r = this.#running;
    return r && { contract: r.contract, usage: usageOf(r), delivering: this.#deps.contactor.closed };
  }

  /** Billed so far (the cost, at most the cap). */
  billedSoFarMinor(): number {
    const r = this.#running;
    return r ? billedAmountMinor(r.contract.tariff, usageOf(r), r.contract.capMinor) : 0;
  }

  /**
   * The contract for a voucher whose checks passed, its signature not verified yet: built without
   * changing anything (the meter is read, nothing is written). The caller checked the pile's
   * conditions. `idleSample`: a reading taken since the last session ended, the contactor open
   * (the register cannot have moved since), so the tap does not wait for the meter's bus.
   */
  prepareStart(voucher: Authorization, pileId: Uint8Array, config: PileConfig, idleSample?: MeterSample): PileOutcome<PendingContract> {
    const { clock, book } = this.#deps;
    if (this.#running) throw new RangeError('session: a session is already running');
    if (this.#unsigned) return fail('conditions', `the receipt of contract ${this.#unsigned.receipt.contractSeq} is not signed yet (key store)`);
    let sample: MeterSample;
    try {
      sample = idleSample ?? this.#deps.meter.sample();
    } catch (error) {
      return fail('device', `meter: ${(error as Error).message}`);
    }
    const currentMa = allowedCurrentMa(config.maxPowerW, sample.voltageMv);
    if (currentMa === undefined) return fail('conditions', `maxPowerW ${config.maxPowerW} at ${sample.voltageMv} mV is below 6 A`);
    const startMs = clock.nowMs();
    const contract: Contract = {
      pileId,
      seq: book.nextSeq,
      userKid: voucher.userKid,
      voucherId: voucher.voucherId,
      limit: voucher.limit,
      tariff: config.tariff,
      startMeterWh: sample.energyWh,
      capMinor: voucher.capMinor,
      startAtS: Math.floor(startMs / 1000),
    };
    return ok({ contract, currentMa, startMs });
  }

  /**
   * Sign the pending contract while `checkSignature` verifies its voucher (`KeyStore.signWhile`);
   * only then journal it and offer energy. A forged voucher changes nothing: the signature is dropped.
   */
  start(pending: PendingContract, checkSignature: SignatureCheck): SignedOutcome<Uint8Array> {
    const { book, signer, contactor } = this.#deps;
    const { contract, currentMa, startMs } = pending;
    let authentic = false;
    const signed = signRecordWhile(encodeContract(contract), signer, () => void (authentic = checkSignature()));
    if (!authentic) return fail('bad-signature', 'the voucher\'s signature does not verify');
    if (!signed.ok) return fail('device', signed.reason);
    const signedBytes = signed.value;
    const appended = book.appendContract(contract, signedBytes, contractHeadroomBytes);
    if (!appended.ok) {
      if (appended.code === 'full') return fail('full', appended.reason);
      this.#deps.onDeviceFailure(appended.reason);
      return fail('device', appended.reason);
    }
    this.#running = {
      contract, entry: appended.value, startMs, meterWh: contract.startMeterWh, durationS: 0,
      hasDrawn: false, notDrawingSinceMs: undefined, checkpointDurationS: 0,
    };
    // The contract is durable: offer current, and close as soon as the vehicle asks (state C/D).
    this.#setPilot(dutyPerMilleForCurrentMa(currentMa));
    contactor.command(vehicleRequestsEnergy(this.#deps.readCp()));
    return ok(signedBytes);
  }

  /** One metering period of the running session. Answers the ended session when this tick ended it. */
  tick(cp: CpState, config: PileConfig): EndedSession | undefined {
    const r = this.#running;
    if (!r) return undefined;
    const { clock, contactor, settings } = this.#deps;
    if (cp === 'A') return this.finish({ reason: 'abnormal', detail: EndDetail.plugRemoved });
    if (cp === 'E' || cp === 'F' || cp === 'invalid') return this.finish({ reason: 'abnormal', detail: EndDetail.pilotFault });
    if (contactor.check()) return this.finish({ reason: 'abnormal', detail: EndDetail.contactorFault });
    const sample = this.#sample(r);
    if (!sample) return this.finish({ reason: 'abnormal', detail: EndDetail.meterFault });
    const nowMs = clock.nowMs();
    this.#advanceDuration(r, nowMs);
    const limit = limitEnd(r.contract, usageOf(r));
    if (limit) return this.finish(limit);
    const drawing = vehicleRequestsEnergy(cp) && sample.powerW >= settings.idlePowerW;
    if (drawing) (r.hasDrawn = true), (r.notDrawingSinceMs = undefined);
    else if (r.hasDrawn) {
      r.notDrawingSinceMs ??= nowMs;
      if (nowMs - r.notDrawingSinceMs >= settings.vehicleIdleS * 1000) return this.finish({ reason: 'normal', detail: EndDetail.vehicleDone });
    }
    const currentMa = allowedCurrentMa(config.maxPowerW, sample.voltageMv);
    this.#setPilot(currentMa === undefined ? PILOT_CONSTANT_PLUS_12V : dutyPerMilleForCurrentMa(currentMa));
    contactor.command(currentMa !== undefined && vehicleRequestsEnergy(cp));
    if (r.durationS - r.checkpointDurationS >= settings.checkpointPeriodS) this.#checkpoint(r, nowMs);
    return undefined;
  }

  /**
   * A user (or relay) stop of the running contract `contractSeq`, asked in a tap, its signature not
   * verified yet. The receipt bills up to the last metering tick's reading (at most one metering
   * period old) instead of waiting in the tap for a fresh one; what flowed since is billed to
   * nobody. It is signed while `checkSignature` verifies the stop (`KeyStore.signWhile`); the
   * contactor opens as soon as the check says yes, and the receipt is journaled once signed. A
   * forged stop changes nothing ('forged'); undefined: the stop ended the session, but the key
   * store did not sign its receipt (`retryReceipt`).
   */
  stop(contractSeq: number, checkSignature: SignatureCheck): EndedSession | 'forged' | undefined {
    const r = this.#running;
    if (r?.contract.seq !== contractSeq) throw new RangeError(`session: contract ${contractSeq} is not running`);
    const receipt = this.#receiptOf(r, this.#deps.clock.nowMs(), { reason: 'user', detail: EndDetail.userStop });
    let authentic = false;
    const signed = signRecordWhile(encodeReceipt(receipt), this.#deps.signer, () => {
      authentic = checkSignature();
      if (!authentic) return;
      this.#openContactor();
      this.#end(r, receipt, undefined);
    });
    if (!authentic) return 'forged';
    return signed.ok ? this.#journalReceipt(signed.value) : undefined;
  }

  /** Drop the session without a receipt (storage failed: the next boot finalises it). */
  abandon(): void {
    this.#running = undefined;
    this.#deps.contactor.command(false);
  }

  /** Open the contactor, take the final reading, journal the signed receipt. */
  finish(cause: EndCause): EndedSession | undefined {
    const r = this.#running;
    if (!r) return undefined;
    this.#openContactor();
    // A failing final read bills the last good one.
    const finalSample = cause.detail !== EndDetail.meterFault ? this.#sample(r) : undefined;
    this.#end(r, this.#receiptOf(r, this.#deps.clock.nowMs(), cause), finalSample);
    return this.retryReceipt();
  }

  /** The contract of a session that ended but whose receipt is not signed yet. */
  get awaitingReceipt(): number | undefined {
    return this.#unsigned?.receipt.contractSeq;
  }

  /**
   * Sign and journal the receipt of the session that ended (again, after the key store failed:
   * the controller tries at every tick). Until then no session starts and the contract stays open;
   * a power loss meanwhile leaves it to the next boot to finalise (powerLoss). A journal that
   * cannot take the receipt stops the pile.
   */
  retryReceipt(): EndedSession | undefined {
    const pending = this.#unsigned;
    if (!pending) return undefined;
    const signed = signRecord(encodeReceipt(pending.receipt), this.#deps.signer);
    return signed.ok ? this.#journalReceipt(signed.value) : undefined;
  }

  /** The receipt of `r` ending now, up to its last reading. */
  #receiptOf(r: Running, nowMs: number, cause: EndCause): Receipt {
    const durationS = Math.max(r.durationS, Math.floor((nowMs - r.startMs) / 1000));
    const usage = { energyWh: r.meterWh - r.contract.startMeterWh, durationS };
    return buildReceipt(r.contract, this.#deps.book.nextSeq, { ...usage, endMeterWh: r.meterWh, endAtS: Math.floor(nowMs / 1000) }, cause);
  }

  #openContactor(): void {
    this.#deps.contactor.command(false);
    this.#setPilot(PILOT_CONSTANT_PLUS_12V);
  }

  /** The session is over (its contactor opened): its receipt waits for the key store's signature. */
  #end(r: Running, receipt: Receipt, finalSample: MeterSample | undefined): void {
    this.#running = undefined;
    this.#unsigned = { receipt, open: r.entry.open, finalSample };
  }

  /** Journal the signed receipt of the session that ended; a journal that cannot take it stops the pile. */
  #journalReceipt(signedBytes: Uint8Array): EndedSession | undefined {
    const pending = this.#unsigned!;
    this.#unsigned = undefined;
    const appended = this.#deps.book.appendReceipt(pending.receipt, signedBytes);
    if (!appended.ok) return this.#halt(appended.reason);
    return { receipt: pending.receipt, signedBytes, open: pending.open, ...(pending.finalSample ? { finalSample: pending.finalSample } : {}) };
  }

  #halt(message: string): undefined {
    this.#deps.onDeviceFailure(message);
    return undefined;
  }

  /** Whole seconds since the contract started; never backwards, even if the clock is set back. */
  #advanceDuration(r: Running, nowMs: number): void {
    r.durationS = Math.max(r.durationS, Math.floor((nowMs - r.startMs) / 1000));
  }

  /** A pilot output that fails shows up as an invalid CP reading at the next tick (pilot fault). */
  #setPilot(dutyPerMille: number): void {
    try {
      this.#deps.pilot.setDutyPerMille(dutyPerMille);
    } catch {
      // judged by the next pilot reading
    }
  }

  /** Read the meter; a throw or a register that went backwards is a meter fault (undefined). */
  #sample(r: Running): MeterSample | undefined {
    let sample: MeterSample;
    try {
      sample = this.#deps.meter.sample();
    } catch {
      return undefined;
    }
    if (!Number.isSafeInteger(sample.energyWh) || sample.energyWh < r.meterWh) return undefined;
    r.meterWh = sample.energyWh;
    return sample;
  }

  #checkpoint(r: Running, nowMs: number): void {
    r.checkpointDurationS = r.durationS;
    const payload = encodeCheckpoint({ contractSeq: r.contract.seq, meterWh: r.meterWh, durationS: r.durationS, atS: Math.floor(nowMs / 1000) });
    const appended = this.#deps.journal.append(RecordKind.checkpoint, payload, { retention: 'state', headroomBytes: checkpointHeadroomBytes });
    // 'full': skip this one (the receipt's room is kept); the next period tries again.
    if (!appended.ok && appended.code !== 'full') this.#deps.onDeviceFailure(appended.reason);
  }
}

function usageOf(r: Running): Usage {
  return { energyWh: r.meterWh - r.contract.startMeterWh, durationS: r.durationS };
}

// MeterValues of the running transaction every MeterValueSampleInterval s (0: none), restarted
// when the central system changes the key. A sample goes only while the client is ready and the
// central system knows the transaction (its StartTransaction was answered); one at a time, and a
// sample that cannot go is dropped, not queued: it is live status, the Receipt bills.
import type { Clock, TimerId } from '../../hal/types.ts';
import type { EventSink } from '../events/event-log.ts';
import type { Configuration } from './configuration.ts';
import { METER_VALUES, type MeterReading, meterValuesRequest, parseMeterValuesConf } from './meter-values.ts';
import type { OcppClient } from './ocpp-client.ts';

/** The running session's contract and its meter now. */
export type SessionMeter = MeterReading & { contractSeq: number };

export type MeterValueSources = {
  /** Undefined when no session runs or the meter cannot be read. */
  sessionMeter: () => SessionMeter | undefined;
  /** The transaction id of a contract whose StartTransaction was answered. */
  transactionIdOf: (contractSeq: number) => number | undefined;
};

export class MeterValueSampling {
  readonly #client: OcppClient;
  readonly #clock: Clock;
  readonly #configuration: Configuration;
  readonly #sources: MeterValueSources;
  readonly #report: EventSink;
  #timer: TimerId | undefined;
  #inFlight = false;

  constructor(client: OcppClient, clock: Clock, configuration: Configuration, sources: MeterValueSources, report: EventSink) {
    this.#client = client;
    this.#clock = clock;
    this.#configuration = configuration;
    this.#sources = sources;
    this.#report = report;
    configuration.onMeterValueSampleIntervalChange(() => this.start());
  }

  /** (Re)start the sample timer at the configured interval. */
  start(): void {
    this.stop();
    const intervalMs = this.#configuration.meterValueSampleIntervalS * 1000;
    if (intervalMs > 0) this.#timer = this.#clock.setTimer(() => this.#sample(), intervalMs, intervalMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #sample(): void {
    if (this.#inFlight || !this.#client.ready) return;
    const session = this.#sources.sessionMeter();
    const transactionId = session && this.#sources.transactionIdOf(session.contractSeq);
    if (!session || transactionId === undefined) return;
    this.#inFlight = this.#client.call(METER_VALUES, meterValuesRequest(transactionId, session, this.#clock.nowMs()), (outcome) => {
      this.#inFlight = false;
      const conf = outcome.ok ? parseMeterValuesConf(outcome.value) : outcome;
      if (!conf.ok) this.#report('warning', `MeterValues ${conf.code}: ${conf.reason}`);
    });
  }
}

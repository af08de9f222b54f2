// The OCPP 1.6 configuration keys the pile supports (OCPP 1.6 §9.1, Core profile), their values
// and who may change them. Values live in RAM this step: a reboot returns to the defaults and the
// central system sets them again after BootNotification.
//
// Read-write, both integers in seconds (the spec's type), 0..86400:
// - HeartbeatInterval (§9.1.13): 0 stops heartbeats, as §4.6 lets a central system that sees
//   other traffic ask.
// - MeterValueSampleInterval (§9.1.17): MeterValues of a running transaction every that many
//   seconds; 0 sends none.
// The others describe the pile and are read-only.

export type ConfigurationKey = { key: string; readonly: boolean; value: string };

/** What ChangeConfiguration.conf answers (OCPP 1.6 §7.8 ConfigurationStatus). */
export type ChangeOutcome = 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';

/** Longest HeartbeatInterval taken, s (one day: a longer one would hide a dead link for days). */
export const HEARTBEAT_INTERVAL_MAX_S = 86_400;

/** Longest MeterValueSampleInterval taken, s (one day, as HeartbeatInterval). */
export const METER_VALUE_SAMPLE_INTERVAL_MAX_S = 86_400;

/** MeterValueSampleInterval until the central system sets it, s: a phone watching a session sees it move each minute. */
export const METER_VALUE_SAMPLE_INTERVAL_DEFAULT_S = 60;

/** Most keys one GetConfiguration.req may name (the spec's GetConfigurationMaxKeys). */
export const GET_CONFIGURATION_MAX_KEYS = 16;

export type ConfigurationDefaults = { heartbeatIntervalS: number; numberOfConnectors: number };

type IntervalKey = { valueS: number; maxS: number; listeners: ((valueS: number) => void)[] };

const HEARTBEAT_INTERVAL = 'HeartbeatInterval';
const METER_VALUE_SAMPLE_INTERVAL = 'MeterValueSampleInterval';

export class Configuration {
  /** The read-write keys, in GetConfiguration's order. */
  readonly #intervals: ReadonlyMap<string, IntervalKey>;
  readonly #readOnly: ReadonlyMap<string, string>;

  constructor(defaults: ConfigurationDefaults) {
    this.#intervals = new Map([
      [HEARTBEAT_INTERVAL, { valueS: defaults.heartbeatIntervalS, maxS: HEARTBEAT_INTERVAL_MAX_S, listeners: [] }],
      [METER_VALUE_SAMPLE_INTERVAL, { valueS: METER_VALUE_SAMPLE_INTERVAL_DEFAULT_S, maxS: METER_VALUE_SAMPLE_INTERVAL_MAX_S, listeners: [] }],
    ]);
    this.#readOnly = new Map([
      ['NumberOfConnectors', String(defaults.numberOfConnectors)],
      ['SupportedFeatureProfiles', 'Core'],
      ['GetConfigurationMaxKeys', String(GET_CONFIGURATION_MAX_KEYS)],
    ]);
  }

  get heartbeatIntervalS(): number {
    return this.#interval(HEARTBEAT_INTERVAL).valueS;
  }

  get meterValueSampleIntervalS(): number {
    return this.#interval(METER_VALUE_SAMPLE_INTERVAL).valueS;
  }

  /** Call `listener` with the new interval each time HeartbeatInterval changes. */
  onHeartbeatIntervalChange(listener: (intervalS: number) => void): void {
    this.#interval(HEARTBEAT_INTERVAL).listeners.push(listener);
  }

  /** Call `listener` with the new interval each time MeterValueSampleInterval changes. */
  onMeterValueSampleIntervalChange(listener: (intervalS: number) => void): void {
    this.#interval(METER_VALUE_SAMPLE_INTERVAL).listeners.push(listener);
  }

  /** Every key, in a fixed order. */
  all(): ConfigurationKey[] {
    const keys: ConfigurationKey[] = [];
    for (const [key, interval] of this.#intervals) keys.push({ key, readonly: false, value: String(interval.valueS) });
    for (const [key, value] of this.#readOnly) keys.push({ key, readonly: true, value });
    return keys;
  }

  /** One key, or undefined when the pile does not know it. */
  get(key: string): ConfigurationKey | undefined {
    return this.all().find((entry) => entry.key === key);
  }

  /** ChangeConfiguration (OCPP 1.6 §5.3): keys are compared case-sensitively, as the spec names them. */
  change(key: string, value: string): ChangeOutcome {
    if (this.#readOnly.has(key)) return 'Rejected';
    const interval = this.#intervals.get(key);
    if (!interval) return 'NotSupported';
    if (!/^\d{1,6}$/.test(value)) return 'Rejected';
    const valueS = Number(value);
    if (valueS > interval.maxS) return 'Rejected';
    this.#set(interval, valueS);
    return 'Accepted';
  }

  /** Set by BootNotification.conf's `interval` too (OCPP 1.6 §4.2). */
  setHeartbeatIntervalS(intervalS: number): void {
    this.#set(this.#interval(HEARTBEAT_INTERVAL), intervalS);
  }

  #interval(key: string): IntervalKey {
    return this.#intervals.get(key)!;
  }

  #set(interval: IntervalKey, valueS: number): void {
    if (valueS === interval.valueS) return;
    interval.valueS = valueS;
    for (const listener of interval.listeners) listener(valueS);
  }
}

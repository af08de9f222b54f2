// The OCPP 1.6 configuration keys the pile supports (OCPP 1.6 §9.1, Core profile), their values
// and who may change them. Values live in RAM this step: a reboot returns to the defaults and the
// central system sets them again after BootNotification.
//
// HeartbeatInterval is read-write (seconds; the spec's type is integer; 0 stops heartbeats, as
// §4.6 lets a central system that sees other traffic ask). The others describe the pile and are
// read-only.

export type ConfigurationKey = { key: string; readonly: boolean; value: string };

/** What ChangeConfiguration.conf answers (OCPP 1.6 §7.8 ConfigurationStatus). */
export type ChangeOutcome = 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';

/** Longest HeartbeatInterval taken, s (one day: a longer one would hide a dead link for days). */
export const HEARTBEAT_INTERVAL_MAX_S = 86_400;

/** Most keys one GetConfiguration.req may name (the spec's GetConfigurationMaxKeys). */
export const GET_CONFIGURATION_MAX_KEYS = 16;

export type ConfigurationDefaults = { heartbeatIntervalS: number; numberOfConnectors: number };

export class Configuration {
  #heartbeatIntervalS: number;
  readonly #readOnly: ReadonlyMap<string, string>;
  readonly #heartbeatListeners: ((intervalS: number) => void)[] = [];

  constructor(defaults: ConfigurationDefaults) {
    this.#heartbeatIntervalS = defaults.heartbeatIntervalS;
    this.#readOnly = new Map([
      ['NumberOfConnectors', String(defaults.numberOfConnectors)],
      ['SupportedFeatureProfiles', 'Core'],
      ['GetConfigurationMaxKeys', String(GET_CONFIGURATION_MAX_KEYS)],
    ]);
  }

  get heartbeatIntervalS(): number {
    return this.#heartbeatIntervalS;
  }

  /** Call `listener` with the new interval each time HeartbeatInterval changes. */
  onHeartbeatIntervalChange(listener: (intervalS: number) => void): void {
    this.#heartbeatListeners.push(listener);
  }

  /** Every key, in a fixed order. */
  all(): ConfigurationKey[] {
    const keys: ConfigurationKey[] = [{ key: 'HeartbeatInterval', readonly: false, value: String(this.#heartbeatIntervalS) }];
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
    if (key !== 'HeartbeatInterval') return 'NotSupported';
    if (!/^\d{1,6}$/.test(value)) return 'Rejected';
    const intervalS = Number(value);
    if (intervalS > HEARTBEAT_INTERVAL_MAX_S) return 'Rejected';
    this.setHeartbeatIntervalS(intervalS);
    return 'Accepted';
  }

  /** Set by BootNotification.conf's `interval` too (OCPP 1.6 §4.2). */
  setHeartbeatIntervalS(intervalS: number): void {
    if (intervalS === this.#heartbeatIntervalS) return;
    this.#heartbeatIntervalS = intervalS;
    for (const listener of this.#heartbeatListeners) listener(intervalS);
  }
}

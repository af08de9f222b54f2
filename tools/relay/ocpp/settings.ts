// The relay's OCPP settings, each with its default (tools/relay/README.md "OCPP endpoint").
export type OcppSettings = {
  /** BootNotification.conf `interval` once the pile is proven: its HeartbeatInterval, s. */
  heartbeatIntervalS: number;
  /** BootNotification.conf `interval` while Pending (not proven yet): when the pile boots again, s. */
  pendingIntervalS: number;
  /** A connection whose identity challenge is not answered within this is closed, ms. */
  proofTimeoutMs: number;
  /** A DataTransfer to a pile (the virtual channel's commands) not answered within this fails, ms. */
  transferTimeoutMs: number;
};

export const defaultOcppSettings: OcppSettings = Object.freeze({
  // Five minutes: a dead link shows within one, and 10 000 idle piles send 33 heartbeats a second.
  heartbeatIntervalS: 300,
  // A proof takes one round trip, so a pile seldom waits the whole of it.
  pendingIntervalS: 10,
  proofTimeoutMs: 30_000,
  // A START or STOP takes the pile one signature (≈ 0.1–0.3 s); the rest is the uplink's latency.
  transferTimeoutMs: 10_000,
});

export function ocppSettingsWith(overrides: Partial<OcppSettings> = {}): OcppSettings {
  const settings = { ...defaultOcppSettings, ...overrides };
  const check = (name: keyof OcppSettings, min: number, max: number) => {
    const value = settings[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`relay ocpp: "${name}" expected an integer ${min}..${max}, got ${value}`);
  };
  check('heartbeatIntervalS', 1, 86_400);
  check('pendingIntervalS', 1, 3600);
  check('proofTimeoutMs', 1, 600_000);
  check('transferTimeoutMs', 1, 600_000);
  return settings;
}

// The PWM duty cycle the EVSE sends on the control pilot to tell the vehicle how much current it
// may draw: IEC 61851-1:2017 Annex A, Table A.8 ("Pilot duty cycle provided by EVSE"):
//   6 A ≤ I ≤ 51 A:  duty % = I / 0.6        → per-mille = I[mA] / 60
//   51 A < I ≤ 80 A: duty % = I / 2.5 + 64   → per-mille = I[mA] / 250 + 640
// Worked values: 6 A → 10 %, 16 A → 26.7 %, 32 A → 53.3 %, 51 A → 85 %, 63 A → 89.2 %, 80 A → 96 %.
// Rounding: half-up to the nearest per-mille (the table's one-decimal percentages), in integers.

/** Smallest current a PWM can offer (10 %); below it the vehicle may not charge. */
export const PWM_MIN_CURRENT_MA = 6000;
/** Largest current Table A.8 can express (96 %). */
export const PWM_MAX_CURRENT_MA = 80_000;
const splitCurrentMa = 51_000;

/** Duty (per-mille, 100..960) advertising `currentMa` (6000..80000). */
export function dutyPerMilleForCurrentMa(currentMa: number): number {
  if (!Number.isInteger(currentMa) || currentMa < PWM_MIN_CURRENT_MA || currentMa > PWM_MAX_CURRENT_MA) {
    throw new RangeError(`pilot-duty: "currentMa" expected an integer in ${PWM_MIN_CURRENT_MA}..${PWM_MAX_CURRENT_MA}, got ${currentMa}`);
  }
  if (currentMa <= splitCurrentMa) return Math.floor((currentMa + 30) / 60);
  return Math.floor((currentMa + 125) / 250) + 640;
}

/**
 * Current the pile may offer for its configured power limit at the measured line voltage, mA
 * (rounded down, capped at what a PWM can express); undefined when it is below 6 A.
 */
export function allowedCurrentMa(maxPowerW: number, voltageMv: number): number | undefined {
  if (!Number.isInteger(maxPowerW) || maxPowerW <= 0) throw new RangeError(`pilot-duty: "maxPowerW" expected a positive integer, got ${maxPowerW}`);
  if (!Number.isInteger(voltageMv) || voltageMv <= 0) return undefined;
  // W / V = A, so W × 10^6 / mV = mA.
  const currentMa = Math.min(PWM_MAX_CURRENT_MA, Math.floor((maxPowerW * 1_000_000) / voltageMv));
  return currentMa < PWM_MIN_CURRENT_MA ? undefined : currentMa;
}

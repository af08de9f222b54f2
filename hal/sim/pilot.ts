// SIMULATION of the EVSE side of the IEC 61851-1 control pilot (Annex A, Figure A.1): a ±12 V,
// 1 kHz generator behind R1 = 1 kΩ, and an ADC sampling the CP line during the high part.
// With the vehicle's diode (≈ 0.7 V) and load R in series, the high level is
//   V = 12 V − R1 × (12 V − 0.7 V) / (R1 + R)
// which gives 12 V with no vehicle (state A), ≈ 9 V for R2 = 2.74 kΩ (B), ≈ 6 V for
// 2.74 kΩ ∥ 1.3 kΩ (C), ≈ 3 V for 2.74 kΩ ∥ 270 Ω (D), 0 V when shorted (E).
import { PILOT_CONSTANT_MINUS_12V, PILOT_CONSTANT_PLUS_12V, type Pilot } from '../types.ts';

/** What hangs on the CP line: the vehicle's load for the pilot signal it sees. */
export interface PilotLoad {
  /** Resistance after the vehicle's diode, Ω (0 = CP shorted to PE). */
  pilotLoadOhms(dutyPerMille: number): number;
}

const sourceMv = 12_000, diodeMv = 700, r1Ohms = 1000;

export class PilotSim implements Pilot {
  #dutyPerMille = PILOT_CONSTANT_PLUS_12V;
  #load: PilotLoad | undefined;

  setDutyPerMille(dutyPerMille: number): void {
    if (!Number.isInteger(dutyPerMille) || dutyPerMille < PILOT_CONSTANT_MINUS_12V || dutyPerMille > PILOT_CONSTANT_PLUS_12V) {
      throw new RangeError(`sim/pilot: "dutyPerMille" expected an integer in 0..1000, got ${dutyPerMille}`);
    }
    this.#dutyPerMille = dutyPerMille;
  }

  readHighMv(): number {
    if (this.#dutyPerMille === PILOT_CONSTANT_MINUS_12V) return -sourceMv;
    if (!this.#load) return sourceMv;
    const loadOhms = this.#load.pilotLoadOhms(this.#dutyPerMille);
    if (loadOhms === 0) return 0;
    return sourceMv - Math.round((r1Ohms * (sourceMv - diodeMv)) / (r1Ohms + loadOhms));
  }

  /** The output last set (what the vehicle sees). */
  get dutyPerMille(): number {
    return this.#dutyPerMille;
  }

  /** Plug in (a load) or unplug (undefined) at the connector. */
  attach(load: PilotLoad | undefined): void {
    this.#load = load;
  }
}

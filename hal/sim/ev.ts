// SIMULATION of an electric vehicle on an IEC 61851-1 mode 3 AC outlet (single phase).
//
// Vehicle side of the control pilot (IEC 61851-1 Annex A, Figure A.1): a diode, R2 = 2.74 kΩ
// always, R3 = 1.3 kΩ switched in parallel by S2 to ask for energy (state C; 270 Ω for a vehicle
// needing ventilation, state D). The vehicle closes S2 only while the EVSE sends a valid PWM, the
// battery is not full and it wants to charge; it draws min(its on-board charger limit, the PWM
// allowance) while the supply is energised, and opens S2 (back to B) when the battery is full.
// Battery energy is tracked in mJ; this is vehicle physics, not billing.
import type { PilotLoad } from './pilot.ts';

export type EvOptions = {
  /** Usable battery capacity, Wh. */
  batteryWh: number;
  /** State of charge at the start, per-mille (0..1000). */
  stateOfChargePerMille: number;
  /** On-board charger limit, mA (e.g. 32000 for a 7.4 kW single-phase charger). */
  maxCurrentMa: number;
  /** Asks for state D (ventilation) instead of C. */
  needsVentilation?: boolean;
};

export type EvCpState = 'B' | 'C' | 'D' | 'E';

const r2Ohms = 2740, r3ChargeOhms = 1300, r3VentilationOhms = 270;
const mjPerWh = 3_600_000;

/** IEC 61851-1 Table A.8: current the EV may draw for a PWM duty (per-mille), mA; 0 = may not charge. */
export function allowedCurrentMa(dutyPerMille: number): number {
  if (dutyPerMille < 80 || dutyPerMille > 970) return 0; // no PWM, digital communication or invalid
  if (dutyPerMille < 100) return 6000;
  if (dutyPerMille <= 850) return dutyPerMille * 60; // 10 %..85 %: duty % × 0.6 A
  if (dutyPerMille <= 960) return (dutyPerMille - 640) * 250; // 85 %..96 %: (duty % − 64) × 2.5 A
  return 80_000;
}

export class EvSim implements PilotLoad {
  readonly batteryWh: number;
  readonly maxCurrentMa: number;
  readonly #needsVentilation: boolean;
  #storedMj: number;
  #carryNj = 0;
  #wantsCharge = true;
  #pilotShorted = false;

  constructor(options: EvOptions) {
    const { batteryWh, stateOfChargePerMille, maxCurrentMa } = options;
    if (!Number.isInteger(batteryWh) || batteryWh <= 0) throw new RangeError(`sim/ev: "batteryWh" expected a positive integer, got ${batteryWh}`);
    if (!Number.isInteger(stateOfChargePerMille) || stateOfChargePerMille < 0 || stateOfChargePerMille > 1000) {
      throw new RangeError(`sim/ev: "stateOfChargePerMille" expected an integer in 0..1000, got ${stateOfChargePerMille}`);
    }
    if (!Number.isInteger(maxCurrentMa) || maxCurrentMa <= 0) throw new RangeError(`sim/ev: "maxCurrentMa" expected a positive integer, got ${maxCurrentMa}`);
    this.batteryWh = batteryWh;
    this.maxCurrentMa = maxCurrentMa;
    this.#needsVentilation = options.needsVentilation ?? false;
    this.#storedMj = Math.floor((batteryWh * stateOfChargePerMille) / 1000) * mjPerWh;
  }

  get stateOfChargePerMille(): number {
    return Math.floor((this.#storedMj * 1000) / (this.batteryWh * mjPerWh));
  }

  /** Energy taken into the battery so far, whole Wh. */
  get storedWh(): number {
    return Math.floor(this.#storedMj / mjPerWh);
  }

  get full(): boolean {
    return this.#storedMj >= this.batteryWh * mjPerWh;
  }

  /** The driver stops (false) or resumes (true) charging from the vehicle (S2 opens / may close). */
  setWantsCharge(wants: boolean): void {
    this.#wantsCharge = wants;
  }

  /** Fault: CP shorted to PE inside the vehicle or cable (state E, 0 V). */
  shortPilot(shorted = true): void {
    this.#pilotShorted = shorted;
  }

  /** CP state the vehicle presents for this pilot signal. */
  cpState(dutyPerMille: number): EvCpState {
    if (this.#pilotShorted) return 'E';
    if (!this.#wantsCharge || this.full || allowedCurrentMa(dutyPerMille) === 0) return 'B';
    return this.#needsVentilation ? 'D' : 'C';
  }

  pilotLoadOhms(dutyPerMille: number): number {
    switch (this.cpState(dutyPerMille)) {
      case 'E':
        return 0;
      case 'B':
        return r2Ohms;
      case 'C':
        return parallel(r2Ohms, r3ChargeOhms);
      case 'D':
        return parallel(r2Ohms, r3VentilationOhms);
    }
  }

  /** Current the vehicle draws now, mA, given the pilot signal and whether the supply is live. */
  demandMa(dutyPerMille: number, energized: boolean): number {
    const state = this.cpState(dutyPerMille);
    if (!energized || (state !== 'C' && state !== 'D')) return 0;
    return Math.min(this.maxCurrentMa, allowedCurrentMa(dutyPerMille));
  }

  /** How long the vehicle can take `currentMa` at `voltageMv` before the battery is full, ms. */
  msUntilFull(voltageMv: number, currentMa: number): number {
    if (this.full) return 0;
    if (currentMa <= 0) return Infinity;
    const roomNj = (this.batteryWh * mjPerWh - this.#storedMj) * 1e6 - this.#carryNj;
    return Math.max(1, Math.ceil(roomNj / (voltageMv * currentMa)));
  }

  /** Take energy at `voltageMv` × `currentMa` for `durationMs` (mV × mA × ms = nJ). */
  absorb(durationMs: number, voltageMv: number, currentMa: number): void {
    if (currentMa <= 0 || durationMs <= 0 || this.full) return;
    const totalNj = this.#carryNj + voltageMv * currentMa * durationMs;
    this.#storedMj = Math.min(this.batteryWh * mjPerWh, this.#storedMj + Math.floor(totalNj / 1e6));
    this.#carryNj = totalNj % 1e6;
  }
}

function parallel(a: number, b: number): number {
  return Math.round((a * b) / (a + b));
}

// SIMULATION of a single-phase energy metering chip (the behaviour of e.g. the ADE7953 / HLW8032
// class): it integrates voltage × current into an energy accumulator and exposes only whole Wh in
// its cumulative import register; the sub-Wh remainder stays inside the chip (here in nJ), so no
// energy is lost or invented between readings. The register is the meter's own non-volatile
// counter: it survives pile reboots and only ever grows.
import type { Meter, MeterSample } from '../types.ts';

export type EnergyMeterOptions = {
  /** Register value at start, whole Wh. */
  energyWh?: number;
  /** Line voltage, mV. */
  voltageMv?: number;
  /** The current transformer: current flowing now, mA (≥ 0). */
  probeCurrentMa?: () => number;
  /** The serial number the chip reports (unsigned 32-bit). */
  serialNumber?: number;
};

const defaults = { energyWh: 0, voltageMv: 230_000, probeCurrentMa: () => 0, serialNumber: 20_260_001 };
const njPerWh = 3_600_000_000_000;
/** Integration step: keeps mV × mA × ms (nJ) within safe integers. */
const maxStepMs = 1000;

export class EnergyMeterSim implements Meter {
  #energyWh: number;
  #remainderNj = 0;
  #voltageMv: number;
  #probeCurrentMa: () => number;
  readonly #serialNumber: number;

  constructor(options: EnergyMeterOptions = {}) {
    const o = { ...defaults, ...options };
    if (!Number.isSafeInteger(o.energyWh) || o.energyWh < 0) throw new RangeError(`sim/meter: "energyWh" expected a non-negative integer, got ${o.energyWh}`);
    if (!Number.isInteger(o.voltageMv) || o.voltageMv <= 0) throw new RangeError(`sim/meter: "voltageMv" expected a positive integer, got ${o.voltageMv}`);
    this.#energyWh = o.energyWh;
    this.#voltageMv = o.voltageMv;
    if (!Number.isInteger(o.serialNumber) || o.serialNumber < 0 || o.serialNumber > 0xffff_ffff) throw new RangeError(`sim/meter: "serialNumber" expected an unsigned 32-bit integer, got ${o.serialNumber}`);
    this.#probeCurrentMa = o.probeCurrentMa;
    this.#serialNumber = o.serialNumber;
  }

  readSerialNumber(): number {
    return this.#serialNumber;
  }

  sample(): MeterSample {
    const currentMa = this.#currentMa();
    return {
      energyWh: this.#energyWh,
      powerW: Math.round((this.#voltageMv * currentMa) / 1_000_000),
      currentMa,
      voltageMv: this.#voltageMv,
    };
  }

  get voltageMv(): number {
    return this.#voltageMv;
  }

  /** Accumulate `durationMs` at the present voltage and the current the probe reads now. */
  integrate(durationMs: number): void {
    if (!Number.isInteger(durationMs) || durationMs < 0) throw new RangeError(`sim/meter: "durationMs" expected a non-negative integer, got ${durationMs}`);
    const currentMa = this.#currentMa();
    for (let left = durationMs; left > 0; left -= maxStepMs) {
      this.#remainderNj += this.#voltageMv * currentMa * Math.min(left, maxStepMs);
      const wholeWh = Math.floor(this.#remainderNj / njPerWh);
      this.#energyWh += wholeWh;
      this.#remainderNj -= wholeWh * njPerWh;
    }
  }

  #currentMa(): number {
    const currentMa = this.#probeCurrentMa();
    if (!Number.isInteger(currentMa) || currentMa < 0) throw new RangeError(`sim/meter: probe expected a non-negative integer mA, got ${currentMa}`);
    return currentMa;
  }
}

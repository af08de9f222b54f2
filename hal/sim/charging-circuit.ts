// SIMULATION of the power path of one AC charging point: grid → meter → contactor → connector →
// vehicle, with the control pilot between the pile and the vehicle. It runs on the virtual clock:
// for every slice of elapsed time the vehicle draws what the pilot allows while the contactor
// conducts, and the meter integrates exactly that current. The vehicle can be plugged in and
// pulled out at any moment.
import type { ContactorSim } from './contactor.ts';
import { EnergyMeterSim } from './energy-meter.ts';
import type { EvSim } from './ev.ts';
import type { PilotSim } from './pilot.ts';
import type { VirtualClock } from './virtual-clock.ts';

export type ChargingCircuitOptions = {
  clock: VirtualClock;
  contactor: ContactorSim;
  pilot: PilotSim;
  /** Meter register at start, whole Wh. */
  meterEnergyWh?: number;
  /** The meter's serial number (default: the meter's). */
  meterSerialNumber?: number;
  /** Line voltage, mV. */
  voltageMv?: number;
};

/** Longest slice simulated at once (the vehicle's state is re-evaluated at least this often). */
const sliceMs = 1000;

export class ChargingCircuitSim {
  readonly meter: EnergyMeterSim;
  readonly #contactor: ContactorSim;
  readonly #pilot: PilotSim;
  #ev: EvSim | undefined;

  constructor(options: ChargingCircuitOptions) {
    this.#contactor = options.contactor;
    this.#pilot = options.pilot;
    this.meter = new EnergyMeterSim({
      energyWh: options.meterEnergyWh ?? 0,
      voltageMv: options.voltageMv ?? 230_000,
      ...(options.meterSerialNumber === undefined ? {} : { serialNumber: options.meterSerialNumber }),
      probeCurrentMa: () => this.currentMa,
    });
    options.clock.onElapse((elapsedMs) => this.#run(elapsedMs));
  }

  /** The vehicle at the connector, if any. */
  get ev(): EvSim | undefined {
    return this.#ev;
  }

  /** Current flowing to the vehicle now, mA. */
  get currentMa(): number {
    return this.#ev ? this.#ev.demandMa(this.#pilot.dutyPerMille, this.#contactor.conducting) : 0;
  }

  plug(ev: EvSim): void {
    if (this.#ev) throw new Error('sim/circuit: a vehicle is already plugged in');
    this.#ev = ev;
    this.#pilot.attach(ev);
  }

  /** Pull the plug (whatever the contactor is doing). */
  unplug(): void {
    this.#ev = undefined;
    this.#pilot.attach(undefined);
  }

  #run(elapsedMs: number): void {
    for (let left = elapsedMs; left > 0; ) {
      let stepMs = Math.min(left, sliceMs);
      const currentMa = this.currentMa;
      if (this.#ev && currentMa > 0) stepMs = Math.min(stepMs, this.#ev.msUntilFull(this.meter.voltageMv, currentMa));
      this.meter.integrate(stepMs);
      this.#ev?.absorb(stepMs, this.meter.voltageMv, currentMa);
      left -= stepMs;
    }
  }
}

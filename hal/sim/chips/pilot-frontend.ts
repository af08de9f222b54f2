// SIMULATION of the control pilot's analogue front end on the board: the LEDC PWM output driving
// the ±12 V generator (hal/sim/pilot.ts), and the sense divider feeding the ADC. The ADC read is
// modelled as the native high-phase sampler the driver expects: it converts the CP high level
// (during the −12 V constant output, the −12 V level). The divider maps `lowMv`..`highMv` onto
// the ADC's codes, clamped at both ends as the input saturates.
// Faults: `stickAdc(code)` — the ADC returns that code whatever the line does (a broken sense
// path); `unstickAdc()`.
import type { AnalogLine, PwmLine } from '../io/wiring.ts';
import type { PilotSim } from '../pilot.ts';

export type PilotFrontendOptions = { pilot: PilotSim; lowMv: number; highMv: number };

export class PilotFrontend {
  readonly pwm: PwmLine;
  readonly sense: AnalogLine;
  #stuckCode: number | undefined;
  #hz = 0;

  constructor(options: PilotFrontendOptions) {
    const { pilot, lowMv, highMv } = options;
    this.pwm = {
      drive: (value, resolution, hz) => {
        this.#hz = hz;
        pilot.setDutyPerMille(Math.round((value * 1000) / (2 ** resolution - 1)));
      },
    };
    this.sense = {
      code: (resolution) => {
        const top = 2 ** resolution - 1;
        if (this.#stuckCode !== undefined) return Math.min(this.#stuckCode, top);
        const code = Math.round(((pilot.readHighMv() - lowMv) * top) / (highMv - lowMv));
        return Math.min(top, Math.max(0, code));
      },
    };
  }

  /** The PWM frequency the pile set, Hz. */
  get hz(): number {
    return this.#hz;
  }

  stickAdc(code: number): void {
    this.#stuckCode = code;
  }

  unstickAdc(): void {
    this.#stuckCode = undefined;
  }
}

// IEC 61851-1 control pilot, EVSE side (IEC 61851-1:2017 Annex A, Figure A.1 and Table A.1): the
// MCU's 1 kHz PWM (ESP32 LEDC) drives an op-amp stage swinging the CP line between +12 V and −12 V
// through R1 = 1 kΩ; the CP line comes back through a resistor divider with an offset onto an ADC
// input, mapping the board's sense range (`lowMv`..`highMv`) linearly onto the ADC's codes.
//
// The vehicle's state is in the HIGH level of the waveform (the low level is always −12 V), so the
// ADC must be read during the high phase. On the ESP32 that takes a native sampler started from the
// LEDC timer (not built here; see the README's "For hardware vendors"); this driver takes the
// largest of `samples` reads, which is the high level when the reads are triggered in the high
// phase (samples = 1) or when enough free-running reads spread over a PWM period to land in it.
// Classifying the level into states A–F, with hysteresis between neighbouring ranges, is the
// firmware's (firmware/charging/control-pilot.ts): the same on every board.

/** The part of ECMA-419 `embedded:io/pwm` this driver uses. */
export interface PwmIo {
  readonly resolution: number;
  write(value: number): void;
  close?(): void;
}
export type PwmIoClass = new (options: { pin: number; hz: number }) => PwmIo;

/** The part of ECMA-419 `embedded:io/analog` this driver uses. */
export interface AnalogIo {
  readonly resolution: number;
  read(): number;
  close?(): void;
}
export type AnalogIoClass = new (options: { pin: number }) => AnalogIo;

export type ControlPilotOptions = {
  pwm: { io: PwmIoClass; pin: number };
  sense: {
    io: AnalogIoClass;
    pin: number;
    /** CP voltage read as ADC code 0 and as the top code, mV (the divider's range). */
    lowMv: number;
    highMv: number;
    /** Reads per measurement; the largest is the high level. */
    samples?: number;
  };
};

/** IEC 61851-1 §A.2.1: the generator runs at 1 kHz. */
export const PILOT_PWM_HZ = 1000;
const perMille = 1000;

export class ControlPilotError extends Error {
  override readonly name = 'ControlPilotError';
  constructor(message: string) {
    super(`control-pilot: ${message}`);
  }
}

export class ControlPilot {
  readonly #pwm: PwmIo;
  readonly #sense: AnalogIo;
  readonly #lowMv: number;
  readonly #spanMv: number;
  readonly #samples: number;
  readonly #topPwm: number;
  readonly #topCode: number;

  constructor(options: ControlPilotOptions) {
    const { pwm, sense } = options;
    const samples = sense.samples ?? 1;
    if (!Number.isInteger(sense.lowMv) || !Number.isInteger(sense.highMv) || sense.highMv <= sense.lowMv) {
      throw new RangeError(`control-pilot: "lowMv"/"highMv" expected integers with lowMv < highMv, got ${sense.lowMv}/${sense.highMv}`);
    }
    if (!Number.isInteger(samples) || samples < 1 || samples > 256) throw new RangeError(`control-pilot: "samples" expected an integer in 1..256, got ${samples}`);
    this.#pwm = new pwm.io({ pin: pwm.pin, hz: PILOT_PWM_HZ });
    this.#sense = new sense.io({ pin: sense.pin });
    // Below 10 bits a per-mille duty no longer maps to its own PWM value.
    if (this.#pwm.resolution < 10) throw new RangeError(`control-pilot: PWM resolution ${this.#pwm.resolution} bits, need ≥ 10`);
    this.#topPwm = 2 ** this.#pwm.resolution - 1;
    this.#topCode = 2 ** this.#sense.resolution - 1;
    this.#lowMv = sense.lowMv;
    this.#spanMv = sense.highMv - sense.lowMv;
    this.#samples = samples;
    this.setDutyPerMille(perMille);
  }

  /** 0 = constant −12 V, 1000 = constant +12 V, else the PWM duty in per-mille. */
  setDutyPerMille(dutyPerMille: number): void {
    if (!Number.isInteger(dutyPerMille) || dutyPerMille < 0 || dutyPerMille > perMille) {
      throw new RangeError(`control-pilot: "dutyPerMille" expected an integer in 0..1000, got ${dutyPerMille}`);
    }
    this.#pwm.write(Math.round((dutyPerMille * this.#topPwm) / perMille));
  }

  /** The CP high level, mV. */
  readHighMv(): number {
    let highest = -1;
    for (let i = 0; i < this.#samples; i++) {
      const code = this.#sense.read();
      if (!Number.isInteger(code) || code < 0 || code > this.#topCode) throw new ControlPilotError(`ADC answered ${code}, outside 0..${this.#topCode}`);
      if (code > highest) highest = code;
    }
    return this.#lowMv + Math.round((highest * this.#spanMv) / this.#topCode);
  }

  close(): void {
    this.setDutyPerMille(0);
    this.#pwm.close?.();
    this.#sense.close?.();
  }
}

// Reading the vehicle's state from the control pilot's high level: IEC 61851-1:2017 Annex A,
// Table A.4 (EVSE-side detection ranges): A 12 V (11..13 V), B 9 V (8..10 V), C 6 V (5..7 V),
// D 3 V (2..4 V), E 0 V (−1..1 V: CP shorted), F −12 V (the EVSE's own "not available" output).
// The 1 V gaps between neighbouring ranges are the hysteresis band: a reading there keeps the
// state on either side of the gap it was already in (so a pilot hovering at a boundary does not
// chatter between states), and is 'invalid' from anywhere else. Entering a state takes a reading
// inside its range. Beyond the outer ranges, or an ADC that throws, is 'invalid' (a pilot fault).
import type { Pilot } from '../../hal/types.ts';

export type CpState = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'invalid';

/** Table A.4 ranges, highest first: [state, lowest mV, highest mV]. */
const ranges: readonly (readonly [CpState, number, number])[] = Object.freeze([
  Object.freeze(['A', 11_000, 13_000] as const),
  Object.freeze(['B', 8_000, 10_000] as const),
  Object.freeze(['C', 5_000, 7_000] as const),
  Object.freeze(['D', 2_000, 4_000] as const),
  Object.freeze(['E', -1_000, 1_000] as const),
  Object.freeze(['F', -13_000, -11_000] as const),
]);
const hysteresisGapMv = 1_000;

/** The state a high level of `highMv` means, when the state read before was `previous`. */
export function cpStateForMv(highMv: number, previous: CpState = 'invalid'): CpState {
  for (let i = 0; i < ranges.length; i++) {
    const [state, lowMv, highLimitMv] = ranges[i]!;
    if (highMv >= lowMv && highMv <= highLimitMv) return state;
    const below = ranges[i + 1];
    if (!below || highMv >= lowMv || highMv <= below[2]) continue;
    // In the gap between `state` and `below`.
    if (lowMv - below[2] <= hysteresisGapMv && (previous === state || previous === below[0])) return previous;
    return 'invalid';
  }
  return 'invalid';
}

/** The pilot's state, read with the hysteresis of the state read before. */
export class CpReader {
  readonly #pilot: Pilot;
  #state: CpState = 'invalid';

  constructor(pilot: Pilot) {
    this.#pilot = pilot;
  }

  read(): CpState {
    try {
      this.#state = cpStateForMv(this.#pilot.readHighMv(), this.#state);
    } catch {
      this.#state = 'invalid';
    }
    return this.#state;
  }
}

/** A vehicle is at the connector (B, C or D). */
export function vehicleConnected(state: CpState): boolean {
  return state === 'B' || state === 'C' || state === 'D';
}

/** The vehicle asks for energy (C, or D with ventilation). */
export function vehicleRequestsEnergy(state: CpState): boolean {
  return state === 'C' || state === 'D';
}

// Reading the vehicle's state from the control pilot's high level: IEC 61851-1:2017 Annex A,
// Table A.4 (EVSE-side detection ranges): A 12 V (11..13 V), B 9 V (8..10 V), C 6 V (5..7 V),
// D 3 V (2..4 V), E 0 V (−1..1 V: CP shorted), F −12 V (the EVSE's own "not available" output).
// Anything between the ranges is 'invalid' (a pilot fault), as is an ADC that throws.
import type { Pilot } from '../../hal/types.ts';

export type CpState = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'invalid';

const ranges: readonly [CpState, number, number][] = [
  ['A', 11_000, 13_000],
  ['B', 8_000, 10_000],
  ['C', 5_000, 7_000],
  ['D', 2_000, 4_000],
  ['E', -1_000, 1_000],
  ['F', -13_000, -11_000],
];

export function cpStateForMv(highMv: number): CpState {
  for (const [state, lowMv, highLimitMv] of ranges) if (highMv >= lowMv && highMv <= highLimitMv) return state;
  return 'invalid';
}

export function readCpState(pilot: Pilot): CpState {
  try {
    return cpStateForMv(pilot.readHighMv());
  } catch {
    return 'invalid';
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

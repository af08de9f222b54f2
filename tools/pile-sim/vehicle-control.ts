// CONTROL requests of the TCP bridge for the SIMULATED vehicle and clock of a served pile:
//   {"op":"plug", "batteryWh"?, "stateOfChargePerMille"?, "maxCurrentMa"?}  plug an EV in
//   {"op":"unplug"}                                                          pull the plug (any time)
//   {"op":"vehicle", "wantsCharge": bool}                                    the EV stops / resumes drawing
//   {"op":"advance", "ms": N}                                                move the pile's clock forward
//   {"op":"status"}                                                          what the pile shows and does
// Each answers the status object; bad requests throw PileSimError 'bad-control' (the bridge answers ERROR).
import { EvSim } from '../../hal/sim/ev.ts';
import type { SimulatedPile } from '../../hal/sim/simulated-pile.ts';
import type { PileHandle } from '../../firmware/pile.ts';
import { PileSimError } from './errors.ts';

export const defaultVehicle = Object.freeze({ batteryWh: 60_000, stateOfChargePerMille: 200, maxCurrentMa: 32_000 });
/** One advance moves the clock at most a day (a bounded request). */
const maxAdvanceMs = 86_400_000;

export type PileStatus = {
  pileId: string;
  state: string;
  display: readonly string[];
  displayStatus: string;
  plugged: boolean;
  vehicleStoredWh: number | undefined;
  meterEnergyWh: number;
  contactorClosed: boolean;
  nowMs: number;
};

export function pileStatus(pile: SimulatedPile, handle: PileHandle, pileId: string): PileStatus {
  const ev = pile.circuit.ev;
  return {
    pileId,
    state: handle.services?.state() ?? `fault: ${handle.fault}`,
    display: pile.display.lines,
    displayStatus: pile.display.status,
    plugged: ev !== undefined,
    vehicleStoredWh: ev?.storedWh,
    meterEnergyWh: pile.circuit.meter.sample().energyWh,
    contactorClosed: pile.contactor.conducting,
    nowMs: pile.clock.nowMs(),
  };
}

function intField(request: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number {
  const value = request[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new PileSimError('bad-control', `"${name}" expected an integer ${min}..${max}, got ${JSON.stringify(request[name])}`);
  return value;
}

export function plugVehicle(pile: SimulatedPile, request: Record<string, unknown>): void {
  if (pile.circuit.ev) throw new PileSimError('bad-control', 'a vehicle is already plugged in');
  pile.circuit.plug(new EvSim({
    batteryWh: intField(request, 'batteryWh', 1, 1_000_000, defaultVehicle.batteryWh),
    stateOfChargePerMille: intField(request, 'stateOfChargePerMille', 0, 1000, defaultVehicle.stateOfChargePerMille),
    maxCurrentMa: intField(request, 'maxCurrentMa', 1, 500_000, defaultVehicle.maxCurrentMa),
  }));
}

/** Applies one control request; `advance` is how the caller moves its clock. */
export function handleControl(pile: SimulatedPile, handle: PileHandle, pileId: string, request: Record<string, unknown>, advance: (ms: number) => void): PileStatus {
  switch (request.op) {
    case 'plug':
      plugVehicle(pile, request);
      break;
    case 'unplug':
      if (!pile.circuit.ev) throw new PileSimError('bad-control', 'no vehicle is plugged in');
      pile.circuit.unplug();
      break;
    case 'vehicle': {
      const ev = pile.circuit.ev;
      if (!ev) throw new PileSimError('bad-control', 'no vehicle is plugged in');
      if (typeof request.wantsCharge !== 'boolean') throw new PileSimError('bad-control', '"wantsCharge" expected true or false');
      ev.setWantsCharge(request.wantsCharge);
      break;
    }
    case 'advance':
      advance(intField(request, 'ms', 0, maxAdvanceMs));
      break;
    case 'status':
      break;
    default:
      throw new PileSimError('bad-control', `unknown op ${JSON.stringify(request.op ?? null)} (plug, unplug, vehicle, advance, status)`);
  }
  return pileStatus(pile, handle, pileId);
}

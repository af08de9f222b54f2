// MeterValues.req (OCPP 1.6 §4.7) as the live-status samples the relay passes on: per meterValue,
// the energy register (Energy.Active.Import.Register, the measurand when none is named) in Wh and
// the active power (Power.Active.Import) in W. Units Wh/kWh and W/kW are converted; a value in any
// other unit, per phase, signed (format SignedData) or not a decimal number is ignored. Billing
// never reads these: the pile's signed records bill.
import type { UplinkEvent } from './uplinks.ts';

type Payload = Record<string, unknown>;
type SampledValue = { value: string; format?: string; measurand?: string; phase?: string; unit?: string };
export type MeterSample = Extract<UplinkEvent, { kind: 'meter' }>;

const ENERGY = 'Energy.Active.Import.Register';
const POWER = 'Power.Active.Import';
const decimal = /^-?\d+(\.\d+)?$/;

/** Per measurand: its unit when none is named, and the factor of each unit taken to Wh (energy) or W (power). */
const units: Record<string, { base: string; factors: Record<string, number> }> = {
  [ENERGY]: { base: 'Wh', factors: { Wh: 1, kWh: 1000 } },
  [POWER]: { base: 'W', factors: { W: 1, kW: 1000 } },
};

function valueOf(sampled: readonly SampledValue[], measurand: string): number | undefined {
  for (const s of sampled) {
    if ((s.measurand ?? ENERGY) !== measurand || s.phase !== undefined || s.format === 'SignedData' || !decimal.test(s.value)) continue;
    const { base, factors } = units[measurand]!;
    const factor = factors[s.unit ?? base];
    if (factor !== undefined) return Math.round(Number(s.value) * factor);
  }
  return undefined;
}

/** The samples of a MeterValues.req (valid against the OCPP 1.6 schema) that carry energy or power; atS on the pile's clock. */
export function meterSamples(req: Payload): MeterSample[] {
  const connectorId = req.connectorId as number;
  const transactionId = req.transactionId as number | undefined;
  const samples: MeterSample[] = [];
  for (const meterValue of req.meterValue as { timestamp: string; sampledValue: SampledValue[] }[]) {
    const energyWh = valueOf(meterValue.sampledValue, ENERGY);
    const powerW = valueOf(meterValue.sampledValue, POWER);
    if (energyWh === undefined && powerW === undefined) continue;
    samples.push({ kind: 'meter', connectorId, transactionId, energyWh, powerW, atS: Math.floor(Date.parse(meterValue.timestamp) / 1000) });
  }
  return samples;
}

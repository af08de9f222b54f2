// MeterValues (OCPP 1.6 §4.7, §6.33/§6.34, SampledValue §7.43): while a transaction runs, every
// MeterValueSampleInterval s, one periodic sample of the outlet: the meter's import register (Wh)
// and the active power now (W). Live status only: never queued, a sample missed is not sent late.
import type { JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields } from './payload-fields.ts';
import { ok } from '../../contracts-offline/result.ts';
import { OUTLET_CONNECTOR_ID } from './start-transaction.ts';

export const METER_VALUES = 'MeterValues';

/** The running session's meter now. */
export type MeterReading = { energyWh: number; powerW: number };

export function meterValuesRequest(transactionId: number, reading: MeterReading, timestampMs: number): JsonObject {
  return {
    connectorId: OUTLET_CONNECTOR_ID,
    transactionId,
    meterValue: [{
      timestamp: new Date(timestampMs).toISOString(),
      sampledValue: [
        { value: String(reading.energyWh), context: 'Sample.Periodic', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
        { value: String(reading.powerW), context: 'Sample.Periodic', measurand: 'Power.Active.Import', unit: 'W' },
      ],
    }],
  };
}

/** MeterValues.conf is an empty object. */
export function parseMeterValuesConf(payload: JsonObject): PayloadResult<undefined> {
  return onlyFields(payload, []) ?? ok(undefined);
}

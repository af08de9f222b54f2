// Session checkpoint (state): where the running session stood at a durable point — the meter
// register (read from the meter, never integrated), the whole seconds elapsed since the contract
// started, and the pile's clock then. After a power loss the session is billed up to the latest one.
// Payload: CBOR map {0: contractSeq, 1: meterWh, 2: durationS, 3: atS}.
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { type Result, ok } from '../../contracts-offline/result.ts';
import { decodeRecordFields, encodeRecordFields, type RecordField } from './record-fields.ts';

export type Checkpoint = {
  /** Billing sequence of the session's contract. */
  contractSeq: number;
  meterWh: number;
  durationS: number;
  atS: number;
};

const fields: readonly RecordField[] = Object.freeze([
  Object.freeze({ kind: 'uint', max: U32_MAX }),
  Object.freeze({ kind: 'uint', max: Number.MAX_SAFE_INTEGER }),
  Object.freeze({ kind: 'uint', max: U32_MAX }),
  Object.freeze({ kind: 'uint', max: U32_MAX }),
]);

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { contractSeq, meterWh, durationS, atS } = checkpoint;
  return encodeCbor(encodeRecordFields([contractSeq, meterWh, durationS, atS]));
}

export function decodeCheckpoint(bytes: Uint8Array): Result<Checkpoint> {
  const read = decodeRecordFields('checkpoint record', bytes, fields);
  if (!read.ok) return read;
  const [contractSeq, meterWh, durationS, atS] = read.value as number[];
  return ok({ contractSeq: contractSeq!, meterWh: meterWh!, durationS: durationS!, atS: atS! });
}

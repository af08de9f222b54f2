// Billing floor (state): the next billing sequence, made durable before an Ack lets the journal
// drop every billing record — so sequences continue without reuse after a reboot.
// Payload: CBOR map {0: nextBillingSeq}.
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { type Result, ok } from '../../contracts-offline/result.ts';
import { decodeRecordFields, encodeRecordFields } from './record-fields.ts';

export function encodeBillingFloor(nextBillingSeq: number): Uint8Array {
  return encodeCbor(encodeRecordFields([nextBillingSeq]));
}

export function decodeBillingFloor(bytes: Uint8Array): Result<number> {
  const read = decodeRecordFields('billing floor record', bytes, [{ kind: 'uint', max: U32_MAX }]);
  return read.ok ? ok(read.value[0] as number) : read;
}

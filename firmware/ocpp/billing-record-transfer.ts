// DataTransfer com.tapcharge / BillingRecord (contracts-offline/uplink-record.ts): the pile hands
// the central system one signed Contract or Receipt, the very bytes a phone would carry; the relay
// answers Accepted with the relay-signed Ack covering it (base64url), or Rejected with why. The
// Ack is only read here; ack.ts verifies it before anything is marked.
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { UPLINK_VENDOR_ID } from '../../contracts-offline/messages/uplink-identity.ts';
import { BILLING_RECORD_MESSAGE_ID } from '../../contracts-offline/uplink-record.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import { DATA_TRANSFER_STATUSES, type DataTransferStatus } from './data-transfer.ts';
import { FRAME_MAX_CHARS, type JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readEnum, readOptionalString } from './payload-fields.ts';

export type BillingRecordAnswer =
  | { status: 'Accepted'; ackBytes: Uint8Array }
  /** Not delivered: `why` is the Rejected answer's error code, when it gave one. */
  | { status: Exclude<DataTransferStatus, 'Accepted'>; why: string | undefined };

export function billingRecordRequest(recordBytes: Uint8Array): JsonObject {
  return { vendorId: UPLINK_VENDOR_ID, messageId: BILLING_RECORD_MESSAGE_ID, data: bytesToBase64url(recordBytes) };
}

/** DataTransfer.conf of a BillingRecord: Accepted needs `data`, the Ack as base64url. */
export function parseBillingRecordConf(payload: JsonObject): PayloadResult<BillingRecordAnswer> {
  const extra = onlyFields(payload, ['status', 'data']);
  if (extra) return extra;
  const status = readEnum(payload, 'status', DATA_TRANSFER_STATUSES);
  if (!status.ok) return status;
  const data = readOptionalString(payload, 'data', FRAME_MAX_CHARS);
  if (!data.ok) return data;
  if (status.value !== 'Accepted') return ok({ status: status.value, why: data.value?.slice(0, 64) });
  if (data.value === undefined) return fail('OccurenceConstraintViolation', '"data" is required with Accepted: the Ack');
  try {
    return ok({ status: 'Accepted', ackBytes: base64urlToBytes(data.value) });
  } catch {
    return fail('PropertyConstraintViolation', '"data" expected base64url');
  }
}

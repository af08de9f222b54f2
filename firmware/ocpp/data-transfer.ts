// DataTransfer from the central system (OCPP 1.6 §5.6, §6.17/§6.18, §7.19 DataTransferStatus): a
// vendor's own message, named by `vendorId` and `messageId`. The pile answers the messages of one
// vendorId, ours; another vendorId is UnknownVendorId, a messageId it does not know (or none)
// UnknownMessageId. Both are CiStrings (the spec's case-insensitive strings), compared as such.
import { ok } from '../../contracts-offline/result.ts';
import { FRAME_MAX_CHARS, type JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readOptionalString, readString } from './payload-fields.ts';
import type { CallAnswer, CallHandler } from './rpc.ts';

export const DATA_TRANSFER = 'DataTransfer';

export const DATA_TRANSFER_STATUSES = ['Accepted', 'Rejected', 'UnknownMessageId', 'UnknownVendorId'] as const;
export type DataTransferStatus = (typeof DATA_TRANSFER_STATUSES)[number];

export type DataTransferReq = { vendorId: string; messageId: string | undefined; data: string | undefined };

/** Answers one messageId of our vendorId, given the request's `data`: the DataTransfer.conf payload, or a CALLERROR. */
export type DataTransferMessageHandler = (data: string | undefined) => CallAnswer;

/** The schema bounds vendorId at 255 and messageId at 50 characters; `data` is unbounded there and bounded here by the frame. */
export function parseDataTransferReq(payload: JsonObject): PayloadResult<DataTransferReq> {
  const extra = onlyFields(payload, ['vendorId', 'messageId', 'data']);
  if (extra) return extra;
  const vendorId = readString(payload, 'vendorId', 255);
  if (!vendorId.ok) return vendorId;
  const messageId = readOptionalString(payload, 'messageId', 50);
  if (!messageId.ok) return messageId;
  const data = readOptionalString(payload, 'data', FRAME_MAX_CHARS);
  if (!data.ok) return data;
  return ok({ vendorId: vendorId.value, messageId: messageId.value, data: data.value });
}

/** The DataTransfer handler: `messages` by messageId, for `vendorId` only. */
export function dataTransferHandler(vendorId: string, messages: ReadonlyMap<string, DataTransferMessageHandler>): CallHandler {
  const ours = vendorId.toLowerCase();
  const byId = new Map([...messages].map(([messageId, handler]) => [messageId.toLowerCase(), handler]));
  return (payload) => {
    const request = parseDataTransferReq(payload);
    if (!request.ok) return request;
    if (request.value.vendorId.toLowerCase() !== ours) return ok({ status: 'UnknownVendorId' satisfies DataTransferStatus });
    const handler = request.value.messageId === undefined ? undefined : byId.get(request.value.messageId.toLowerCase());
    if (!handler) return ok({ status: 'UnknownMessageId' satisfies DataTransferStatus });
    return handler(request.value.data);
  };
}

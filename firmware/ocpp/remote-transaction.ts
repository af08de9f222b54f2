// RemoteStartTransaction and RemoteStopTransaction (OCPP 1.6 §5.11/§5.12, §6.33–§6.36 of the
// PDUs): always Rejected. A session starts only on a relay-signed voucher and ends early only on
// the user's signed stop — both reach a networked pile through the virtual channel
// (channel.ts) — so an unsigned request naming an idTag or a transaction id can start or stop
// nothing. The request is still validated like every other CALL, and logged.
import { fail, ok } from '../../contracts-offline/result.ts';
import type { EventSink } from '../events/event-log.ts';
import { isJsonObject, type JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readInteger, readString } from './payload-fields.ts';
import type { CallHandler } from './rpc.ts';
import { ID_TAG_MAX_CHARS } from './start-transaction.ts';

export const REMOTE_START_TRANSACTION = 'RemoteStartTransaction';
export const REMOTE_STOP_TRANSACTION = 'RemoteStopTransaction';

/**
 * idTag required (≤ 20), connectorId an integer, chargingProfile an object. The profile's inside
 * is not read: the request is refused whatever it holds.
 */
export function parseRemoteStartTransactionReq(payload: JsonObject): PayloadResult<{ idTag: string }> {
  const extra = onlyFields(payload, ['connectorId', 'idTag', 'chargingProfile']);
  if (extra) return extra;
  if (Object.prototype.hasOwnProperty.call(payload, 'connectorId')) {
    const connectorId = readInteger(payload, 'connectorId');
    if (!connectorId.ok) return connectorId;
  }
  const idTag = readString(payload, 'idTag', ID_TAG_MAX_CHARS);
  if (!idTag.ok) return idTag;
  if (Object.prototype.hasOwnProperty.call(payload, 'chargingProfile') && !isJsonObject(payload.chargingProfile)) {
    return fail('TypeConstraintViolation', '"chargingProfile" expected an object');
  }
  return ok({ idTag: idTag.value });
}

export function parseRemoteStopTransactionReq(payload: JsonObject): PayloadResult<{ transactionId: number }> {
  const extra = onlyFields(payload, ['transactionId']);
  if (extra) return extra;
  const transactionId = readInteger(payload, 'transactionId');
  return transactionId.ok ? ok({ transactionId: transactionId.value }) : transactionId;
}

export function remoteStartTransactionHandler(report: EventSink): CallHandler {
  return (payload) => {
    const request = parseRemoteStartTransactionReq(payload);
    if (!request.ok) return request;
    report('warning', 'RemoteStartTransaction Rejected (voucher only)');
    return ok({ status: 'Rejected' });
  };
}

export function remoteStopTransactionHandler(report: EventSink): CallHandler {
  return (payload) => {
    const request = parseRemoteStopTransactionReq(payload);
    if (!request.ok) return request;
    report('warning', `RemoteStopTransaction ${request.value.transactionId} Rejected (signed stop only)`);
    return ok({ status: 'Rejected' });
  };
}

// StartTransaction (OCPP 1.6 §4.8, §6.45/§6.46): sent once a Contract's BillingRecord is
// acknowledged (README.md "Billing records"). idTag is the contract's user key id in lowercase
// hex (8 bytes: 16 characters, the schema allows 20); the central system answers the transaction
// id it gives the contract — the relay the contract's billing seq.
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import { isJsonObject, type JsonObject } from './frame.ts';
import { type PayloadResult, onlyFields, readDateTime, readEnum, readInteger, readOptionalString } from './payload-fields.ts';

export const START_TRANSACTION = 'StartTransaction';

/** The schema's IdToken: CiString20Type. */
export const ID_TAG_MAX_CHARS = 20;

/** The pile's only outlet. */
export const OUTLET_CONNECTOR_ID = 1;

export const AUTHORIZATION_STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx'] as const;
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

export type StartTransactionConf = { transactionId: number; idTagStatus: AuthorizationStatus };

/** ISO 8601 UTC of a record's own seconds. */
export function isoOfS(atS: number): string {
  return new Date(atS * 1000).toISOString();
}

/** Throws RangeError when the user key id does not fit an idTag (a build fault: ids are 8 bytes). */
export function idTagOf(userKid: Uint8Array): string {
  const idTag = bytesToHex(userKid);
  if (idTag.length > ID_TAG_MAX_CHARS) throw new RangeError(`ocpp: "idTag" expected at most ${ID_TAG_MAX_CHARS} characters, got ${idTag.length}`);
  return idTag;
}

export function startTransactionRequest(contract: Contract): JsonObject {
  return { connectorId: OUTLET_CONNECTOR_ID, idTag: idTagOf(contract.userKid), meterStart: contract.startMeterWh, timestamp: isoOfS(contract.startAtS) };
}

/** IdTagInfo (§7.29): status required, expiryDate and parentIdTag optional; the status is what the pile reads. */
export function parseIdTagInfo(value: unknown): PayloadResult<AuthorizationStatus> {
  if (!isJsonObject(value)) return fail('TypeConstraintViolation', '"idTagInfo" expected an object');
  const extra = onlyFields(value, ['status', 'expiryDate', 'parentIdTag']);
  if (extra) return extra;
  const status = readEnum(value, 'status', AUTHORIZATION_STATUSES);
  if (!status.ok) return status;
  if (Object.prototype.hasOwnProperty.call(value, 'expiryDate')) {
    const expiry = readDateTime(value, 'expiryDate');
    if (!expiry.ok) return expiry;
  }
  const parent = readOptionalString(value, 'parentIdTag', ID_TAG_MAX_CHARS);
  return parent.ok ? status : parent;
}

export function parseStartTransactionConf(payload: JsonObject): PayloadResult<StartTransactionConf> {
  const extra = onlyFields(payload, ['idTagInfo', 'transactionId']);
  if (extra) return extra;
  if (!Object.prototype.hasOwnProperty.call(payload, 'idTagInfo')) return fail('OccurenceConstraintViolation', '"idTagInfo" is required');
  const idTagStatus = parseIdTagInfo(payload.idTagInfo);
  if (!idTagStatus.ok) return idTagStatus;
  const transactionId = readInteger(payload, 'transactionId');
  if (!transactionId.ok) return transactionId;
  return ok({ transactionId: transactionId.value, idTagStatus: idTagStatus.value });
}

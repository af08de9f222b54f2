// Every refusal the relay answers: a stable code, its one HTTP status, and one line for people.
// The server turns an HttpError into `{"error": code, "message": message}` (tools/relay/README.md).
import { CodedError } from '../coded-error.ts';

export const RELAY_ERRORS = Object.freeze({
  'invalid-json': 400,
  'invalid-field': 400,
  'unknown-signer': 401,
  'bad-signature': 401,
  'stale-request': 401,
  'bad-token': 401,
  'expired-token': 401,
  'insufficient-funds': 402,
  'not-operator': 403,
  'not-owner': 403,
  'not-channel-user': 403,
  'read-only-token': 403,
  'not-found': 404,
  'unknown-pile': 404,
  'unknown-contract': 404,
  'unknown-user': 404,
  'unknown-voucher': 404,
  'unknown-channel': 404,
  'method-not-allowed': 405,
  'already-registered': 409,
  'channel-busy': 409,
  'config-exhausted': 409,
  'idempotency-key-reused': 409,
  'no-running-contract': 409,
  'not-disputed': 409,
  'not-refundable': 409,
  'open-contract-outstanding': 409,
  'pile-offline': 409,
  'pile-refused': 409,
  'receipt-outstanding': 409,
  'refund-above-charged': 409,
  'replayed-request': 409,
  'voucher-outstanding': 409,
  'voucher-used': 409,
  'body-too-large': 413,
  'unsupported-media-type': 415,
  'internal-error': 500,
  'ledger-refused': 502,
  'bad-pile-answer': 502,
  'pile-unreachable': 504,
} as const);

export type RelayErrorCode = keyof typeof RELAY_ERRORS;

export class HttpError extends CodedError<RelayErrorCode> {
  readonly status: number = RELAY_ERRORS[this.code];
}

export const invalidField = (field: string, expected: string): HttpError => new HttpError('invalid-field', `"${field}" ${expected}`);

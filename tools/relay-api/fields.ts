// The JSON field kinds of the relay's API, as TypeBox schemas: what requests carry, what answers
// carry, what the wallet file stores. Bounds come from contracts-offline (the messages' own
// limits), so the API cannot accept what a message could not carry. Bytes travel as hex (ids,
// keys, nonces) or base64url (signed COSE messages). Platform-neutral: the phone imports this.
import Type, { type TSchema } from 'typebox';
import { CHARGE_MODES, type ChargeLimit as Limit, LIMIT_MAX, LIMIT_UNITS } from '../../contracts-offline/charge-limit.ts';
import { utf8Encode } from '../../contracts-offline/bytes.ts';
import { ID_BYTES, NONCE_MAX_BYTES, NONCE_MIN_BYTES, PRICE_MAX_MINOR, U32_MAX } from '../../contracts-offline/messages/fields.ts';

/** Hex of `minBytes..maxBytes` bytes, either case; `x-bytes` lets error messages count the bytes. */
export function hex(minBytes: number, maxBytes = minBytes) {
  const bytes = minBytes === maxBytes ? `${minBytes} bytes` : `${minBytes}..${maxBytes} bytes`;
  return Type.String({ pattern: `^([0-9a-fA-F]{2}){${minBytes},${maxBytes}}$`, description: `hex (${bytes})`, 'x-bytes': [minBytes, maxBytes] });
}

/** Text of at most `maxBytes` UTF-8 bytes (what a message field can carry), `minChars` characters at least. */
export function text(maxBytes: number, minChars = 0) {
  const schema = Type.String({ minLength: minChars, maxLength: maxBytes, description: `text of at most ${maxBytes} UTF-8 bytes` });
  return Type.Refine(schema, (value) => utf8Encode(value).length <= maxBytes, (value) => `expected at most ${maxBytes} UTF-8 bytes, got ${utf8Encode(value).length}`);
}

export const uint = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });

export const KeyId = hex(ID_BYTES);
export const PileId = hex(ID_BYTES);
export const PublicKey = hex(32);
export const PileNonce = hex(NONCE_MIN_BYTES, NONCE_MAX_BYTES);
/** A signed COSE_Sign1 message (PileUpdate, Authorization, Ack, a pile's Contract or Receipt). */
export const SignedMessage = Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'base64url (no padding) of a signed COSE_Sign1 message' });
/** 32 lowercase hex digits: pile id ‖ billing sequence (contracts-offline/contract-id.ts). */
export const ContractId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'a contract id (32 lowercase hex digits)' });
export const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'an EVM address' });
export const TxHash = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: 'a 32-byte hash as 0x hex' });
/** Seconds since 1970-01-01T00:00:00Z. */
export const AtS = uint(0, Number.MAX_SAFE_INTEGER);
/** Money moved by a top-up or a transfer, in minor units. */
export const MONEY_MAX_MINOR = 1_000_000_000_000;
export const MoneyMinor = uint(1, MONEY_MAX_MINOR);
/** Chosen by the author of a money move and sent again on every retry of it (a new nonce each time): the move happens once. */
export const IdempotencyKey = hex(16, 32);
export const Count = uint(0, Number.MAX_SAFE_INTEGER);
/** Balances can go below zero only in the relay's own bookkeeping (available = balance + credit − reserved). */
export const SignedMinor = Type.Integer();

/** Why an operator decided what it did (a dispute resolved, a refund): kept with the decision and shown to the user. */
export const REASON_MAX_BYTES = 200;
export const Reason = text(REASON_MAX_BYTES, 1);

/** `YYYY-MM-DD` (that day's 00:00:00Z) or `YYYY-MM-DDThh:mm:ssZ`: the seconds since 1970 it names, or undefined when it names no real instant (2025-02-30). */
export function utcTimeS(value: string): number | undefined {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$/.test(value)) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls an impossible date over (02-30 → 03-02): the instant must print back as given
  const printed = new Date(ms).toISOString();
  return (value.length === 10 ? printed.slice(0, 10) : printed.replace('.000Z', 'Z')) === value ? ms / 1000 : undefined;
}

/** An instant in ISO 8601 UTC to the second: a date (its 00:00:00Z) or a date and time ending in Z. */
export const UtcTime = Type.Refine(
  Type.String({ description: 'ISO 8601 UTC: YYYY-MM-DD (00:00:00Z of that day) or YYYY-MM-DDThh:mm:ssZ' }),
  (value) => utcTimeS(value) !== undefined,
  (value) => `expected an ISO 8601 UTC date (YYYY-MM-DD) or date and time (YYYY-MM-DDThh:mm:ssZ), got ${JSON.stringify(value)}`,
);

/** The charging limit's JSON form (contracts-offline/charge-limit.ts), one object per mode. */
export const ChargeLimit = Type.Unsafe<Limit>(Type.Union(
  CHARGE_MODES.map((mode) => {
    const unit = LIMIT_UNITS[mode];
    const properties: Record<string, TSchema> = { mode: Type.Literal(mode) };
    if (unit !== undefined) properties[unit] = uint(1, LIMIT_MAX);
    return Type.Object(properties, { additionalProperties: false });
  }),
));

/** The prices of a tariff; its version is the relay's to number. */
export const TariffPrices = Type.Object({
  energyMinorPerKwh: uint(0, PRICE_MAX_MINOR),
  timeMinorPerHour: uint(0, PRICE_MAX_MINOR),
  sessionFeeMinor: uint(0, PRICE_MAX_MINOR),
}, { additionalProperties: false });

export const Tariff = Type.Object({
  version: uint(1, U32_MAX),
  energyMinorPerKwh: uint(0, PRICE_MAX_MINOR),
  timeMinorPerHour: uint(0, PRICE_MAX_MINOR),
  sessionFeeMinor: uint(0, PRICE_MAX_MINOR),
});

/** An inclusive range of billing sequences. */
export const SeqRange = Type.Object({ fromSeq: uint(0, U32_MAX), toSeq: uint(0, U32_MAX) });

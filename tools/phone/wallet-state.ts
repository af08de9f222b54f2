// The phone's persistent state ("wallet"): the user's key and name, the relay it trusts, what it
// learnt about piles, and every billing record it carries until the relay has it. Plain JSON
// (bytes as hex, signed messages as base64url) so a wallet file is readable; `parseWalletState`
// checks a file strictly against its schema (the API's field kinds, tools/relay-api/fields.ts),
// because a file is untrusted input too, and every carried record must read as a billing record.
import Type, { type Static, type TSchema } from 'typebox';
import { base64urlToBytes } from '../../contracts-offline/bytes.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { checkJson } from '../relay-api/explain.ts';
import { ChargeLimit, KeyId, PileId, PileNonce, PublicKey, SignedMessage, Tariff, hex, uint } from '../relay-api/fields.ts';
import { readCarriedRecord } from './carried-record.ts';

export const WALLET_FORMAT = 'tapcharge-wallet-v2';
/** v1 named the price cap `capAmountMinor`; a v1 wallet reads as v2 with that one name changed. */
const WALLET_FORMAT_V1 = 'tapcharge-wallet-v1';

const strict = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
const count = uint(0, Number.MAX_SAFE_INTEGER);
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const PileIdKey = Type.String({ pattern: '^([0-9a-fA-F]{2}){8}$', description: 'a pile id (hex, 8 bytes)' });

/** What the phone remembers of a pile (from PileInfo and the relay's registry). */
const PileMemo = strict({
  publicKey: Type.Optional(PublicKey),
  label: Type.Optional(Type.String()),
  configVersion: Type.Optional(count),
  tariff: Type.Optional(Tariff),
  /** Every record 1..ackedUpToSeq of this pile is held by the relay (from its newest Ack). */
  ackedUpToSeq: Type.Optional(count),
});
/** The nonce a SELECT gave this phone: a voucher is bound to it. */
const HelloMemo = strict({ pileId: PileId, pileNonce: PileNonce, atMs: count });
const VoucherMemo = strict({ pileId: PileId, pileNonce: PileNonce, authorization: SignedMessage, voucherId: KeyId, limit: ChargeLimit, capMinor: count, expiresAtS: count });
const ActiveContract = strict({ pileId: PileId, seq: count, contract: SignedMessage, limit: ChargeLimit, capMinor: count, startAtS: count });
const FinishedContract = strict({ pileId: PileId, contractSeq: count, receipt: SignedMessage });

const WalletSchema = strict({
  format: Type.Literal(WALLET_FORMAT),
  secretKey: hex(32),
  displayName: Type.String(),
  relayUrl: nullable(Type.String()),
  /** The relay's key, pinned at first contact; its PileUpdates, vouchers and Acks must verify with it. */
  relayPublicKey: nullable(PublicKey),
  registered: Type.Boolean(),
  piles: Type.Record(PileIdKey, PileMemo, { additionalProperties: false }),
  hello: nullable(HelloMemo),
  voucher: nullable(VoucherMemo),
  active: nullable(ActiveContract),
  lastFinished: nullable(FinishedContract),
  /** Signed contracts and receipts (base64url) not yet accepted by the relay, oldest first. */
  records: Type.Array(SignedMessage),
  /** Per pile id, the newest relay-signed Ack (base64url) not yet delivered to the pile. */
  acks: Type.Record(PileIdKey, SignedMessage, { additionalProperties: false }),
  /** Records the relay refused (kept for the user to see; never retried). */
  rejected: Type.Array(strict({ record: SignedMessage, error: Type.String() })),
  /** Voucher ids a refused START showed can never start a contract: cancelled at the relay by the next sync (absent in older files). */
  vouchersToCancel: Type.Optional(Type.Array(KeyId)),
});

export type PileMemo = Static<typeof PileMemo>;
export type HelloMemo = Static<typeof HelloMemo>;
export type VoucherMemo = Static<typeof VoucherMemo>;
export type ActiveContract = Static<typeof ActiveContract>;
export type FinishedContract = Static<typeof FinishedContract>;
export type WalletState = Static<typeof WalletSchema>;

/**
 * A deep copy of wallet data, which is plain JSON by its schema (structuredClone is missing from
 * some runtimes an app embeds the SDK in, e.g. React Native's Hermes).
 */
export function copyWalletData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function newWalletState(secretKey: string, displayName: string, relayUrl: string | null): WalletState {
  return { format: WALLET_FORMAT, secretKey, displayName, relayUrl, relayPublicKey: null, registered: false, piles: {}, hello: null, voucher: null, active: null, lastFinished: null, records: [], acks: {}, rejected: [], vouchersToCancel: [] };
}

/** A v1 wallet as v2: the one field renamed (capAmountMinor → capMinor). */
function upgraded(json: unknown): unknown {
  const w = json as Record<string, unknown> | null;
  if (w === null || typeof w !== 'object' || w['format'] !== WALLET_FORMAT_V1) return json;
  const rename = (entry: unknown) => {
    if (entry === null || typeof entry !== 'object' || !('capAmountMinor' in entry)) return entry;
    const { capAmountMinor, ...rest } = entry as Record<string, unknown>;
    return { ...rest, capMinor: capAmountMinor };
  };
  return { ...w, format: WALLET_FORMAT, voucher: rename(w['voucher']), active: rename(w['active']) };
}

/** Strict check of a wallet read from a file. Never throws. */
export function parseWalletState(json: unknown): Result<WalletState> {
  const checked = checkJson(WalletSchema, upgraded(json), 'wallet');
  if (!checked.ok) return fail('malformed', `wallet: ${checked.reason}`);
  const state = checked.value;
  const carried: [string, string][] = [
    ...state.records.map((r, i): [string, string] => [`records[${i}]`, r]),
    ...(state.active ? [['active.contract', state.active.contract] as [string, string]] : []),
    ...(state.lastFinished ? [['lastFinished.receipt', state.lastFinished.receipt] as [string, string]] : []),
  ];
  for (const [where, text] of carried) {
    let read;
    try {
      read = readCarriedRecord(base64urlToBytes(text));
    } catch {
      return fail('malformed', `wallet: "${where}" expected base64url`);
    }
    if (!read.ok) return fail('malformed', `wallet: "${where}" is not a signed contract or receipt (${read.reason})`);
  }
  return ok(state);
}

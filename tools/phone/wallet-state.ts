// The phone's persistent state ("wallet"): the user's key and name, the relay it trusts, what it
// learnt about piles, and every billing record it carries until the relay has it. Plain JSON
// (bytes as hex, signed messages as base64url) so a wallet file is readable; `parseWalletState`
// checks a file strictly, because a file is untrusted input too.
import { base64urlToBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { readCarriedRecord } from './carried-record.ts';

export const WALLET_FORMAT = 'tapcharge-wallet-v1';

/** What the phone remembers of a pile (from PileInfo and the relay's registry). */
export type PileMemo = {
  publicKey?: string;
  label?: string;
  configVersion?: number;
  tariff?: Tariff;
  /** Every record 1..ackedUpToSeq of this pile is held by the relay (from its newest Ack). */
  ackedUpToSeq?: number;
};
/** The nonce a SELECT gave this phone: a voucher is bound to it. */
export type HelloMemo = { pileId: string; pileNonce: string; atMs: number };
export type VoucherMemo = { pileId: string; pileNonce: string; authorization: string; voucherId: string; limit: ChargeLimit; capAmountMinor: number; expiresAtS: number };
export type ActiveContract = { pileId: string; seq: number; contract: string; limit: ChargeLimit; capAmountMinor: number; startAtS: number };
export type FinishedContract = { pileId: string; contractSeq: number; receipt: string };
export type RejectedRecord = { record: string; error: string };

export type WalletState = {
  format: typeof WALLET_FORMAT;
  secretKey: string;
  displayName: string;
  relayUrl: string | null;
  /** The relay's key, pinned at first contact; its PileUpdates, vouchers and Acks must verify with it. */
  relayPublicKey: string | null;
  registered: boolean;
  piles: Record<string, PileMemo>;
  hello: HelloMemo | null;
  voucher: VoucherMemo | null;
  active: ActiveContract | null;
  lastFinished: FinishedContract | null;
  /** Signed contracts and receipts (base64url) not yet accepted by the relay, oldest first. */
  records: string[];
  /** Per pile id, the newest relay-signed Ack (base64url) not yet delivered to the pile. */
  acks: Record<string, string>;
  /** Records the relay refused (kept for the user to see; never retried). */
  rejected: RejectedRecord[];
};

export function newWalletState(secretKey: string, displayName: string, relayUrl: string | null): WalletState {
  return { format: WALLET_FORMAT, secretKey, displayName, relayUrl, relayPublicKey: null, registered: false, piles: {}, hello: null, voucher: null, active: null, lastFinished: null, records: [], acks: {}, rejected: [] };
}

class Invalid extends Error {}

const bad = (path: string, what: string): never => { throw new Invalid(`wallet: "${path}" ${what}`); };
const obj = (v: unknown, path: string): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(path, 'expected an object'));
const str = (v: unknown, path: string): string => (typeof v === 'string' ? v : bad(path, 'expected a string'));
const int = (v: unknown, path: string): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(path, 'expected a non-negative integer'));
const hex = (v: unknown, path: string, length?: number): string => {
  let bytes: Uint8Array;
  try { bytes = hexToBytes(str(v, path)); } catch (e) { return e instanceof Invalid ? bad(path, 'expected a string') : bad(path, 'expected hex'); }
  return length === undefined || bytes.length === length ? (v as string) : bad(path, `expected ${length} bytes of hex, got ${bytes.length}`);
};
const b64 = (v: unknown, path: string): string => {
  try { base64urlToBytes(str(v, path)); } catch (e) { return e instanceof Invalid ? bad(path, 'expected a string') : bad(path, 'expected base64url'); }
  return v as string;
};
const nullable = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null || v === undefined ? null : read(v));
const keys = (o: Record<string, unknown>, path: string, allowed: readonly string[]): void => {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`${path}.${k}`, 'is not a wallet field');
};

function limit(v: unknown, path: string): ChargeLimit {
  const o = obj(v, path);
  switch (o.mode) {
    case 'amount': return { mode: 'amount', amountMinor: int(o.amountMinor, `${path}.amountMinor`) };
    case 'time': return { mode: 'time', durationS: int(o.durationS, `${path}.durationS`) };
    case 'energy': return { mode: 'energy', energyWh: int(o.energyWh, `${path}.energyWh`) };
    case 'full': return { mode: 'full' };
    default: return bad(`${path}.mode`, 'expected amount, time, energy or full');
  }
}

function pileMemo(v: unknown, path: string): PileMemo {
  const o = obj(v, path);
  keys(o, path, ['publicKey', 'label', 'configVersion', 'tariff', 'ackedUpToSeq']);
  const memo: PileMemo = {};
  if (o.publicKey !== undefined) memo.publicKey = hex(o.publicKey, `${path}.publicKey`, 32);
  if (o.label !== undefined) memo.label = str(o.label, `${path}.label`);
  if (o.configVersion !== undefined) memo.configVersion = int(o.configVersion, `${path}.configVersion`);
  if (o.ackedUpToSeq !== undefined) memo.ackedUpToSeq = int(o.ackedUpToSeq, `${path}.ackedUpToSeq`);
  if (o.tariff !== undefined) {
    const t = obj(o.tariff, `${path}.tariff`);
    memo.tariff = { version: int(t.version, `${path}.tariff.version`), energyMinorPerKwh: int(t.energyMinorPerKwh, `${path}.tariff.energyMinorPerKwh`), timeMinorPerHour: int(t.timeMinorPerHour, `${path}.tariff.timeMinorPerHour`), sessionFeeMinor: int(t.sessionFeeMinor, `${path}.tariff.sessionFeeMinor`) };
  }
  return memo;
}

function record(v: unknown, path: string): string {
  const text = b64(v, path);
  const read = readCarriedRecord(base64urlToBytes(text));
  return read.ok ? text : bad(path, `is not a signed contract or receipt (${read.reason})`);
}

function readState(json: unknown): WalletState {
  const o = obj(json, 'wallet');
  if (o.format !== WALLET_FORMAT) bad('format', `expected "${WALLET_FORMAT}"`);
  keys(o, 'wallet', Object.keys(newWalletState('', '', null)));
  const secretKey = hex(o.secretKey, 'secretKey', 32);
  keyPairFromSecret(hexToBytes(secretKey));
  const pilesJson = obj(o.piles, 'piles');
  const piles: Record<string, PileMemo> = {};
  for (const [id, memo] of Object.entries(pilesJson)) piles[hex(id, `piles.${id}`, 8)] = pileMemo(memo, `piles.${id}`);
  const acksJson = obj(o.acks, 'acks');
  const acks: Record<string, string> = {};
  for (const [id, ack] of Object.entries(acksJson)) acks[hex(id, `acks.${id}`, 8)] = b64(ack, `acks.${id}`);
  const list = (v: unknown, path: string): unknown[] => (Array.isArray(v) ? v : bad(path, 'expected an array'));
  return {
    format: WALLET_FORMAT,
    secretKey,
    displayName: str(o.displayName, 'displayName'),
    relayUrl: nullable(o.relayUrl, (v) => str(v, 'relayUrl')),
    relayPublicKey: nullable(o.relayPublicKey, (v) => hex(v, 'relayPublicKey', 32)),
    registered: typeof o.registered === 'boolean' ? o.registered : bad('registered', 'expected true or false'),
    piles,
    hello: nullable(o.hello, (v) => {
      const h = obj(v, 'hello');
      return { pileId: hex(h.pileId, 'hello.pileId', 8), pileNonce: hex(h.pileNonce, 'hello.pileNonce'), atMs: int(h.atMs, 'hello.atMs') };
    }),
    voucher: nullable(o.voucher, (v) => {
      const x = obj(v, 'voucher');
      return {
        pileId: hex(x.pileId, 'voucher.pileId', 8), pileNonce: hex(x.pileNonce, 'voucher.pileNonce'), authorization: b64(x.authorization, 'voucher.authorization'),
        voucherId: hex(x.voucherId, 'voucher.voucherId', 8), limit: limit(x.limit, 'voucher.limit'), capAmountMinor: int(x.capAmountMinor, 'voucher.capAmountMinor'), expiresAtS: int(x.expiresAtS, 'voucher.expiresAtS'),
      };
    }),
    active: nullable(o.active, (v) => {
      const a = obj(v, 'active');
      return { pileId: hex(a.pileId, 'active.pileId', 8), seq: int(a.seq, 'active.seq'), contract: record(a.contract, 'active.contract'), limit: limit(a.limit, 'active.limit'), capAmountMinor: int(a.capAmountMinor, 'active.capAmountMinor'), startAtS: int(a.startAtS, 'active.startAtS') };
    }),
    lastFinished: nullable(o.lastFinished, (v) => {
      const f = obj(v, 'lastFinished');
      return { pileId: hex(f.pileId, 'lastFinished.pileId', 8), contractSeq: int(f.contractSeq, 'lastFinished.contractSeq'), receipt: record(f.receipt, 'lastFinished.receipt') };
    }),
    records: list(o.records, 'records').map((r, i) => record(r, `records[${i}]`)),
    acks,
    rejected: list(o.rejected, 'rejected').map((r, i) => {
      const x = obj(r, `rejected[${i}]`);
      return { record: b64(x.record, `rejected[${i}].record`), error: str(x.error, `rejected[${i}].error`) };
    }),
  };
}

/** Strict check of a wallet read from a file. Never throws. */
export function parseWalletState(json: unknown): Result<WalletState> {
  try {
    return ok(readState(json));
  } catch (error) {
    if (error instanceof Invalid) return fail('malformed', error.message);
    return fail('malformed', `wallet: ${(error as Error).message}`);
  }
}

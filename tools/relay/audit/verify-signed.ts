// The signed sources the relay stores, each verified before anything is derived from it: every
// records row with its pile's key from the registry (Ed25519 over the stored COSE bytes, the
// message decoded strictly), every vouchers row (Authorization), pile_configs row (PileUpdate) and
// service_authorizations row (ServiceAuthorization) with the relay's public key. A row that does not verify is kept with the reason; only verified
// messages are sources.
import { createHash } from 'node:crypto';
import { bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../../contracts-offline/contract-id.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import { openBillingRecord } from '../../../contracts-offline/billing-record.ts';
import type { Authorization } from '../../../contracts-offline/messages/authorization.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { PileUpdate } from '../../../contracts-offline/messages/pile-update.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import type { ServiceAuthorization } from '../../../contracts-offline/messages/service-authorization.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';
import type { Row } from '../storage/db.ts';
import { storedInt, storedText } from './findings.ts';
import type { StoredTables } from './stored-tables.ts';

/** A verified billing record; `receivedAtS` is the relay's unsigned note of when it was stored. */
export type HeldRecord<T> = { pileId: string; seq: number; sha256: string; message: T; receivedAtS: number };

export type RecordCheck =
  | { ok: true; sha256: string; record: { kind: 'contract'; held: HeldRecord<Contract> } | { kind: 'receipt'; held: HeldRecord<Receipt> } }
  | { ok: false; sha256: string | undefined; reason: string };

export type RelaySignedCheck<T> = { ok: true; message: T } | { ok: false; reason: string };

export type VerifiedSources = {
  records: ReadonlyMap<string, RecordCheck>;
  /** By contract id; the first row holding a contract wins (a second is reported by its own key). */
  contracts: ReadonlyMap<string, HeldRecord<Contract>>;
  /** By `pile#seq` of the signed receipt. */
  receipts: ReadonlyMap<string, HeldRecord<Receipt>>;
  vouchers: ReadonlyMap<string, RelaySignedCheck<Authorization>>;
  /** By voucher id. */
  authorizations: ReadonlyMap<string, Authorization>;
  configs: ReadonlyMap<string, RelaySignedCheck<PileUpdate>>;
  /** Per pile, per config version. */
  pileUpdates: ReadonlyMap<string, ReadonlyMap<number, PileUpdate>>;
  /** By the service_authorizations row's key. */
  serviceAuthorizations: ReadonlyMap<string, RelaySignedCheck<ServiceAuthorization>>;
};

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function signedBytes(row: Row, column: string): Uint8Array | string {
  const value = row[column];
  return value instanceof Uint8Array ? value : `${column} holds ${value === null ? 'NULL' : typeof value}, not bytes`;
}

function checkRecord(row: Row, pileKeys: ReadonlyMap<string, Uint8Array>, crypto: Ed25519Provider): RecordCheck {
  const bytes = signedBytes(row, 'signed');
  if (typeof bytes === 'string') return { ok: false, sha256: undefined, reason: bytes };
  const sha256 = sha256Hex(bytes);
  const pileId = storedText(row['pile_id']) ?? '';
  const key = pileKeys.get(pileId);
  if (!key) return { ok: false, sha256, reason: `pile ${pileId} has no public key in the registry (piles)` };
  const opened = openBillingRecord(bytes, { publicKey: key, crypto });
  if (!opened.ok) return { ok: false, sha256, reason: `signed does not verify with pile ${pileId}'s registered key (${opened.reason})` };
  const { kind, message } = opened.value;
  const held = { pileId: bytesToHex(opened.value.pileId), seq: opened.value.seq, sha256, receivedAtS: storedInt(row['received_at_s']) ?? 0 };
  return { ok: true, sha256, record: kind === 'contract' ? { kind, held: { ...held, message } } : { kind, held: { ...held, message } } };
}

function checkRelaySigned<N extends 'Authorization' | 'PileUpdate' | 'ServiceAuthorization'>(row: Row, column: string, type: N, relayPublicKey: Uint8Array, crypto: Ed25519Provider) {
  const bytes = signedBytes(row, column);
  if (typeof bytes === 'string') return { ok: false as const, reason: bytes };
  const opened = openSigned(bytes, { publicKey: relayPublicKey, expectType: type, crypto });
  return opened.ok ? { ok: true as const, message: opened.value.message } : { ok: false as const, reason: `${column} does not verify with the relay's key (${opened.reason})` };
}

export function verifySources(stored: StoredTables, relayPublicKey: Uint8Array, crypto: Ed25519Provider): VerifiedSources {
  const pileKeys = new Map<string, Uint8Array>();
  for (const [pileId, row] of stored.piles) {
    const key = storedText(row['public_key']);
    if (key && /^[0-9a-f]{64}$/.test(key)) pileKeys.set(pileId, hexToBytes(key));
  }
  const records = new Map<string, RecordCheck>();
  const contracts = new Map<string, HeldRecord<Contract>>();
  const receipts = new Map<string, HeldRecord<Receipt>>();
  for (const [key, row] of stored.records) {
    const check = checkRecord(row, pileKeys, crypto);
    records.set(key, check);
    if (!check.ok) continue;
    const { held } = check.record;
    if (check.record.kind === 'contract') {
      const id = contractIdHex(check.record.held.message.pileId, held.seq);
      if (!contracts.has(id)) contracts.set(id, check.record.held);
    } else if (!receipts.has(`${held.pileId}#${held.seq}`)) receipts.set(`${held.pileId}#${held.seq}`, check.record.held);
  }
  const vouchers = new Map<string, RelaySignedCheck<Authorization>>();
  const authorizations = new Map<string, Authorization>();
  for (const [key, row] of stored.vouchers) {
    const check = checkRelaySigned(row, 'signed', 'Authorization', relayPublicKey, crypto);
    vouchers.set(key, check);
    if (check.ok && !authorizations.has(bytesToHex(check.message.voucherId))) authorizations.set(bytesToHex(check.message.voucherId), check.message);
  }
  const configs = new Map<string, RelaySignedCheck<PileUpdate>>();
  const pileUpdates = new Map<string, Map<number, PileUpdate>>();
  for (const [key, row] of stored.pile_configs) {
    const check = checkRelaySigned(row, 'pile_update', 'PileUpdate', relayPublicKey, crypto);
    configs.set(key, check);
    if (!check.ok) continue;
    const pileId = bytesToHex(check.message.pileId);
    const versions = pileUpdates.get(pileId) ?? new Map<number, PileUpdate>();
    if (!versions.has(check.message.configVersion)) versions.set(check.message.configVersion, check.message);
    pileUpdates.set(pileId, versions);
  }
  const serviceAuthorizations = new Map<string, RelaySignedCheck<ServiceAuthorization>>();
  for (const [key, row] of stored.service_authorizations) serviceAuthorizations.set(key, checkRelaySigned(row, 'signed', 'ServiceAuthorization', relayPublicKey, crypto));
  return { records, contracts, receipts, vouchers, authorizations, configs, pileUpdates, serviceAuthorizations };
}

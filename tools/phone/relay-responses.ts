// Typed views of the relay's JSON answers (tools/relay/README.md, "Endpoints"). The answers are
// checked field by field; anything else is a RelayError "bad-response" naming the field, so a
// confused or hostile relay cannot slip wrong types into the phone's wallet.
import { base64urlToBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { RelayError } from './relay-errors.ts';

export type RelayInfo = { relayPublicKey: Uint8Array; relayKid: Uint8Array; ledger: { kind: string; address: string } };
export type RegisteredUser = { kid: string; address: string };
export type UserAccount = {
  kid: string;
  displayName: string;
  balanceMinor: number;
  escrowMinor: number;
  creditLimitMinor: number;
  creditUsedMinor: number;
  availableMinor: number;
  openContracts: string[];
};
/** provisional (cap held, no receipt), charged-at-cap (receipt overdue), settled, corrected (late receipt), disputed. */
export type ContractStatus = string;
export type UserContract = {
  contractId: string;
  pileId: string;
  seq: number;
  mode: ChargeLimit['mode'];
  capAmountMinor: number;
  status: ContractStatus;
  amountMinor?: number;
  energyWh?: number;
  durationS?: number;
  endReason?: string;
};
/** The registry entry; the phone needs the public key, the rest is shown as is. */
export type PileEntry = { pileId: string; publicKey: Uint8Array; configVersion: number; raw: Record<string, unknown> };
export type PileUpdateOffer = { configVersion: number; pileUpdate: Uint8Array };
export type PileRegistration = { pileId: string; relayPublicKey: Uint8Array; pileUpdate: Uint8Array };
export type Voucher = { authorization: Uint8Array; voucherId: string; capAmountMinor: number; tariffVersion: number; expiresAtS: number };
export type RecordStatus = 'accepted' | 'duplicate' | 'rejected';
/** pileId/seq/kind are absent when the record could not even be read. */
export type RecordResult = { pileId?: string; seq?: number; kind?: string; status: RecordStatus; error?: string; message?: string; problem?: string; gap?: unknown };
export type RecordsAnswer = { results: RecordResult[]; acks: { pileId: string; ack: Uint8Array }[] };

type Json = Record<string, unknown>;

class Reader {
  readonly #what: string;
  readonly #status: number;
  constructor(what: string, status: number) {
    this.#what = what;
    this.#status = status;
  }

  bad(detail: string): never {
    throw new RelayError(this.#status, 'bad-response', `relay answer to ${this.#what}: ${detail}`);
  }

  object(value: unknown, path = 'body'): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.bad(`${path} expected an object`);
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) return this.bad(`"${path}" expected an array`);
    return value;
  }

  string(o: Json, name: string): string {
    const v = o[name];
    return typeof v === 'string' ? v : this.bad(`"${name}" expected a string`);
  }

  int(o: Json, name: string): number {
    const v = o[name];
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : this.bad(`"${name}" expected an integer`);
  }

  optionalInt(o: Json, name: string): number | undefined {
    return o[name] === undefined || o[name] === null ? undefined : this.int(o, name);
  }

  hex(o: Json, name: string, length?: number): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(this.string(o, name));
    } catch (error) {
      if (error instanceof RelayError) throw error;
      return this.bad(`"${name}" expected hex`);
    }
    if (length !== undefined && bytes.length !== length) this.bad(`"${name}" expected ${length} bytes, got ${bytes.length}`);
    return bytes;
  }

  base64url(o: Json, name: string): Uint8Array {
    try {
      return base64urlToBytes(this.string(o, name));
    } catch (error) {
      if (error instanceof RelayError) throw error;
      return this.bad(`"${name}" expected base64url`);
    }
  }
}

export function parseRelayInfo(body: unknown, status: number): RelayInfo {
  const r = new Reader('GET /v1/relay', status);
  const o = r.object(body);
  const ledger = r.object(o.ledger, 'ledger');
  return { relayPublicKey: r.hex(o, 'relayPublicKey', 32), relayKid: r.hex(o, 'relayKid', 8), ledger: { kind: r.string(ledger, 'kind'), address: r.string(ledger, 'address') } };
}

export function parseRegisteredUser(body: unknown, status: number): RegisteredUser {
  const r = new Reader('POST /v1/users', status);
  const o = r.object(body);
  return { kid: r.string(o, 'kid'), address: r.string(o, 'address') };
}

export function parseUserAccount(body: unknown, status: number): UserAccount {
  const r = new Reader('GET /v1/users/{kid}', status);
  const o = r.object(body);
  const openContracts = r.array(o.openContracts, 'openContracts').map((v) => (typeof v === 'string' ? v : r.bad('"openContracts" expected strings')));
  return {
    kid: r.string(o, 'kid'),
    displayName: r.string(o, 'displayName'),
    balanceMinor: r.int(o, 'balanceMinor'),
    escrowMinor: r.int(o, 'escrowMinor'),
    creditLimitMinor: r.int(o, 'creditLimitMinor'),
    creditUsedMinor: r.int(o, 'creditUsedMinor'),
    availableMinor: r.int(o, 'availableMinor'),
    openContracts,
  };
}

const modes: readonly string[] = ['amount', 'time', 'energy', 'full'];

export function parseUserContracts(body: unknown, status: number): UserContract[] {
  const r = new Reader('GET /v1/users/{kid}/contracts', status);
  return r.array(r.object(body).contracts, 'contracts').map((item) => {
    const o = r.object(item, 'contract');
    const mode = r.string(o, 'mode');
    const contractStatus = r.string(o, 'status');
    if (!modes.includes(mode)) r.bad(`"mode" unknown: ${mode}`);
    const contract: UserContract = {
      contractId: r.string(o, 'contractId'),
      pileId: r.string(o, 'pileId'),
      seq: r.int(o, 'seq'),
      mode: mode as UserContract['mode'],
      capAmountMinor: r.int(o, 'capAmountMinor'),
      status: contractStatus,
    };
    for (const name of ['amountMinor', 'energyWh', 'durationS'] as const) {
      const value = r.optionalInt(o, name);
      if (value !== undefined) contract[name] = value;
    }
    if (typeof o.endReason === 'string') contract.endReason = o.endReason;
    return contract;
  });
}

export function parsePileEntry(body: unknown, status: number): PileEntry {
  const r = new Reader('GET /v1/piles/{pileId}', status);
  const o = r.object(body);
  return { pileId: r.string(o, 'pileId'), publicKey: r.hex(o, 'publicKey', 32), configVersion: r.int(o, 'configVersion'), raw: o };
}

export function parsePileUpdateOffer(body: unknown, status: number): PileUpdateOffer {
  const r = new Reader('GET /v1/piles/{pileId}/update', status);
  const o = r.object(body);
  return { configVersion: r.int(o, 'configVersion'), pileUpdate: r.base64url(o, 'pileUpdate') };
}

export function parsePileRegistration(body: unknown, status: number): PileRegistration {
  const r = new Reader('POST /v1/piles', status);
  const o = r.object(body);
  return { pileId: r.string(o, 'pileId'), relayPublicKey: r.hex(o, 'relayPublicKey', 32), pileUpdate: r.base64url(o, 'pileUpdate') };
}

export function parseVoucher(body: unknown, status: number): Voucher {
  const r = new Reader('POST /v1/vouchers', status);
  const o = r.object(body);
  return {
    authorization: r.base64url(o, 'authorization'),
    voucherId: r.string(o, 'voucherId'),
    capAmountMinor: r.int(o, 'capAmountMinor'),
    tariffVersion: r.int(o, 'tariffVersion'),
    expiresAtS: r.int(o, 'expiresAtS'),
  };
}

const recordStatuses: readonly string[] = ['accepted', 'duplicate', 'rejected'];

export function parseRecordsAnswer(body: unknown, status: number): RecordsAnswer {
  const r = new Reader('POST /v1/records', status);
  const o = r.object(body);
  const results = r.array(o.results, 'results').map((item): RecordResult => {
    const x = r.object(item, 'result');
    const recordStatus = r.string(x, 'status');
    if (!recordStatuses.includes(recordStatus)) r.bad(`"status" unknown: ${recordStatus}`);
    const result: RecordResult = { status: recordStatus as RecordStatus };
    if (recordStatus !== 'rejected' || x.pileId !== undefined) Object.assign(result, { pileId: r.string(x, 'pileId'), seq: r.int(x, 'seq'), kind: r.string(x, 'kind') });
    for (const name of ['error', 'message', 'problem'] as const) if (typeof x[name] === 'string') result[name] = x[name];
    if (x.gap !== undefined && x.gap !== null && x.gap !== false) result.gap = x.gap;
    return result;
  });
  const acks = r.array(o.acks, 'acks').map((item) => {
    const x = r.object(item, 'ack');
    return { pileId: r.string(x, 'pileId'), ack: r.base64url(x, 'ack') };
  });
  return { results, acks };
}

export function parseAck(body: unknown, status: number): Uint8Array {
  const r = new Reader('GET /v1/piles/{pileId}/ack', status);
  return r.base64url(r.object(body), 'ack');
}

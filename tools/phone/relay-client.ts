// Typed client of the verifier relay's HTTP JSON API (tools/relay/README.md). Requests that
// change state are signed by their author (request-signing.ts). Uses the global fetch; every
// failure is a RelayError carrying the HTTP status and the relay's error code, or a
// RelayUnreachableError when no answer came, so callers can keep records for later.
import { bytesToBase64url, bytesToHex, utf8Encode } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import type { KeyPair, RandomSource } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { RelayError, RelayUnreachableError } from './relay-errors.ts';
import {
  type PileEntry, type PileRegistration, type PileUpdateOffer, type RecordsAnswer, type RegisteredUser, type RelayInfo, type UserAccount,
  type UserContract, type Voucher, parseAck, parsePileEntry, parsePileRegistration, parsePileUpdateOffer, parseRecordsAnswer,
  parseRegisteredUser, parseRelayInfo, parseUserAccount, parseUserContracts, parseVoucher,
} from './relay-responses.ts';
import { signRequest } from './request-signing.ts';

export type RelayClientOptions = {
  /** e.g. "http://127.0.0.1:8787" (no trailing path). */
  baseUrl: string;
  /** Clock for `atS` in signed requests. Default Date.now. */
  nowMs?: () => number;
  random?: RandomSource;
  crypto?: Ed25519Provider;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
};

/** The relay takes at most this many records per POST /v1/records. */
export const RECORDS_PER_UPLOAD = 64;

const defaults = { timeoutMs: 10_000 };

type Answer = { status: number; body: unknown };

export class RelayClient {
  readonly baseUrl: string;
  readonly #options: Required<Pick<RelayClientOptions, 'nowMs' | 'timeoutMs' | 'fetch'>> & Pick<RelayClientOptions, 'random' | 'crypto'>;

  constructor(options: RelayClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`relay-client: "baseUrl" expected an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
      throw new TypeError(`relay-client: "baseUrl" expected an http(s) URL without query, got ${JSON.stringify(options.baseUrl)}`);
    }
    const o = { ...defaults, nowMs: () => Date.now(), fetch: globalThis.fetch, ...options };
    if (!Number.isInteger(o.timeoutMs) || o.timeoutMs < 1) throw new RangeError(`relay-client: "timeoutMs" expected a positive integer, got ${o.timeoutMs}`);
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.#options = o;
  }

  async relayInfo(): Promise<RelayInfo> {
    const a = await this.#get('/v1/relay');
    return parseRelayInfo(a.body, a.status);
  }

  async registerUser(user: KeyPair, displayName: string): Promise<RegisteredUser> {
    const a = await this.#signed(user, 'POST', '/v1/users', { publicKey: bytesToHex(user.publicKey), displayName });
    return parseRegisteredUser(a.body, a.status);
  }

  async user(kid: Uint8Array): Promise<UserAccount> {
    const a = await this.#get(`/v1/users/${bytesToHex(kid)}`);
    return parseUserAccount(a.body, a.status);
  }

  async userContracts(kid: Uint8Array): Promise<UserContract[]> {
    const a = await this.#get(`/v1/users/${bytesToHex(kid)}/contracts`);
    return parseUserContracts(a.body, a.status);
  }

  /** The credit record (R11), as the relay answers it. */
  async userCredit(kid: Uint8Array): Promise<Record<string, unknown>> {
    const a = await this.#get(`/v1/users/${bytesToHex(kid)}/credit`);
    if (typeof a.body !== 'object' || a.body === null) throw new RelayError(a.status, 'bad-response', 'relay answer to GET /v1/users/{kid}/credit: body expected an object');
    return a.body as Record<string, unknown>;
  }

  async pile(pileId: Uint8Array): Promise<PileEntry> {
    const a = await this.#get(`/v1/piles/${bytesToHex(pileId)}`);
    return parsePileEntry(a.body, a.status);
  }

  /** The signed PileUpdate when the relay holds a config newer than `configVersion`, else undefined. */
  async pileUpdate(pileId: Uint8Array, configVersion: number): Promise<PileUpdateOffer | undefined> {
    const a = await this.#get(`/v1/piles/${bytesToHex(pileId)}/update?configVersion=${configVersion}`);
    return a.status === 204 ? undefined : parsePileUpdateOffer(a.body, a.status);
  }

  /** The relay-signed Ack covering every record the relay holds for the pile, or undefined. */
  async pileAck(pileId: Uint8Array): Promise<Uint8Array | undefined> {
    const a = await this.#get(`/v1/piles/${bytesToHex(pileId)}/ack`);
    return a.status === 204 ? undefined : parseAck(a.body, a.status);
  }

  async registerPile(operator: KeyPair, pile: { pileId: Uint8Array; publicKey: Uint8Array; operator: string; label: string; maxPowerW: number; tariff: Omit<Tariff, 'version'> }): Promise<PileRegistration> {
    const { pileId, publicKey, ...rest } = pile;
    const a = await this.#signed(operator, 'POST', '/v1/piles', { pileId: bytesToHex(pileId), publicKey: bytesToHex(publicKey), ...rest });
    return parsePileRegistration(a.body, a.status);
  }

  async configurePile(operator: KeyPair, pileId: Uint8Array, changes: { label?: string; maxPowerW?: number; tariff?: Omit<Tariff, 'version'> }): Promise<PileUpdateOffer> {
    const a = await this.#signed(operator, 'POST', `/v1/piles/${bytesToHex(pileId)}/config`, changes);
    return parsePileUpdateOffer(a.body, a.status);
  }

  async requestVoucher(user: KeyPair, request: { pileId: Uint8Array; pileNonce: Uint8Array; limit: ChargeLimit }): Promise<Voucher> {
    const a = await this.#signed(user, 'POST', '/v1/vouchers', { pileId: bytesToHex(request.pileId), pileNonce: bytesToHex(request.pileNonce), limit: request.limit });
    return parseVoucher(a.body, a.status);
  }

  /** Uploads signed contracts and receipts (any pile, any user); results are in upload order. */
  async submitRecords(records: readonly Uint8Array[]): Promise<RecordsAnswer> {
    if (records.length < 1 || records.length > RECORDS_PER_UPLOAD) throw new RangeError(`relay-client: "records" expected 1..${RECORDS_PER_UPLOAD}, got ${records.length}`);
    const a = await this.#send('POST', '/v1/records', utf8Encode(JSON.stringify({ records: records.map(bytesToBase64url) })), {});
    const answer = parseRecordsAnswer(a.body, a.status);
    if (answer.results.length !== records.length) throw new RelayError(a.status, 'bad-response', `relay answer to POST /v1/records: ${answer.results.length} results for ${records.length} records`);
    return answer;
  }

  async issue(operator: KeyPair, userKid: Uint8Array, amountMinor: number): Promise<Record<string, unknown>> {
    const a = await this.#signed(operator, 'POST', '/v1/issue', { userKid: bytesToHex(userKid), amountMinor });
    return (a.body ?? {}) as Record<string, unknown>;
  }

  async transfer(user: KeyPair, toKid: Uint8Array, amountMinor: number): Promise<Record<string, unknown>> {
    const a = await this.#signed(user, 'POST', '/v1/transfers', { toKid: bytesToHex(toKid), amountMinor });
    return (a.body ?? {}) as Record<string, unknown>;
  }

  #get(path: string): Promise<Answer> {
    return this.#send('GET', path, undefined, {});
  }

  #signed(signer: KeyPair, method: string, path: string, fields: Record<string, unknown>): Promise<Answer> {
    const { random, crypto } = this.#options;
    const signed = signRequest({ signer, method, path, fields, nowMs: this.#options.nowMs(), ...(random && { random }), ...(crypto && { crypto }) });
    return this.#send(method, path, signed.body, signed.headers);
  }

  async #send(method: string, path: string, body: Uint8Array | undefined, headers: Record<string, string>): Promise<Answer> {
    let response: Response;
    try {
      response = await this.#options.fetch(this.baseUrl + path, {
        method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        ...(body && { body }),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).name;
      throw new RelayUnreachableError(`relay ${this.baseUrl} unreachable (${method} ${path}: ${why})`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new RelayUnreachableError(`relay ${this.baseUrl}: answer to ${method} ${path} broke off (${(error as Error).name})`);
    }
    return this.#interpret(method, path, response.status, text);
  }

  #interpret(method: string, path: string, status: number, text: string): Answer {
    if (status === 204) return { status, body: undefined };
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new RelayError(status, status >= 400 ? `http-${status}` : 'bad-response', `relay answered ${method} ${path} with ${status} and a body that is not JSON`);
    }
    if (status >= 200 && status < 300) return { status, body };
    const error = body as { error?: unknown; message?: unknown } | undefined;
    const code = typeof error?.error === 'string' ? error.error : `http-${status}`;
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
    throw new RelayError(status, code, `relay refused ${method} ${path}: ${status} ${code}: ${message}`);
  }
}

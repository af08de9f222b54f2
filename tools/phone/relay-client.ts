// Typed client of the verifier relay's HTTP API: every call is a route of the one API table
// (tools/relay-api/routes.ts), every answer checked against that route's schema before the phone
// believes it — a confused or hostile relay cannot slip wrong types into the wallet. Requests that
// change state are signed by their author (tools/relay-api/request-signing.ts). Uses the global
// fetch; every failure is a RelayError carrying the HTTP status and the relay's error code, or a
// RelayUnreachableError when no answer came, so callers can keep records for later.
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { type KeyPair, type RandomSource, randomNonce } from '../../contracts-offline/keys.ts';
import type { Tariff } from '../../contracts-offline/messages/fields.ts';
import type { ServiceScope } from '../../contracts-offline/messages/service-authorization.ts';
import { checkJson } from '../relay-api/explain.ts';
import { type PileProvisioning, provisioningFromJson } from '../relay-api/provisioning-record.ts';
import { signRequest } from '../relay-api/request-signing.ts';
import { type Answer, type ChannelEvent, RECORDS_PER_UPLOAD_MAX, type RelayApi, type RequestBody, type RouteName, relayApi } from '../relay-api/routes.ts';
import { EventStreamReader, checkChannelEvent } from './event-stream-reader.ts';
import { RelayError, RelayUnreachableError } from './errors.ts';

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

export type RelayInfo = { relayPublicKey: Uint8Array; relayKid: Uint8Array; ledger: Answer<'relayInfo', 200>['ledger'] };
export type UserAccount = Answer<'user', 200>;
export type UserContract = Answer<'userContracts', 200>['contracts'][number];
export type RegisteredUser = Answer<'registerUser', 201>;
export type PileEntry = Answer<'pile', 200>;
export type PileUpdateOffer = { configVersion: number; pileUpdate: Uint8Array };
export type OpenedChannel = { channelId: string; pileHello: Uint8Array; pileInfo: Uint8Array };
export type RecordsAnswer = { results: Answer<'uploadRecords', 200>['results']; acks: { pileId: string; ack: Uint8Array }[] };
/** For the reads a tap makes while the phone is held to the pile: `signal` abandons the request (a RelayUnreachableError). */
export type ReadOptions = { signal?: AbortSignal };

const defaults = { timeoutMs: 10_000 };

type CallRequest = { params?: Record<string, string>; query?: string; body?: object; signer?: KeyPair };

/** The relay's refusal `{error, message}` (JSON text or parsed) as a RelayError. */
function refusalOf(status: number, answer: unknown, what: string): RelayError {
  let json = answer;
  if (typeof answer === 'string') {
    try {
      json = JSON.parse(answer);
    } catch {
      json = undefined;
    }
  }
  const error = json as { error?: unknown; message?: unknown } | undefined;
  const code = typeof error?.error === 'string' ? error.error : `http-${status}`;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  return new RelayError(status, code, `relay refused ${what}: ${status} ${code}: ${message}`);
}

/** A checked answer of route N: its status and body. */
type Reply<N extends RouteName> = { [S in keyof RelayApi[N]['answers']]: { status: S; body: Answer<N, S> } }[keyof RelayApi[N]['answers']];

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

  async relayInfo(options: ReadOptions = {}): Promise<RelayInfo> {
    const { body } = await this.#call('relayInfo', { signal: options.signal });
    return { relayPublicKey: hexToBytes(body.relayPublicKey), relayKid: hexToBytes(body.relayKid), ledger: body.ledger };
  }

  async registerUser(user: KeyPair, displayName: string): Promise<RegisteredUser> {
    return (await this.#call('registerUser', { signer: user, body: { publicKey: bytesToHex(user.publicKey), displayName } })).body;
  }

  // Private reads: signed by the user they read (`reader`), or by an operator reading user `kid`.

  async user(reader: KeyPair, kid: Uint8Array = reader.kid): Promise<UserAccount> {
    return (await this.#call('user', { signer: reader, params: { kid: bytesToHex(kid) } })).body;
  }

  async userContracts(reader: KeyPair, kid: Uint8Array = reader.kid): Promise<UserContract[]> {
    return (await this.#call('userContracts', { signer: reader, params: { kid: bytesToHex(kid) } })).body.contracts;
  }

  /** The credit record (R11). */
  async userCredit(reader: KeyPair, kid: Uint8Array = reader.kid): Promise<Answer<'userCredit', 200>> {
    return (await this.#call('userCredit', { signer: reader, params: { kid: bytesToHex(kid) } })).body;
  }

  /** The ledger events of the user's account. */
  async userHistory(reader: KeyPair, kid: Uint8Array = reader.kid): Promise<Answer<'userHistory', 200>['events']> {
    return (await this.#call('userHistory', { signer: reader, params: { kid: bytesToHex(kid) } })).body.events;
  }

  async pile(pileId: Uint8Array, options: ReadOptions = {}): Promise<PileEntry> {
    return (await this.#call('pile', { params: { pileId: bytesToHex(pileId) }, signal: options.signal })).body;
  }

  /** The signed PileUpdate when the relay holds a config newer than `configVersion`, else undefined. */
  async pileUpdate(pileId: Uint8Array, configVersion: number, options: ReadOptions = {}): Promise<PileUpdateOffer | undefined> {
    const reply = await this.#call('pileUpdate', { params: { pileId: bytesToHex(pileId) }, query: `?configVersion=${configVersion}`, signal: options.signal });
    return reply.status === 204 ? undefined : { configVersion: reply.body.configVersion, pileUpdate: base64urlToBytes(reply.body.pileUpdate) };
  }

  /** The relay-signed Ack covering every record the relay holds for the pile, or undefined. */
  async pileAck(pileId: Uint8Array, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const reply = await this.#call('pileAck', { params: { pileId: bytesToHex(pileId) }, signal: options.signal });
    return reply.status === 204 ? undefined : base64urlToBytes(reply.body.ack);
  }

  /** Registers a pile; the answer is its provisioning record (with the first PileUpdate). */
  async registerPile(operator: KeyPair, pile: { pileId: Uint8Array; publicKey: Uint8Array; operator: string; label: string; maxPowerW: number; tariff: Omit<Tariff, 'version'> }): Promise<PileProvisioning> {
    const { pileId, publicKey, ...rest } = pile;
    const { body } = await this.#call('registerPile', { signer: operator, body: { pileId: bytesToHex(pileId), publicKey: bytesToHex(publicKey), ...rest } });
    return provisioningFromJson(body);
  }

  /** The provisioning record of a registered pile again, with its current PileUpdate. */
  async pileProvisioning(pileId: Uint8Array): Promise<PileProvisioning> {
    return provisioningFromJson((await this.#call('pileProvisioning', { params: { pileId: bytesToHex(pileId) } })).body);
  }

  /**
   * The relay-signed ServiceAuthorization (COSE_Sign1 bytes) for one changing console command
   * (`scope`) in the console session whose `challenge` (16 bytes, from the pile's Identify) is given.
   */
  async serviceAuthorization(operator: KeyPair, pileId: Uint8Array, request: { challenge: Uint8Array; scope: ServiceScope }): Promise<Uint8Array> {
    const { body } = await this.#call('serviceAuthorization', { signer: operator, params: { pileId: bytesToHex(pileId) }, body: { challenge: bytesToHex(request.challenge), scope: request.scope } });
    return base64urlToBytes(body.authorization);
  }

  async configurePile(operator: KeyPair, pileId: Uint8Array, changes: RequestBody<'configurePile'>): Promise<PileUpdateOffer> {
    const { body } = await this.#call('configurePile', { signer: operator, params: { pileId: bytesToHex(pileId) }, body: changes });
    return { configVersion: body.configVersion, pileUpdate: base64urlToBytes(body.pileUpdate) };
  }

  /** The relay-signed Authorization for the tap-1 nonce: check it (relay-trust.ts) before using what it says. */
  async requestVoucher(user: KeyPair, request: { pileId: Uint8Array; pileNonce: Uint8Array; limit: ChargeLimit }): Promise<Uint8Array> {
    const { body } = await this.#call('issueVoucher', { signer: user, body: { pileId: bytesToHex(request.pileId), pileNonce: bytesToHex(request.pileNonce), limit: request.limit } });
    return base64urlToBytes(body.authorization);
  }

  /** Cancels the user's unused voucher: the relay no longer reserves its cap (409 voucher-used once a contract used it). */
  async cancelVoucher(user: KeyPair, voucherId: Uint8Array): Promise<Answer<'cancelVoucher', 200>> {
    return (await this.#call('cancelVoucher', { signer: user, params: { voucherId: bytesToHex(voucherId) }, body: {} })).body;
  }

  // The virtual channel to a pile connected over OCPP (R9), signed by its user.

  /** Opens a channel to `pileId` with the phone's UserHello: the pile's PileHello and its PileInfo signed over the phone's nonce (check both). */
  async openChannel(user: KeyPair, request: { pileId: Uint8Array; hello: Uint8Array }): Promise<OpenedChannel> {
    const { body } = await this.#call('openChannel', { signer: user, body: { pileId: bytesToHex(request.pileId), hello: bytesToBase64url(request.hello) } });
    return { channelId: body.channelId, pileHello: base64urlToBytes(body.pileHello), pileInfo: base64urlToBytes(body.pileInfo) };
  }

  /** Starts charging on the channel's pile: the relay's voucher and the pile's signed Contract (check both). */
  async startChannel(user: KeyPair, channelId: string, limit: ChargeLimit): Promise<{ authorization: Uint8Array; contract: Uint8Array }> {
    const { body } = await this.#call('startChannel', { signer: user, params: { channelId }, body: { limit } });
    return { authorization: base64urlToBytes(body.authorization), contract: base64urlToBytes(body.contract) };
  }

  /** Stops the channel's contract: the pile's signed Receipt (check it). */
  async stopChannel(user: KeyPair, channelId: string): Promise<Uint8Array> {
    return base64urlToBytes((await this.#call('stopChannel', { signer: user, params: { channelId }, body: {} })).body.receipt);
  }

  /** The channel's events as they happen, each checked; ends after `ended`, when the relay closes the stream, or when `signal` aborts. */
  channelEvents(user: KeyPair, channelId: string, options: ReadOptions = {}): AsyncGenerator<ChannelEvent> {
    return this.#eventStream('channelEvents', { signer: user, params: { channelId }, signal: options.signal });
  }

  /** Uploads signed contracts and receipts (any pile, any user); results are in upload order. */
  async submitRecords(records: readonly Uint8Array[]): Promise<RecordsAnswer> {
    if (records.length < 1 || records.length > RECORDS_PER_UPLOAD_MAX) throw new RangeError(`relay-client: "records" expected 1..${RECORDS_PER_UPLOAD_MAX}, got ${records.length}`);
    const { status, body } = await this.#call('uploadRecords', { body: { records: records.map(bytesToBase64url) } });
    if (body.results.length !== records.length) throw new RelayError(status, 'bad-response', `relay answer to POST /v1/records: ${body.results.length} results for ${records.length} records`);
    return { results: body.results, acks: body.acks.map((a) => ({ pileId: a.pileId, ack: base64urlToBytes(a.ack) })) };
  }

  /** A fresh idempotency key for a money move: keep it, and pass it again to retry that move after a lost answer. */
  newIdempotencyKey(): Uint8Array {
    return randomNonce(16, this.#options.random);
  }

  /** A top-up, at most once per `idempotencyKey` (a fresh one when not given: then a retry is a new top-up). */
  async issue(operator: KeyPair, userKid: Uint8Array, amountMinor: number, idempotencyKey = this.newIdempotencyKey()): Promise<Answer<'issue'>> {
    return (await this.#call('issue', { signer: operator, body: { userKid: bytesToHex(userKid), amountMinor, idempotencyKey: bytesToHex(idempotencyKey) } })).body;
  }

  /** A transfer, at most once per `idempotencyKey` (as `issue`). */
  async transfer(user: KeyPair, toKid: Uint8Array, amountMinor: number, idempotencyKey = this.newIdempotencyKey()): Promise<Answer<'transfer'>> {
    return (await this.#call('transfer', { signer: user, body: { toKid: bytesToHex(toKid), amountMinor, idempotencyKey: bytesToHex(idempotencyKey) } })).body;
  }

  // Operator views and decisions, signed by an operator key.

  /** Every pile: configuration, last seen, silent, held sequences and gaps, sessions. */
  async operatorPiles(operator: KeyPair): Promise<Answer<'operatorPiles', 200>> {
    return (await this.#call('operatorPiles', { signer: operator })).body;
  }

  /** One pile as in operatorPiles, with its latest sessions. */
  async operatorPile(operator: KeyPair, pileId: Uint8Array): Promise<Answer<'operatorPile', 200>> {
    return (await this.#call('operatorPile', { signer: operator, params: { pileId: bytesToHex(pileId) } })).body;
  }

  /** The piles connected over OCPP whose connection proved the pile's identity: since when, last message, clock offset, connector states. */
  async operatorUplinks(operator: KeyPair): Promise<Answer<'operatorUplinks', 200>> {
    return (await this.#call('operatorUplinks', { signer: operator })).body;
  }

  /** Every user: balances, credit line, open and disputed contracts, settled history. */
  async operatorUsers(operator: KeyPair): Promise<Answer<'operatorUsers', 200>['users']> {
    return (await this.#call('operatorUsers', { signer: operator })).body.users;
  }

  /** Settles a disputed contract on its receipt, or voids it; a retry of the same decision answers the first. */
  async resolveContract(operator: KeyPair, contractId: string, decision: 'settle' | 'void', reason: string): Promise<Answer<'resolveContract'>> {
    return (await this.#call('resolveContract', { signer: operator, params: { contractId }, body: { decision, reason } })).body;
  }

  /** Refunds a settled contract from the revenue account, at most once per `idempotencyKey` (as `issue`). */
  async refundContract(operator: KeyPair, contractId: string, amountMinor: number, reason: string, idempotencyKey = this.newIdempotencyKey()): Promise<Answer<'refundContract'>> {
    return (await this.#call('refundContract', { signer: operator, params: { contractId }, body: { amountMinor, reason, idempotencyKey: bytesToHex(idempotencyKey) } })).body;
  }

  /** The sessions settled in [from, to) as RFC 4180 CSV text; `from`, `to` ISO 8601 UTC (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ). */
  async operatorSessionsCsv(operator: KeyPair, from: string, to: string): Promise<string> {
    return (await this.#call('operatorSessionsCsv', { signer: operator, query: `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` })).body;
  }

  /** Logs an operator in for a browser, which holds no key: a session token that reads (GET) as the operator until `expiresAtS`. */
  async operatorSession(operator: KeyPair): Promise<Answer<'operatorLogin', 201>> {
    return (await this.#call('operatorLogin', { signer: operator, body: {} })).body;
  }

  async #call<N extends RouteName>(name: N, request: CallRequest & { signal?: AbortSignal | undefined }): Promise<Reply<N>> {
    const spec = relayApi[name];
    const { path, sentPath, body, headers } = this.#prepare(name, request);
    const { status, text } = await this.#send(spec.method, sentPath, body, headers, request.signal);
    const what = `${spec.method} ${path}`;
    if (status === 204 && 204 in spec.answers) return { status, body: undefined } as Reply<N>;
    let json: unknown;
    try {
      // a route answering text (text/csv) has it checked as one string; its refusals are JSON
      json = text === '' ? undefined : 'mediaType' in spec && status < 300 ? text : JSON.parse(text);
    } catch {
      throw new RelayError(status, status >= 400 ? `http-${status}` : 'bad-response', `relay answered ${what} with ${status} and a body that is not JSON`);
    }
    const schema = (spec.answers as Record<number, Parameters<typeof checkJson>[0]>)[status];
    if (!schema) {
      if (status >= 200 && status < 300) throw new RelayError(status, 'bad-response', `relay answer to ${what}: status ${status} is not one this route answers`);
      throw refusalOf(status, json, what);
    }
    const checked = checkJson(schema, json, 'answer');
    if (!checked.ok) throw new RelayError(status, 'bad-response', `relay answer to ${what}: ${checked.reason}`);
    return { status, body: checked.value } as Reply<N>;
  }

  // The route's path and the request as sent: signed by its author when it has one.
  #prepare(name: RouteName, request: CallRequest): { path: string; sentPath: string; body: Uint8Array | undefined; headers: Record<string, string> } {
    const spec = relayApi[name];
    const path = spec.url.replace(/:(\w+)/g, (_m, key: string) => request.params?.[key] ?? '') + (request.query ?? '');
    if (request.signer) {
      const { random, crypto } = this.#options;
      const fields = (request.body ?? {}) as Record<string, unknown>;
      const signed = signRequest({ signer: request.signer, method: spec.method, path, fields, nowMs: this.#options.nowMs(), ...(random && { random }), ...(crypto && { crypto }) });
      return { path, sentPath: signed.path, body: signed.body, headers: signed.headers };
    }
    return { path, sentPath: path, body: request.body ? utf8Encode(JSON.stringify(request.body)) : undefined, headers: {} };
  }

  /**
   * A text/event-stream answer: each event checked against ChannelEventData before it is believed
   * (unknown event names, from a newer relay, are skipped). `timeoutMs` bounds the wait for the
   * answer to begin; the stream then lasts until the relay ends it or `signal` aborts it (the
   * iteration then simply ends). A refusal is a RelayError as for any call.
   */
  async *#eventStream(name: 'channelEvents', request: CallRequest & { signal?: AbortSignal | undefined }): AsyncGenerator<ChannelEvent> {
    const { timeoutMs, fetch } = this.#options;
    const { path, sentPath, headers } = this.#prepare(name, request);
    const what = `GET ${path}`;
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (request.signal?.aborted) return;
    request.signal?.addEventListener('abort', abort);
    const timer = setTimeout(abort, timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetch(this.baseUrl + sentPath, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
      } catch (error) {
        if (request.signal?.aborted) return;
        const cause = (error as { cause?: { code?: string } }).cause;
        throw new RelayUnreachableError(`relay ${this.baseUrl} unreachable (${what}: ${controller.signal.aborted ? `no answer within ${timeoutMs} ms` : cause?.code ?? (error as Error).name})`);
      } finally {
        clearTimeout(timer);
      }
      if (response.status !== 200 || !response.body) {
        const text = await response.text().catch(() => '');
        throw refusalOf(response.status, text, what);
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw new RelayError(200, 'bad-response', `relay answer to ${what}: not text/event-stream`);
      const reader = new EventStreamReader();
      const decoder = new TextDecoder();
      const body = response.body.getReader();
      try {
        for (let read = await body.read(); !read.done; read = await body.read()) {
          for (const raw of reader.push(decoder.decode(read.value, { stream: true }))) {
            const event = checkChannelEvent(raw);
            if (event === 'unknown') continue;
            if (!event.ok) throw new RelayError(200, 'bad-response', `relay event on ${what}: ${event.reason}`);
            yield event.value;
          }
        }
      } catch (error) {
        if (request.signal?.aborted) return;
        if (error instanceof RelayError) throw error;
        if (error instanceof RangeError) throw new RelayError(200, 'bad-response', `relay answer to ${what}: ${error.message}`);
        throw new RelayUnreachableError(`relay ${this.baseUrl}: event stream ${what} broke off (${(error as Error).message})`);
      }
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
      controller.abort();
    }
  }

  // A timer and an AbortController rather than AbortSignal.timeout, which React Native lacks; the
  // caller's `abandon` signal aborts the same controller.
  async #send(method: string, path: string, body: Uint8Array | undefined, headers: Record<string, string>, abandon: AbortSignal | undefined): Promise<{ status: number; text: string }> {
    const { timeoutMs, fetch } = this.#options; // fetch called unbound: a browser's refuses another `this`
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const abort = () => controller.abort();
    if (abandon?.aborted) controller.abort();
    abandon?.addEventListener('abort', abort);
    const stopped = (within: string) => (abandon?.aborted ? 'abandoned by the caller' : `${within} ${timeoutMs} ms`);
    try {
      let response: Response;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
          ...(body && { body }),
          signal: controller.signal,
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = controller.signal.aborted ? stopped('no answer within')
          : cause?.code === 'UND_ERR_SOCKET' ? 'the connection closed before the answer'
          : cause?.code ?? cause?.message ?? (error as Error).name;
        throw new RelayUnreachableError(`relay ${this.baseUrl} unreachable (${method} ${path}: ${why})`);
      }
      try {
        return { status: response.status, text: await response.text() };
      } catch (error) {
        const why = controller.signal.aborted ? stopped('not complete within') : (error as Error).name;
        throw new RelayUnreachableError(`relay ${this.baseUrl}: answer to ${method} ${path} broke off (${why})`);
      }
    } finally {
      clearTimeout(timer);
      abandon?.removeEventListener('abort', abort);
    }
  }
}

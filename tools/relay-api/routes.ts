// The relay's HTTP API, one schema source: every route's method, path, signer, request and answer
// shapes. The relay registers its handlers against this table (fastify validates requests with
// it and serves the OpenAPI document generated from it); the phone's relay client types its
// calls and checks every answer with the same schemas. Platform-neutral: TypeBox only.
import Type, { type Static, type TSchema } from 'typebox';
import { CHARGE_MODES } from '../../contracts-offline/charge-limit.ts';
import { DISPLAY_NAME_MAX_BYTES, LABEL_MAX_BYTES, U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { CONSOLE_CHALLENGE_BYTES, SERVICE_SCOPES } from '../../contracts-offline/messages/service-authorization.ts';
import {
  Address, AtS, ChargeLimit, ContractId, Count, IdempotencyKey, KeyId, MoneyMinor, PileId, PileNonce, PublicKey, Reason, SeqRange, SignedMessage, SignedMinor,
  Tariff, TariffPrices, TxHash, UtcTime, hex, text, uint,
} from './fields.ts';

/**
 * Who signs a request (request-signing.ts): a registered user, an operator, the key being
 * registered, or — for a private read of one user's data — that user (the `:kid` of the path) or
 * an operator.
 */
export type SignerRole = 'user' | 'operator' | 'new-user' | 'owner';

export type RouteSpec = {
  method: 'GET' | 'POST';
  /** fastify path syntax: `:name` is one path segment. */
  url: string;
  summary: string;
  signedBy?: SignerRole;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Success answers by status; 204 answers carry no body. */
  answers: Readonly<Record<number, TSchema>>;
  /**
   * The media type of the success answers when they are not JSON (refusals stay JSON): text/csv is
   * one string; text/event-stream is a stream of Server-Sent Events the relay writes as they happen.
   */
  mediaType?: 'text/csv' | 'text/event-stream';
  /** Refusal statuses this route can answer, each with the error body. */
  refusals: readonly number[];
};

/** Every refusal: a stable code (tools/relay/errors.ts) and one line for people. */
export const ErrorAnswer = Type.Object({ error: Type.String(), message: Type.String() });

/** A 204 answer: nothing to say (no body). */
export const NoContent = Type.Null({ description: 'no body' });

/** The fields every signed request body adds: a fresh nonce and the signer's clock (request-signing.ts). */
const signedFields = { nonce: hex(8, 32), atS: AtS };
/** A request body: strict, no field but these. */
const signed = <P extends Record<string, TSchema>>(properties: P) => Type.Object({ ...properties, ...signedFields }, { additionalProperties: false });
const strict = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
/**
 * The query of a signed GET: the same two fields, last in the signed path. Absent when an
 * operator's session token (`Authorization: Bearer`, POST /v1/operator/tokens) stands in for the
 * signature; a signed request without them is refused before validation (tools/relay/auth.ts).
 */
const signedQueryFields = { nonce: Type.Optional(hex(8, 32)), atS: Type.Optional(AtS) };
const signedQuery = strict(signedQueryFields);
/** An answer: these fields at least (a newer relay may add more; the phone ignores them, the relay serialises only these). */
const object = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties);

const kidParams = strict({ kid: KeyId });
const pileParams = strict({ pileId: PileId });

const RecordResult = object({
  pileId: Type.Optional(PileId),
  seq: Type.Optional(uint(0, U32_MAX)),
  kind: Type.Optional(Type.Enum(['contract', 'receipt'])),
  status: Type.Enum(['accepted', 'duplicate', 'rejected']),
  error: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  problem: Type.Optional(Type.String({ description: 'accepted, money moved by the rule, but something to look at (amount mismatch, disputed contract, second receipt)' })),
  gap: Type.Optional(Type.Array(SeqRange, { description: 'billing sequences below this record the relay does not hold yet' })),
});

const PileUpdateOffer = object({ configVersion: uint(1, U32_MAX), pileUpdate: SignedMessage });

/**
 * A pile's provisioning record (the firmware's, firmware/records/provisioning-record.ts: pileId,
 * relayPublicKey, pilePublicKey, pileUpdate) and the config version of its PileUpdate. The one
 * format of it: POST /v1/piles answers it, GET /v1/piles/{pileId}/provisioning reads it again,
 * `tapcharge relay register-pile --out` writes it to a file and `tapcharge pile serve
 * --provisioning` reads that file (tools/pile-sim/provisioning-source.ts). pilePublicKey is the key
 * registered: a pile whose key store holds another refuses the record.
 */
export const ProvisioningRecordJson = object({
  pileId: PileId,
  relayPublicKey: PublicKey,
  pilePublicKey: PublicKey,
  configVersion: uint(1, U32_MAX),
  pileUpdate: SignedMessage,
  firstBillingSeq: uint(1, U32_MAX),
});

/** A relay-signed ServiceAuthorization (contracts-offline/messages/service-authorization.ts). */
const ServiceAuthorizationAnswer = object({ authorization: SignedMessage });

/** A service authorisation the relay issued, as operators see it (GET /v1/operator/piles/{pileId}). */
const IssuedServiceAuthorization = object({
  scope: Type.Enum([...SERVICE_SCOPES]),
  challenge: hex(CONSOLE_CHALLENGE_BYTES),
  issuedAtS: AtS,
  operatorKid: KeyId,
  authorization: SignedMessage,
});
/**
 * A money move answers 200 once on the ledger, 202 while still queued for it. A retry with the
 * same idempotency key answers the first request's move (`repeated`), moving nothing again.
 */
const moneyAnswers = <P extends Record<string, TSchema>>(fields: P) => {
  const repeated = Type.Optional(Type.Literal(true, { description: 'this idempotency key was used before: the answer is that move, nothing moved again' }));
  return {
    200: object({ ...fields, status: Type.Literal('applied'), txHash: Type.Optional(TxHash), repeated }),
    202: object({ ...fields, status: Type.Literal('pending'), repeated }),
  };
};
const ContractStatus = Type.Enum(['provisional', 'charged-at-cap', 'settled', 'corrected', 'disputed', 'voided']);

/** An operator's decision on a disputed contract: settled on its receipt, or voided (nothing charged). */
const Resolution = object({ decision: Type.Enum(['settle', 'void']), reason: Type.String(), operatorKid: KeyId, atS: AtS });
/** A refund of a charged contract, from the revenue account back to its user. */
const Refund = object({ ref: TxHash, amountMinor: MoneyMinor, reason: Type.String(), operatorKid: KeyId, atS: AtS });

/** The ledger events of one account, as GET /v1/users/{kid}/history lists them. */
const LedgerEventAnswer = object({
  blockNumber: Count,
  txHash: TxHash,
  kind: Type.String(),
  amountMinor: Type.Optional(Count),
  ref: Type.Optional(TxHash),
  from: Type.Optional(Address),
  to: Type.Optional(Address),
  contractId: Type.Optional(ContractId),
  capMinor: Type.Optional(Count),
  capped: Type.Optional(Type.Boolean()),
  /** A settlement's contract as the ledger found it: none — contract and receipt settled in one step; open — its escrow released. */
  settledFrom: Type.Optional(Type.Enum(['none', 'open-capped', 'open-full'])),
});

/** A pile's registry entry and what the relay holds of its records (GET /v1/piles/{pileId}, and the operator's views). */
const pileEntryFields = {
  pileId: PileId,
  publicKey: PublicKey,
  operator: Type.String(),
  label: Type.String(),
  maxPowerW: uint(1, 1_000_000),
  configVersion: uint(1, U32_MAX),
  tariff: Tariff,
  records: Count,
  held: Type.Array(SeqRange),
  gaps: Type.Array(SeqRange),
};

/** A pile as operators see it (GET /v1/operator/piles…). */
const OperatorPile = object({
  ...pileEntryFields,
  registeredAtS: AtS,
  lastSeenAtS: Type.Optional(Type.Integer({ minimum: 0, description: 'relay time the latest pile-signed record of the pile arrived; absent when none ever did' })),
  silent: Type.Boolean({ description: 'no record for longer than silentAfterS (since registration when none ever came)' }),
  contractsWithoutReceipt: Count,
  sessions: object({
    provisional: Count, chargedAtCap: Count, settled: Count, corrected: Count, disputed: Count, voided: Count,
    settledEnergyWh: Count, settledAmountMinor: Count, refundedMinor: Count,
  }),
});

/** One session (a held contract) as operators see it; `settledAtS` is the relay time its amount became final. */
const OperatorSession = object({
  contractId: ContractId,
  pileId: PileId,
  seq: uint(1, U32_MAX),
  userKid: KeyId,
  mode: Type.Enum([...CHARGE_MODES]),
  status: ContractStatus,
  capMinor: Count,
  startAtS: AtS,
  endAtS: Type.Optional(AtS),
  settledAtS: Type.Optional(AtS),
  energyWh: Type.Optional(Count),
  durationS: Type.Optional(Count),
  amountMinor: Type.Optional(Count),
  refundedMinor: Count,
  endReason: Type.Optional(Type.String()),
  resolution: Type.Optional(Resolution),
  ledgerTxHash: Type.Optional(TxHash),
});

const OperatorUser = object({
  kid: KeyId,
  displayName: Type.String(),
  address: Address,
  registeredAtS: AtS,
  balanceMinor: Count,
  escrowMinor: Count,
  bookBalanceMinor: SignedMinor,
  bookEscrowMinor: SignedMinor,
  reservedMinor: Count,
  availableMinor: SignedMinor,
  creditLimitMinor: Count,
  creditUsedMinor: Count,
  openContracts: Count,
  disputedContracts: Count,
  settledSessions: Count,
  settledAmountMinor: Count,
  lateReceipts: Count,
  refundedMinor: Count,
});

const contractParams = strict({ contractId: ContractId });

/** A pile connected over OCPP whose connection is proven (GET /v1/operator/uplinks). */
const OperatorUplink = object({
  pileId: PileId,
  connectedAtS: AtS,
  provenAtS: AtS,
  lastSeenAtS: AtS,
  pileClockOffsetS: Type.Integer({ description: "the pile's clock minus the relay's when it signed its proof, s" }),
  connectors: Type.Array(object({
    connectorId: Type.Integer({ minimum: 0 }),
    status: Type.String({ description: 'OCPP 1.6 ChargePointStatus' }),
    errorCode: Type.String({ description: 'OCPP 1.6 ChargePointErrorCode' }),
    timestamp: Type.Optional(Type.String({ description: "the pile's time of the state, as it sent it" })),
    reportedAtS: AtS,
  }), { description: 'the latest StatusNotification of each connector on this connection (0: the pile), by connector' }),
});

const route = <R extends RouteSpec>(spec: R): R => spec;

/** base64url of an unsigned CBOR message (UserHello, PileHello). */
const CborMessage = Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 1024, description: 'base64url (no padding) of a CBOR message' });
/** A virtual channel's id (tools/relay/channels): random, chosen by the relay. */
export const ChannelId = hex(16);
const channelParams = strict({ channelId: ChannelId });

/**
 * The data of each Server-Sent Event of GET /v1/channels/{channelId}/events, by event name: the
 * one description of the stream, which the relay writes and the phone checks every event against.
 */
export const ChannelEventData = {
  /** A connector's state as the pile reported it (OCPP StatusNotification: 1 the outlet, 0 the pile). */
  status: object({ connectorId: Type.Integer({ minimum: 0 }), status: Type.String(), errorCode: Type.String(), atS: AtS }),
  /** A meter sample of the channel's running contract: energy since its start, power, its cost so far under the contract's tariff and cap. */
  meter: object({ contractSeq: uint(1, U32_MAX), energyWh: Count, powerW: Type.Optional(Count), costMinor: Count, atS: AtS }),
  /** The pile's Receipt of the channel's contract is held: the session is over (the stream ends after this). */
  ended: object({
    contractSeq: uint(1, U32_MAX),
    receipt: SignedMessage,
    endReason: Type.String(),
    energyWh: Count,
    durationS: Count,
    amountMinor: Type.Optional(Count),
    status: ContractStatus,
  }),
  /** The pile's uplink dropped; it keeps charging to the contract's limit, and events resume when it reconnects. */
  'uplink-lost': object({ atS: AtS }),
} as const;
export type ChannelEventName = keyof typeof ChannelEventData;
export type ChannelEvent = { [E in ChannelEventName]: { event: E; data: Static<(typeof ChannelEventData)[E]> } }[ChannelEventName];

const HealthCheck = object({ ok: Type.Boolean(), ms: Count, error: Type.Optional(Type.String()) });
const Health = object({
  status: Type.Enum(['ok', 'unavailable']),
  uptimeS: Count,
  database: HealthCheck,
  ledger: HealthCheck,
  outbox: object({ pending: Count, oldestPendingS: Type.Optional(Type.Integer({ minimum: 0, description: 'age in seconds of the oldest ledger write still queued' })) }),
});

/** POST /v1/records takes at most this many records. */
export const RECORDS_PER_UPLOAD_MAX = 64;
/** GET /v1/operator/piles/{pileId} lists this many of the pile's latest sessions. */
export const OPERATOR_RECENT_SESSIONS = 20;
/** GET /v1/operator/piles/{pileId} lists this many of the pile's latest service authorisations. */
export const OPERATOR_RECENT_SERVICE_AUTHORIZATIONS = 20;

export const relayApi = {
  openapi: route({
    method: 'GET', url: '/openapi.json', summary: 'this document',
    answers: { 200: Type.Object({}, { additionalProperties: true, description: 'the OpenAPI 3.1 document' }) }, refusals: [],
  }),
  relayInfo: route({
    method: 'GET', url: '/v1/relay', summary: 'relay identity (the trust anchor of every pile), ledger, storage, outbox',
    answers: {
      200: object({
        relayPublicKey: PublicKey,
        relayKid: KeyId,
        ledger: object({ kind: Type.Enum(['embedded', 'rpc']), address: Address, operator: Address, revenueAccount: Address }),
        storage: Type.Enum(['sqlite', 'postgres']),
        outbox: object({
          pending: Count, done: Count, rejected: Count, transactions: Count,
          gasByKind: Type.Record(Type.String(), object({ entries: Count, gasUsed: Count })),
        }),
      }),
    },
    refusals: [],
  }),
  health: route({
    method: 'GET', url: '/v1/health', summary: 'for load balancers and monitoring: 200 when the database and the ledger answer, 503 naming what does not',
    answers: { 200: Health, 503: Health },
    refusals: [],
  }),
  registerUser: route({
    method: 'POST', url: '/v1/users', summary: 'register a user (signed by the key being registered)', signedBy: 'new-user',
    body: signed({ publicKey: PublicKey, displayName: text(DISPLAY_NAME_MAX_BYTES, 1) }),
    answers: { 201: object({ kid: KeyId, address: Address }) },
    refusals: [400, 401, 409, 413, 415],
  }),
  user: route({
    method: 'GET', url: '/v1/users/:kid', summary: 'balances (ledger), credit line, what a voucher may cap, open contracts (signed by the user or an operator)', signedBy: 'owner', params: kidParams, querystring: signedQuery,
    answers: {
      200: object({
        kid: KeyId,
        displayName: Type.String(),
        address: Address,
        balanceMinor: Count,
        escrowMinor: Count,
        creditLimitMinor: Count,
        creditUsedMinor: Count,
        availableMinor: SignedMinor,
        reservedMinor: Count,
        openContracts: Type.Array(ContractId),
        pendingLedgerWrites: Count,
        bookBalanceMinor: SignedMinor,
        bookEscrowMinor: SignedMinor,
      }),
    },
    refusals: [400, 401, 403, 404, 409],
  }),
  userContracts: route({
    method: 'GET', url: '/v1/users/:kid/contracts', summary: 'contracts: provisional, charged-at-cap, settled, corrected, disputed, voided; operator resolutions and refunds (signed by the user or an operator)', signedBy: 'owner', params: kidParams, querystring: signedQuery,
    answers: {
      200: object({
        contracts: Type.Array(object({
          contractId: ContractId,
          pileId: PileId,
          seq: uint(1, U32_MAX),
          mode: Type.Enum([...CHARGE_MODES]),
          capMinor: Count,
          status: ContractStatus,
          ledgerState: Type.String({ description: "the ledger's record of the contract id" }),
          amountMinor: Type.Optional(Count),
          receiptAmountMinor: Type.Optional(Count),
          energyWh: Type.Optional(Count),
          durationS: Type.Optional(Count),
          endReason: Type.Optional(Type.String()),
          problem: Type.Optional(Type.String()),
          late: Type.Optional(Type.Boolean()),
          advanceMinor: Type.Optional(Count),
          resolution: Type.Optional(Resolution),
          refundedMinor: Type.Optional(Count),
          refunds: Type.Optional(Type.Array(Refund)),
        })),
      }),
    },
    refusals: [400, 401, 403, 404, 409],
  }),
  userCredit: route({
    method: 'GET', url: '/v1/users/:kid/credit', summary: 'the credit record (R11) (signed by the user or an operator)', signedBy: 'owner', params: kidParams, querystring: signedQuery,
    answers: {
      200: object({
        kid: KeyId,
        settledSessions: Count,
        settledAmountMinor: Count,
        lateReceipts: Count,
        creditLimitMinor: Count,
        creditUsedMinor: Count,
        policy: object({ minSettledSessions: Count, limitPercentOfSettled: Count, maxCreditMinor: Count, lateReceiptPenaltyPercent: Count }),
      }),
    },
    refusals: [400, 401, 403, 404, 409],
  }),
  userHistory: route({
    method: 'GET', url: '/v1/users/:kid/history', summary: "the ledger events of the user's account (signed by the user or an operator)", signedBy: 'owner', params: kidParams, querystring: signedQuery,
    answers: { 200: object({ events: Type.Array(LedgerEventAnswer) }) },
    refusals: [400, 401, 403, 404, 409],
  }),
  registerPile: route({
    method: 'POST', url: '/v1/piles', summary: 'register a pile (operator); the answer is its provisioning record', signedBy: 'operator',
    body: signed({ pileId: PileId, publicKey: PublicKey, operator: text(64, 1), label: text(LABEL_MAX_BYTES), maxPowerW: uint(1, 1_000_000), tariff: TariffPrices }),
    answers: { 201: ProvisioningRecordJson },
    refusals: [400, 401, 403, 409, 413, 415],
  }),
  pileProvisioning: route({
    method: 'GET', url: '/v1/piles/:pileId/provisioning',
    summary: 'the provisioning record of a registered pile again, with its current PileUpdate (a pile provisioned after a failed attempt or a factory reset starts on the config in force); public, as every part of it is',
    params: pileParams,
    answers: { 200: ProvisioningRecordJson },
    refusals: [400, 404],
  }),
  pile: route({
    method: 'GET', url: '/v1/piles/:pileId', summary: 'registry entry, configuration, held sequences and gaps', params: pileParams,
    answers: { 200: object(pileEntryFields) },
    refusals: [400, 404],
  }),
  configurePile: route({
    method: 'POST', url: '/v1/piles/:pileId/config', summary: 'new configuration (operator): the next config version, a relay-signed PileUpdate', signedBy: 'operator',
    params: pileParams,
    body: signed({ label: Type.Optional(text(LABEL_MAX_BYTES)), maxPowerW: Type.Optional(uint(1, 1_000_000)), tariff: Type.Optional(TariffPrices) }),
    answers: { 200: PileUpdateOffer },
    refusals: [400, 401, 403, 404, 409, 413, 415],
  }),
  pileUpdate: route({
    method: 'GET', url: '/v1/piles/:pileId/update', summary: 'the PileUpdate newer than configVersion, if any', params: pileParams,
    querystring: object({ configVersion: Type.Optional(uint(0, U32_MAX)) }),
    answers: { 200: PileUpdateOffer, 204: NoContent },
    refusals: [400, 404],
  }),
  serviceAuthorization: route({
    method: 'POST', url: '/v1/piles/:pileId/service-authorizations', signedBy: 'operator',
    summary: "a relay-signed ServiceAuthorization letting one changing service-console command (scope) run on the pile in the console session whose challenge is given (firmware/console/README.md); kept and shown to operators; again for the same challenge and scope: the same one (200) (operator)",
    params: pileParams,
    body: signed({ challenge: hex(CONSOLE_CHALLENGE_BYTES), scope: Type.Enum([...SERVICE_SCOPES]) }),
    answers: { 201: ServiceAuthorizationAnswer, 200: ServiceAuthorizationAnswer },
    refusals: [400, 401, 403, 404, 409, 413, 415],
  }),
  pileAck: route({
    method: 'GET', url: '/v1/piles/:pileId/ack', summary: 'a relay-signed Ack of the records held for the pile', params: pileParams,
    answers: { 200: object({ ack: SignedMessage }), 204: NoContent },
    refusals: [400, 404],
  }),
  issueVoucher: route({
    method: 'POST', url: '/v1/vouchers', summary: 'a relay-signed Authorization (voucher) for one tap 2; a retry for the same pile nonce and limit gets the same one (200)',
    signedBy: 'user',
    body: signed({ pileId: PileId, pileNonce: PileNonce, limit: ChargeLimit }),
    answers: { 201: object({ authorization: SignedMessage }), 200: object({ authorization: SignedMessage }) },
    refusals: [400, 401, 402, 404, 409, 413, 415],
  }),
  cancelVoucher: route({
    method: 'POST', url: '/v1/vouchers/:voucherId/cancel', summary: "cancel the signer's unused voucher: its cap is reserved no more (a contract a pile still starts with it is funded); again: the first cancel",
    signedBy: 'user',
    params: strict({ voucherId: KeyId }),
    body: signed({}),
    answers: { 200: object({ voucherId: KeyId, cancelledAtS: AtS, releasedMinor: Count }) },
    refusals: [400, 401, 404, 409, 413, 415],
  }),
  openChannel: route({
    method: 'POST', url: '/v1/channels', signedBy: 'user',
    summary: "open a virtual channel to a pile connected over OCPP (R9): the relay checks the user may charge, selects the pile and greets the user there; the answer is the pile's PileHello and its PileInfo signed over the phone's nonce (a newer channel of the user replaces an idle one)",
    body: signed({ pileId: PileId, hello: CborMessage }),
    answers: { 201: object({ channelId: ChannelId, pileHello: CborMessage, pileInfo: SignedMessage }) },
    refusals: [400, 401, 402, 404, 409, 413, 415, 502, 504],
  }),
  startChannel: route({
    method: 'POST', url: '/v1/channels/:channelId/start', signedBy: 'user',
    summary: "start charging on the channel's pile: the voucher (as POST /v1/vouchers issues it) is sent to the pile, whose signed Contract is ingested at once (escrow taken) (the channel's user)",
    params: channelParams,
    body: signed({ limit: ChargeLimit }),
    answers: { 201: object({ authorization: SignedMessage, contract: SignedMessage }) },
    refusals: [400, 401, 402, 403, 404, 409, 413, 415, 502, 504],
  }),
  stopChannel: route({
    method: 'POST', url: '/v1/channels/:channelId/stop', signedBy: 'user',
    summary: "stop the channel's running contract: a relay-signed StopRequest goes to the pile, whose signed Receipt is ingested at once (settled); again after the end: the held receipt (the channel's user)",
    params: channelParams,
    body: signed({}),
    answers: { 200: object({ receipt: SignedMessage }) },
    refusals: [400, 401, 403, 404, 409, 413, 415, 502, 504],
  }),
  channelEvents: route({
    method: 'GET', url: '/v1/channels/:channelId/events', signedBy: 'user', mediaType: 'text/event-stream',
    summary: 'Server-Sent Events of the channel: status, meter, ended (then the stream ends), uplink-lost; each data one JSON object (ChannelEventData in tools/relay-api/routes.ts) (the channel\'s user)',
    params: channelParams, querystring: signedQuery,
    answers: { 200: Type.Unsafe<ReadableStream<Uint8Array>>(Type.String({ description: 'text/event-stream: `event: <name>` and `data: <JSON>` per event; comment lines keep the connection alive' })) },
    refusals: [400, 401, 403, 404, 409],
  }),
  uploadRecords: route({
    method: 'POST', url: '/v1/records', summary: 'upload pile-signed Contracts and Receipts (any phone); answers per record and relay-signed Acks',
    body: strict({ records: Type.Array(Type.Unknown({ description: 'base64url of a signed Contract or Receipt' }), { minItems: 1, maxItems: RECORDS_PER_UPLOAD_MAX }) }),
    answers: { 200: object({ results: Type.Array(RecordResult), acks: Type.Array(object({ pileId: PileId, ack: SignedMessage })) }) },
    refusals: [400, 413, 415],
  }),
  issue: route({
    method: 'POST', url: '/v1/issue', summary: "top-up (operator); repays the user's credit advances first; once per idempotency key", signedBy: 'operator',
    body: signed({ userKid: KeyId, amountMinor: MoneyMinor, idempotencyKey: IdempotencyKey }),
    answers: moneyAnswers({ ref: TxHash, userKid: KeyId, amountMinor: MoneyMinor, repaidMinor: Count }),
    refusals: [400, 401, 403, 404, 409, 413, 415, 502],
  }),
  transfer: route({
    method: 'POST', url: '/v1/transfers', summary: 'transfer between users (circulation), from own funds only; once per idempotency key', signedBy: 'user',
    body: signed({ toKid: KeyId, amountMinor: MoneyMinor, idempotencyKey: IdempotencyKey }),
    answers: moneyAnswers({ ref: TxHash, fromKid: KeyId, toKid: KeyId, amountMinor: MoneyMinor }),
    refusals: [400, 401, 402, 404, 409, 413, 415, 502],
  }),
  operatorPiles: route({
    method: 'GET', url: '/v1/operator/piles', summary: 'every pile: configuration, last seen, silent, held sequences and gaps, sessions (operator)', signedBy: 'operator',
    querystring: signedQuery,
    answers: { 200: object({ nowS: AtS, silentAfterS: Count, piles: Type.Array(OperatorPile) }) },
    refusals: [400, 401, 403, 409],
  }),
  operatorPile: route({
    method: 'GET', url: '/v1/operator/piles/:pileId', signedBy: 'operator',
    summary: `one pile as in /v1/operator/piles, its ${OPERATOR_RECENT_SESSIONS} latest sessions and its ${OPERATOR_RECENT_SERVICE_AUTHORIZATIONS} latest service authorisations, newest first (operator)`,
    params: pileParams, querystring: signedQuery,
    answers: {
      200: object({
        nowS: AtS, silentAfterS: Count, pile: OperatorPile, recentSessions: Type.Array(OperatorSession),
        serviceAuthorizations: Type.Array(IssuedServiceAuthorization),
      }),
    },
    refusals: [400, 401, 403, 404, 409],
  }),
  operatorUplinks: route({
    method: 'GET', url: '/v1/operator/uplinks', signedBy: 'operator',
    summary: "the piles connected over OCPP whose connection proved the pile's identity, in this relay process: since when, last message, connector states (operator)",
    querystring: signedQuery,
    answers: { 200: object({ nowS: AtS, uplinks: Type.Array(OperatorUplink) }) },
    refusals: [400, 401, 403, 409],
  }),
  operatorUsers: route({
    method: 'GET', url: '/v1/operator/users', summary: 'every user: ledger and book balances, credit line, open and disputed contracts, settled history (operator)', signedBy: 'operator',
    querystring: signedQuery,
    answers: { 200: object({ users: Type.Array(OperatorUser) }) },
    refusals: [400, 401, 403, 409],
  }),
  resolveContract: route({
    method: 'POST', url: '/v1/operator/contracts/:contractId/resolve', signedBy: 'operator',
    summary: 'decide a disputed contract whose receipt is held: settle it on the receipt (ledger open + settle) or void it (nothing charged); once (operator)',
    params: contractParams,
    body: signed({ decision: Type.Enum(['settle', 'void']), reason: Reason }),
    answers: moneyAnswers({
      contractId: ContractId, decision: Type.Enum(['settle', 'void']), reason: Type.String(), operatorKid: KeyId, atS: AtS,
      contractStatus: Type.Enum(['settled', 'voided']), amountMinor: Count, advanceMinor: Type.Optional(Count),
    }),
    refusals: [400, 401, 403, 404, 409, 413, 415, 502],
  }),
  refundContract: route({
    method: 'POST', url: '/v1/operator/contracts/:contractId/refund', signedBy: 'operator',
    summary: 'refund a settled or corrected contract from the revenue account, at most what it charged minus earlier refunds; once per idempotency key (operator)',
    params: contractParams,
    body: signed({ amountMinor: MoneyMinor, reason: Reason, idempotencyKey: IdempotencyKey }),
    answers: moneyAnswers({ ref: TxHash, contractId: ContractId, userKid: KeyId, amountMinor: MoneyMinor, chargedMinor: Count, refundedMinor: Count }),
    refusals: [400, 401, 403, 404, 409, 413, 415, 502],
  }),
  operatorSessionsCsv: route({
    method: 'GET', url: '/v1/operator/sessions.csv', signedBy: 'operator', mediaType: 'text/csv',
    summary: 'sessions settled in [from, to) as RFC 4180 CSV with a header row, times ISO 8601 UTC (operator)',
    querystring: strict({ from: UtcTime, to: UtcTime, ...signedQueryFields }),
    answers: { 200: Type.String({ description: 'text/csv: contractId, pileId, userKid, mode, startAt, endAt, settledAt, energyWh, durationS, amountMinor, refundedMinor, status, resolution, ledgerTxHash' }) },
    refusals: [400, 401, 403, 409],
  }),
  operatorLogin: route({
    method: 'POST', url: '/v1/operator/tokens', signedBy: 'operator',
    summary: "a session token for the operator's browser (the dashboard): sent as Authorization: Bearer, it stands for the operator's signature on reads (GET) until expiresAtS, never on a POST (operator)",
    body: signed({}),
    answers: { 201: object({ token: Type.String({ description: 'v1.<operator kid>.<expiresAtS>.<base64url Ed25519 signature by the relay key>' }), expiresAtS: AtS }) },
    refusals: [400, 401, 403, 409, 413, 415],
  }),
  operatorSessions: route({
    method: 'GET', url: '/v1/operator/sessions', signedBy: 'operator',
    summary: 'the sessions settled in [from, to) (the rows of sessions.csv) and every session whose amount is not final: provisional, charged at cap, disputed (operator)',
    querystring: strict({ from: UtcTime, to: UtcTime, ...signedQueryFields }),
    answers: {
      200: object({
        fromS: AtS,
        toS: AtS,
        settled: Type.Array(OperatorSession, { description: 'settled or corrected at relay times in [from, to), in that order' }),
        unsettled: Type.Array(OperatorSession, { description: 'provisional, charged-at-cap and disputed sessions of any time, by start' }),
      }),
    },
    refusals: [400, 401, 403, 409],
  }),
  operatorAudit: route({
    method: 'GET', url: '/v1/operator/audit', signedBy: 'operator',
    summary: "the relay's audit (tools/relay/audit) of its live database and ledger: PASS, or FAIL with the number of disagreements and the first (operator)",
    querystring: signedQuery,
    answers: {
      200: object({
        ok: Type.Boolean(),
        checkedAtS: AtS,
        disagreements: Count,
        first: Type.Optional(Type.String({ description: 'the first row that disagrees, as `tapcharge relay audit` prints it' })),
        pendingLedgerWrites: Count,
      }),
    },
    refusals: [400, 401, 403, 409],
  }),
} as const;

export type RelayApi = typeof relayApi;
export type RouteName = keyof RelayApi;

/** The body a route takes, without the fields signing adds (nonce, atS). */
export type RequestBody<N extends RouteName> = RelayApi[N] extends { body: infer B extends TSchema } ? Omit<Static<B>, 'nonce' | 'atS'> : never;
/** The answer of a route with status `S`. */
export type Answer<N extends RouteName, S extends keyof RelayApi[N]['answers'] = keyof RelayApi[N]['answers']> =
  RelayApi[N]['answers'][S] extends infer A extends TSchema ? Static<A> : never;

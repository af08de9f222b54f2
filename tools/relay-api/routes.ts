// The relay's HTTP API, one schema source: every route's method, path, signer, request and answer
// shapes. The relay registers its handlers against this table (fastify validates requests with
// it and serves the OpenAPI document generated from it); the phone's relay client types its
// calls and checks every answer with the same schemas. Platform-neutral: TypeBox only.
import Type, { type Static, type TSchema } from 'typebox';
import { CHARGE_MODES } from '../../contracts-offline/charge-limit.ts';
import { DISPLAY_NAME_MAX_BYTES, LABEL_MAX_BYTES, U32_MAX } from '../../contracts-offline/messages/fields.ts';
import {
  Address, AtS, ChargeLimit, ContractId, Count, KeyId, MoneyMinor, PileId, PileNonce, PublicKey, SeqRange, SignedMessage, SignedMinor,
  Tariff, TariffPrices, TxHash, hex, text, uint,
} from './fields.ts';

/** Who signs a request (request-signing.ts): a registered user, an operator, or the key being registered. */
export type SignerRole = 'user' | 'operator' | 'new-user';

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
/** A money move answers 200 once on the ledger, 202 while still queued for it. */
const moneyAnswers = <P extends Record<string, TSchema>>(fields: P) => ({
  200: object({ ...fields, status: Type.Literal('applied'), txHash: Type.Optional(TxHash) }),
  202: object({ ...fields, status: Type.Literal('pending') }),
});
const ContractStatus = Type.Enum(['provisional', 'charged-at-cap', 'settled', 'corrected', 'disputed']);

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
});

const route = <R extends RouteSpec>(spec: R): R => spec;

/** POST /v1/records takes at most this many records. */
export const RECORDS_PER_UPLOAD_MAX = 64;

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
  registerUser: route({
    method: 'POST', url: '/v1/users', summary: 'register a user (signed by the key being registered)', signedBy: 'new-user',
    body: signed({ publicKey: PublicKey, displayName: text(DISPLAY_NAME_MAX_BYTES, 1) }),
    answers: { 201: object({ kid: KeyId, address: Address }) },
    refusals: [400, 401, 409, 413, 415],
  }),
  user: route({
    method: 'GET', url: '/v1/users/:kid', summary: 'balances (ledger), credit line, what a voucher may cap, open contracts', params: kidParams,
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
    refusals: [400, 404],
  }),
  userContracts: route({
    method: 'GET', url: '/v1/users/:kid/contracts', summary: 'contracts: provisional, charged-at-cap, settled, corrected, disputed', params: kidParams,
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
        })),
      }),
    },
    refusals: [400, 404],
  }),
  userCredit: route({
    method: 'GET', url: '/v1/users/:kid/credit', summary: 'the credit record (R11)', params: kidParams,
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
    refusals: [400, 404],
  }),
  userHistory: route({
    method: 'GET', url: '/v1/users/:kid/history', summary: "the ledger events of the user's account", params: kidParams,
    answers: { 200: object({ events: Type.Array(LedgerEventAnswer) }) },
    refusals: [400, 404],
  }),
  registerPile: route({
    method: 'POST', url: '/v1/piles', summary: 'register a pile (operator); the answer is its provisioning record', signedBy: 'operator',
    body: signed({ pileId: PileId, publicKey: PublicKey, operator: text(64, 1), label: text(LABEL_MAX_BYTES), maxPowerW: uint(1, 1_000_000), tariff: TariffPrices }),
    answers: { 201: object({ pileId: PileId, relayPublicKey: PublicKey, configVersion: uint(1, U32_MAX), pileUpdate: SignedMessage }) },
    refusals: [400, 401, 403, 409, 413, 415],
  }),
  pile: route({
    method: 'GET', url: '/v1/piles/:pileId', summary: 'registry entry, configuration, held sequences and gaps', params: pileParams,
    answers: {
      200: object({
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
      }),
    },
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
  uploadRecords: route({
    method: 'POST', url: '/v1/records', summary: 'upload pile-signed Contracts and Receipts (any phone); answers per record and relay-signed Acks',
    body: strict({ records: Type.Array(Type.Unknown({ description: 'base64url of a signed Contract or Receipt' }), { minItems: 1, maxItems: RECORDS_PER_UPLOAD_MAX }) }),
    answers: { 200: object({ results: Type.Array(RecordResult), acks: Type.Array(object({ pileId: PileId, ack: SignedMessage })) }) },
    refusals: [400, 413, 415],
  }),
  issue: route({
    method: 'POST', url: '/v1/issue', summary: "top-up (operator); repays the user's credit advances first", signedBy: 'operator',
    body: signed({ userKid: KeyId, amountMinor: MoneyMinor }),
    answers: moneyAnswers({ ref: TxHash, userKid: KeyId, amountMinor: MoneyMinor, repaidMinor: Count }),
    refusals: [400, 401, 403, 404, 409, 413, 415, 502],
  }),
  transfer: route({
    method: 'POST', url: '/v1/transfers', summary: 'transfer between users (circulation), from own funds only', signedBy: 'user',
    body: signed({ toKid: KeyId, amountMinor: MoneyMinor }),
    answers: moneyAnswers({ ref: TxHash, fromKid: KeyId, toKid: KeyId, amountMinor: MoneyMinor }),
    refusals: [400, 401, 402, 404, 409, 413, 415, 502],
  }),
} as const;

export type RelayApi = typeof relayApi;
export type RouteName = keyof RelayApi;

/** The body a route takes, without the fields signing adds (nonce, atS). */
export type RequestBody<N extends RouteName> = RelayApi[N] extends { body: infer B extends TSchema } ? Omit<Static<B>, 'nonce' | 'atS'> : never;
/** The answer of a route with status `S`. */
export type Answer<N extends RouteName, S extends keyof RelayApi[N]['answers'] = keyof RelayApi[N]['answers']> =
  RelayApi[N]['answers'][S] extends infer A extends TSchema ? Static<A> : never;

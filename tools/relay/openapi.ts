// The OpenAPI 3.1 description of the relay's HTTP API, served at GET /openapi.json. It describes
// the same routes as routes/*.ts (a test checks every route is in it and nothing else).
const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` });
const b64 = { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'base64url (no padding) of a signed COSE_Sign1 message' };
const int = (minimum: number, maximum?: number) => ({ type: 'integer', minimum, ...(maximum !== undefined ? { maximum } : {}) });
const voucherAnswer = { type: 'object', properties: { authorization: b64, voucherId: hex(8), capAmountMinor: int(1), tariffVersion: int(1), expiresAtS: int(0) } };
const ranges = { type: 'array', items: { type: 'object', properties: { fromSeq: int(0), toSeq: int(0) }, required: ['fromSeq', 'toSeq'] } };
const signedFields = { nonce: { type: 'string', pattern: '^([0-9a-f]{2}){8,32}$' }, atS: int(0) };
const tariffIn = { type: 'object', additionalProperties: false, required: ['energyMinorPerKwh', 'timeMinorPerHour', 'sessionFeeMinor'], properties: { energyMinorPerKwh: int(0, 10_000_000), timeMinorPerHour: int(0, 10_000_000), sessionFeeMinor: int(0, 10_000_000) } };
const limit = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['mode', 'amountMinor'], properties: { mode: { const: 'amount' }, amountMinor: int(1, 4294967295) } },
    { type: 'object', additionalProperties: false, required: ['mode', 'durationS'], properties: { mode: { const: 'time' }, durationS: int(1, 4294967295) } },
    { type: 'object', additionalProperties: false, required: ['mode', 'energyWh'], properties: { mode: { const: 'energy' }, energyWh: int(1, 4294967295) } },
    { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { const: 'full' } } },
  ],
};

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/responses/Error' };
const signedBody = (required: string[], properties: Record<string, unknown>) => ({
  required: true,
  ...json({ type: 'object', additionalProperties: false, required: [...required, 'nonce', 'atS'], properties: { ...properties, ...signedFields } }),
});
const signed = [{ tapchargeKid: [], tapchargeSignature: [] }];
const pathParam = (name: string, bytes: number) => ({ name, in: 'path', required: true, schema: hex(bytes) });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const refusals = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), error]));

export const openApiDocument = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'tapcharge verifier relay',
    version: '1',
    description: 'Users, pile registry, vouchers, record ingestion with relay-signed Acks, money on the ledger. Signed requests: see tools/relay/README.md.',
  },
  servers: [{ url: 'http://127.0.0.1:8787' }],
  components: {
    securitySchemes: {
      tapchargeKid: { type: 'apiKey', in: 'header', name: 'tapcharge-kid', description: 'key id (16 hex) of the signer' },
      tapchargeSignature: { type: 'apiKey', in: 'header', name: 'tapcharge-signature', description: 'base64url Ed25519 signature of "tapcharge-request-v1\\n" + METHOD + "\\n" + PATH + "\\n" ‖ body' },
    },
    responses: {
      Error: ok('refused', { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } }),
    },
  },
  paths: {
    '/openapi.json': { get: { summary: 'this document', responses: { 200: ok('OpenAPI document') } } },
    '/v1/relay': { get: { summary: 'relay identity, ledger, outbox state', responses: { 200: ok('relay', { type: 'object', required: ['relayPublicKey', 'relayKid', 'ledger'], properties: { relayPublicKey: hex(32), relayKid: hex(8), ledger: { type: 'object' }, storage: { type: 'string' }, outbox: { type: 'object' } } }) } } },
    '/v1/users': {
      post: {
        summary: 'register a user (signed by the key being registered)', security: signed,
        requestBody: signedBody(['publicKey', 'displayName'], { publicKey: hex(32), displayName: { type: 'string', maxLength: 24 } }),
        responses: { 201: ok('registered', { type: 'object', properties: { kid: hex(8), address: { type: 'string' } } }), ...refusals(400, 401, 409, 413, 415) },
      },
    },
    '/v1/users/{kid}': { get: { summary: 'balances (ledger), credit, available, open contracts', parameters: [pathParam('kid', 8)], responses: { 200: ok('user'), ...refusals(400, 404) } } },
    '/v1/users/{kid}/contracts': { get: { summary: 'contracts: provisional, charged-at-cap, settled, corrected, disputed', parameters: [pathParam('kid', 8)], responses: { 200: ok('contracts'), ...refusals(400, 404) } } },
    '/v1/users/{kid}/credit': { get: { summary: 'credit record (R11)', parameters: [pathParam('kid', 8)], responses: { 200: ok('credit record'), ...refusals(400, 404) } } },
    '/v1/users/{kid}/history': { get: { summary: "ledger events of the user's account", parameters: [pathParam('kid', 8)], responses: { 200: ok('events'), ...refusals(400, 404) } } },
    '/v1/piles': {
      post: {
        summary: 'register a pile (operator)', security: signed,
        requestBody: signedBody(['pileId', 'publicKey', 'operator', 'label', 'maxPowerW', 'tariff'], { pileId: hex(8), publicKey: hex(32), operator: { type: 'string' }, label: { type: 'string' }, maxPowerW: int(1, 1_000_000), tariff: tariffIn }),
        responses: { 201: ok('registered; pileUpdate is the provisioning record', { type: 'object', properties: { pileId: hex(8), relayPublicKey: hex(32), configVersion: int(1), pileUpdate: b64 } }), ...refusals(400, 401, 403, 409, 413, 415) },
      },
    },
    '/v1/piles/{pileId}': { get: { summary: 'registry entry, config, held sequences and gaps', parameters: [pathParam('pileId', 8)], responses: { 200: ok('pile', { type: 'object', properties: { held: ranges, gaps: ranges } }), ...refusals(400, 404) } } },
    '/v1/piles/{pileId}/config': {
      post: {
        summary: 'new configuration (operator): next config version, relay-signed PileUpdate', security: signed, parameters: [pathParam('pileId', 8)],
        requestBody: signedBody([], { label: { type: 'string' }, maxPowerW: int(1, 1_000_000), tariff: tariffIn }),
        responses: { 200: ok('updated', { type: 'object', properties: { configVersion: int(1), pileUpdate: b64 } }), ...refusals(400, 401, 403, 404, 413, 415) },
      },
    },
    '/v1/piles/{pileId}/update': {
      get: {
        summary: 'the PileUpdate newer than configVersion, if any', parameters: [pathParam('pileId', 8), { name: 'configVersion', in: 'query', required: false, schema: int(0, 4294967295) }],
        responses: { 200: ok('newer update', { type: 'object', properties: { configVersion: int(1), pileUpdate: b64 } }), 204: { description: 'up to date' }, ...refusals(400, 404) },
      },
    },
    '/v1/piles/{pileId}/ack': { get: { summary: 'relay-signed Ack of the records held', parameters: [pathParam('pileId', 8)], responses: { 200: ok('ack', { type: 'object', properties: { ack: b64 } }), 204: { description: 'nothing held' }, ...refusals(400, 404) } } },
    '/v1/vouchers': {
      post: {
        summary: 'relay-signed Authorization for one tap 2', security: signed,
        requestBody: signedBody(['pileId', 'pileNonce', 'limit'], { pileId: hex(8), pileNonce: { type: 'string', pattern: '^([0-9a-f]{2}){8,16}$' }, limit }),
        responses: {
          201: ok('voucher', voucherAnswer),
          200: ok('the voucher already issued for this pile nonce and limit (a retry)', voucherAnswer),
          ...refusals(400, 401, 402, 404, 409, 413, 415),
        },
      },
    },
    '/v1/records': {
      post: {
        summary: 'upload pile-signed Contracts and Receipts (any phone); answers per-record results and relay-signed Acks',
        requestBody: { required: true, ...json({ type: 'object', additionalProperties: false, required: ['records'], properties: { records: { type: 'array', minItems: 1, maxItems: 64, items: b64 } } }) },
        responses: {
          200: ok('results', {
            type: 'object',
            properties: {
              results: { type: 'array', items: { type: 'object', required: ['status'], properties: { pileId: hex(8), seq: int(1), kind: { enum: ['contract', 'receipt'] }, status: { enum: ['accepted', 'duplicate', 'rejected'] }, error: { type: 'string' }, message: { type: 'string' }, problem: { type: 'string' }, gap: ranges } } },
              acks: { type: 'array', items: { type: 'object', properties: { pileId: hex(8), ack: b64 } } },
            },
          }),
          ...refusals(400, 413, 415),
        },
      },
    },
    '/v1/issue': {
      post: {
        summary: 'top-up (operator); repays credit advances first', security: signed,
        requestBody: signedBody(['userKid', 'amountMinor'], { userKid: hex(8), amountMinor: int(1) }),
        responses: { 200: ok('on the ledger'), 202: ok('queued for the ledger'), ...refusals(400, 401, 403, 404, 409, 502) },
      },
    },
    '/v1/transfers': {
      post: {
        summary: 'transfer between users (circulation), from own funds only', security: signed,
        requestBody: signedBody(['toKid', 'amountMinor'], { toKid: hex(8), amountMinor: int(1) }),
        responses: { 200: ok('on the ledger'), 202: ok('queued for the ledger'), ...refusals(400, 401, 402, 404, 409, 502) },
      },
    },
  },
});

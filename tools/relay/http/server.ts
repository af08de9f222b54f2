// The relay's HTTP server: fastify serving the route table of tools/relay-api/routes.ts — requests
// validated with its schemas (one line naming the field: tools/relay-api/explain.ts), signed
// requests verified before anything else (auth.ts), handlers typed by the answers it names, and the
// OpenAPI document generated from the same table. JSON bodies only (415), at most 64 KiB (413),
// valid UTF-8 and JSON with no name twice in an object (400). Every refusal is
// `{"error": code, "message": one line}`; an unexpected failure is a 500 whose details go to the
// log only.
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest, type FastifySchemaCompiler } from 'fastify';
import { type DestinationStream, pino } from 'pino';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { checkJson } from '../../relay-api/explain.ts';
import { HEADER_KID, HEADER_SIGNATURE } from '../../relay-api/request-signing.ts';
import { ErrorAnswer, type RouteName, type RouteSpec, relayApi } from '../../relay-api/routes.ts';
import { type Signer, authenticate } from '../auth.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { serveDashboard } from '../routes/dashboard-static.ts';
import { firstDuplicateKey } from './duplicate-keys.ts';
import type { RouteHandlers } from './routes.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as they arrived (a signed request's signature covers them). */
    rawBody: Uint8Array | undefined;
    signer: Signer | undefined;
  }
  interface FastifyReply {
    /** The refusal's error code, for the request log. */
    refusalCode: string | undefined;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new HttpError('invalid-json', 'request body is empty (expected a JSON object)');
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError('invalid-json', 'request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError('invalid-json', `request body is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) throw new HttpError('invalid-json', `request body names "${duplicate}" twice (each name once)`);
  return value;
}

const partNames: Record<string, string> = { body: 'body', params: 'path', querystring: 'query' };

/** Validates with the API's schemas (TypeBox); path and query values are converted from text first. */
const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => (value) => {
  const converted = httpPart === 'body' ? value : Value.Convert(schema, value);
  const checked = checkJson(schema, converted, partNames[httpPart ?? 'body'] ?? 'body');
  return checked.ok ? { value: checked.value } : { error: new HttpError('invalid-field', checked.reason) };
};

/** Path patterns of the table, to tell an unknown path (404) from a known one with another method (405). */
const patterns = Object.values(relayApi).map((r) => ({ method: r.method, regex: new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`) }));

function refusal(error: unknown, request: FastifyRequest, ctx: RelayContext): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as FastifyError;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('body-too-large', `request body is over the limit of ${BODY_LIMIT_BYTES} bytes`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    return new HttpError('unsupported-media-type', `expected content-type application/json, got ${type === '' ? 'none' : type}`);
  }
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return new HttpError('invalid-json', 'request body is empty (expected a JSON object)');
  ctx.log(`relay: internal error on ${request.method} ${request.url}: ${error instanceof Error ? error.stack : String(error)}`);
  return new HttpError('internal-error', 'the relay failed to handle this request; see its log');
}

/**
 * One line per answered request: id, method, path (a signed GET's nonce and atS left out), status,
 * time taken, the signer's key id, the refusal code, and the client's address.
 */
function logRequests(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      const code = /^\{"error":"([a-z0-9-]+)"/.exec(payload)?.[1];
      if (code) reply.refusalCode = code;
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const kid = request.headers[HEADER_KID];
    request.log.info({
      method: request.method,
      path: request.url.replace(/[?&]nonce=[0-9a-f]+&atS=\d+$/, ''),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(typeof kid === 'string' && { kid }),
      ...(reply.refusalCode && { error: reply.refusalCode }),
      remote: request.ip,
    }, 'request');
  });
}

function schemaOf(spec: RouteSpec): Record<string, unknown> {
  const response: Record<number, TSchema | { content: Record<string, { schema: TSchema }> }> = { ...spec.answers };
  // A route answering another media type (text/csv) documents its success answers under that type.
  if (spec.mediaType) for (const [status, schema] of Object.entries(spec.answers)) response[Number(status)] = { content: { [spec.mediaType]: { schema } } };
  for (const status of spec.refusals) response[status] = ErrorAnswer;
  return {
    summary: spec.summary,
    ...(spec.params && { params: spec.params }),
    ...(spec.querystring && { querystring: spec.querystring }),
    ...(spec.body && { body: spec.body }),
    ...(spec.signedBy && { security: [{ tapchargeKid: [], tapchargeSignature: [] }] }),
    response,
  };
}

export type RelayServerOptions = {
  /** Where the request log goes: one JSON line per answered request (pino). None when absent. */
  requestLog?: DestinationStream;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: Uint8Array; key: Uint8Array };
};

export async function createRelayServer(ctx: RelayContext, handlers: RouteHandlers, options: RelayServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.requestLog ? { loggerInstance: pino({ base: undefined }, options.requestLog) as FastifyBaseLogger } : { logger: false }),
    ...(options.tls && { https: { cert: Buffer.from(options.tls.cert), key: Buffer.from(options.tls.key) } }),
    logController: new LogController({ disableRequestLogging: true }), // our one line per request: logRequests
    bodyLimit: BODY_LIMIT_BYTES, keepAliveTimeout: 5_000, forceCloseConnections: true, exposeHeadRoutes: false,
  });
  if (options.requestLog) logRequests(app);
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('signer', undefined);
  app.decorateReply('refusalCode', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    request.rawBody = new Uint8Array((raw as Buffer).buffer, (raw as Buffer).byteOffset, (raw as Buffer).byteLength);
    try {
      done(null, parseJsonBody(raw as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  // Answers are typed by their schemas at compile time (http/routes.ts); plain JSON.stringify writes
  // them (measured here: fast-json-stringify cost ~60 µs more per upload answer).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((error, request, reply) => {
    const refused = refusal(error, request, ctx);
    // A refused body may still be arriving: answer, then close the connection instead of reading it.
    if (refused.status === 413 || refused.status === 415) reply.header('connection', 'close');
    return reply.code(refused.status).send({ error: refused.code, message: refused.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = patterns.filter((p) => p.regex.test(path)).map((p) => p.method);
    const refused = allowed.length === 0
      ? new HttpError('not-found', `no such endpoint: ${path}`)
      : new HttpError('method-not-allowed', `${request.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`);
    return reply.code(refused.status).send({ error: refused.code, message: refused.message });
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tapcharge verifier relay',
        version: '1',
        description: 'Users, pile registry, vouchers, record ingestion with relay-signed Acks, money on the ledger. Signed requests: see tools/relay/README.md.',
      },
      components: {
        securitySchemes: {
          tapchargeKid: { type: 'apiKey', in: 'header', name: HEADER_KID, description: 'key id (16 hex) of the signer' },
          tapchargeSignature: { type: 'apiKey', in: 'header', name: HEADER_SIGNATURE, description: 'base64url Ed25519 signature of "tapcharge-request-v1\\n" + METHOD + "\\n" + PATH + "\\n" ‖ body' },
        },
      },
    },
  });
  for (const name of Object.keys(relayApi) as RouteName[]) {
    const spec: RouteSpec = relayApi[name];
    const role = spec.signedBy;
    app.route({
      method: spec.method,
      url: spec.url,
      schema: schemaOf(spec),
      ...(role && {
        preValidation: async (request: FastifyRequest) => {
          request.signer = await authenticate(ctx.db, ctx.crypto, ctx.nowS(), role, {
            method: request.method, path: request.url, headers: request.headers, rawBody: request.rawBody ?? new Uint8Array(0), body: request.body,
            query: request.query, ownerKid: (request.params as { kid?: string }).kid,
          }, { relayPublicKey: ctx.relayKey.publicKey, sessionS: ctx.policy.operatorSessionS });
        },
      }),
      handler: async (request, reply) => {
        const answer = name === 'openapi'
          ? { status: 200, body: app.swagger() }
          : await (handlers[name] as (ctx: RelayContext, request: unknown) => Promise<{ status: number; body?: unknown }>)(ctx, { params: request.params, query: request.query, body: request.body, signer: request.signer });
        reply.code(answer.status);
        // a string body with a non-JSON content type is sent as it is (fastify serialises only JSON)
        if (spec.mediaType) reply.type(`${spec.mediaType}; charset=utf-8`);
        return answer.status === 204 ? reply.send() : answer.body;
      },
    });
  }
  await serveDashboard(app);
  await app.ready();
  return app;
}

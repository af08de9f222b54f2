// The relay's HTTP server (node:http): routing, body limits, signed-request checks, JSON answers.
// Every refusal is `{"error": code, "message": one line}`; an unexpected failure is a 500 whose
// details go to the log only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authenticate } from '../auth.ts';
import type { RelayContext } from '../context.ts';
import { expectJsonContentType, parseJson, readBody } from './body.ts';
import { HttpError } from './errors.ts';
import { type Route, compileRoutes, matchRoute } from './routes.ts';

function send(response: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    response.writeHead(status, extraHeaders).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extraHeaders }).end(text);
}

async function handle(ctx: RelayContext, routes: ReturnType<typeof compileRoutes>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const path = request.url ?? '/';
  const url = new URL(path, 'http://relay.invalid');
  const found = matchRoute(routes, method, url.pathname);
  if (!('route' in found)) {
    if (found.allowed.length === 0) throw new HttpError(404, 'not-found', `no such endpoint: ${url.pathname}`);
    throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${url.pathname} (allowed: ${found.allowed.join(', ')})`);
  }
  const { route, params } = found;
  let body: unknown;
  let rawBody: Uint8Array = new Uint8Array(0);
  if (route.method === 'POST') {
    expectJsonContentType(request);
    rawBody = await readBody(request);
    body = parseJson(rawBody);
  }
  const signer = route.signedBy
    ? await authenticate(ctx.db, ctx.crypto, ctx.nowS(), route.signedBy, { method, path, headers: request.headers, rawBody, body })
    : undefined;
  const reply = await route.handle(ctx, { params, query: url.searchParams, body, signer });
  send(response, reply.status, reply.body);
}

export function createRelayServer(ctx: RelayContext, routeList: readonly Route[]): Server {
  const routes = compileRoutes(routeList);
  const server = createServer((request, response) => {
    handle(ctx, routes, request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpError) {
        // A refused body may still be arriving: answer, then close the connection instead of reading it.
        const close = error.status === 413 || error.status === 415 ? { connection: 'close' } : undefined;
        send(response, error.status, { error: error.code, message: error.message }, close);
        if (close) request.resume();
        return;
      }
      ctx.log(`relay: internal error on ${request.method} ${request.url}: ${error instanceof Error ? error.stack : String(error)}`);
      send(response, 500, { error: 'internal-error', message: 'the relay failed to handle this request; see its log' });
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

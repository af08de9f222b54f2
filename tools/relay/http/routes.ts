// What a route handler is: for one route of the API table (tools/relay-api/routes.ts), a function
// of the validated request answering one of the route's statuses with its body — both typed from
// that table, so a handler cannot answer what the OpenAPI document does not say.
import type { Static, TSchema } from 'typebox';
import type { RelayApi, RouteName } from '../../relay-api/routes.ts';
import type { Signer } from '../auth.ts';
import type { RelayContext } from '../context.ts';

type Part<N extends RouteName, K extends 'params' | 'querystring' | 'body'> = RelayApi[N] extends { [P in K]: infer S extends TSchema } ? Static<S> : undefined;

export type RouteRequest<N extends RouteName> = {
  params: Part<N, 'params'>;
  query: Part<N, 'querystring'>;
  body: Part<N, 'body'>;
  /** The verified signer, on routes that must be signed (auth.ts). */
  signer: RelayApi[N] extends { signedBy: string } ? Signer : undefined;
};

type Answers<N extends RouteName> = RelayApi[N]['answers'];
export type RouteReply<N extends RouteName> = {
  [S in keyof Answers<N>]: S extends 204 ? { status: S; body?: undefined } : { status: S; body: Answers<N>[S] extends infer A extends TSchema ? Static<A> : never };
}[keyof Answers<N>];

export type RouteHandler<N extends RouteName> = (ctx: RelayContext, request: RouteRequest<N>) => Promise<RouteReply<N>>;

/** A handler per route; the OpenAPI document (`openapi`) is the server's own. */
export type RouteHandlers = { [N in Exclude<RouteName, 'openapi'>]: RouteHandler<N> };

// What a route is: method + path pattern (`{name}` = one path segment), who must sign it, and a
// handler answering a status and a JSON body. Patterns compile to anchored regular expressions.
import type { Signer, SignerRole } from '../auth.ts';
import type { RelayContext } from '../context.ts';

export type RouteRequest = {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (POST), undefined for GET. */
  body: unknown;
  signer: Signer | undefined;
};

export type RouteReply = { status: number; body?: unknown };

export type Route = {
  method: 'GET' | 'POST';
  pattern: string;
  signedBy?: SignerRole;
  handle(ctx: RelayContext, request: RouteRequest): Promise<RouteReply>;
};

export type CompiledRoute = Route & { regex: RegExp; names: string[] };

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { ...route, regex: new RegExp(`^${source}$`), names };
  });
}

export function matchRoute(routes: readonly CompiledRoute[], method: string, pathname: string): { route: CompiledRoute; params: Record<string, string> } | { allowed: string[] } {
  const allowed: string[] = [];
  for (const route of routes) {
    const match = route.regex.exec(pathname);
    if (!match) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = match[i + 1]!));
    return { route, params };
  }
  return { allowed };
}

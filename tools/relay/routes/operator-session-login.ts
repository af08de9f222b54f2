// POST /v1/operator/tokens: an operator, signing once with its key, gets a session token for a
// browser, which holds no key (the dashboard). The token stands for the operator's signature on
// reads only, until policy.operatorSessionS from now on the relay's clock (auth.ts says how it is
// checked and why it needs no table).
import { issueSessionToken } from '../auth.ts';
import type { RouteHandler } from '../http/routes.ts';

export const operatorLogin: RouteHandler<'operatorLogin'> = async (ctx, { signer }) => {
  const expiresAtS = ctx.nowS() + ctx.policy.operatorSessionS;
  return { status: 201, body: { token: issueSessionToken(ctx.relayKey, ctx.crypto, signer.kid, expiresAtS), expiresAtS } };
};

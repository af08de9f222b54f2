// Service authorisations (operator): the relay signs a ServiceAuthorization letting one changing
// service-console command (scope: provision, set-clock, factory-reset) run on one pile, for the key
// registered for it and the challenge of one console session (firmware/console/README.md "Who may
// do what"). The pile checks the relay's signature, so only an operator's request gets one.
// Each is kept (service_authorizations: which operator, when, the signed bytes), listed to
// operators (GET /v1/operator/piles/{pileId}) and re-verified by the audit
// (audit/check-service-authorizations.ts). A second request for the same pile, challenge and scope
// (a retry after a lost answer) answers the one issued first: one authorisation per console session
// and command, never two that differ.
import { bytesToBase64url, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { type ServiceScope, encodeServiceAuthorization } from '../../../contracts-offline/messages/service-authorization.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { OPERATOR_RECENT_SERVICE_AUTHORIZATIONS, type Answer } from '../../relay-api/routes.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { RouteHandler } from '../http/routes.ts';
import { bytesColumn } from '../storage/db.ts';

const SAME_SESSION = 'FROM service_authorizations WHERE pile_id = ? AND challenge = ? AND scope = ?';

const serviceAuthorization: RouteHandler<'serviceAuthorization'> = async (ctx, { params, body, signer }) => {
  const pileId = params.pileId.toLowerCase();
  const challenge = body.challenge.toLowerCase();
  const pile = await ctx.db.get<{ public_key: string }>('SELECT public_key FROM piles WHERE pile_id = ?', [pileId]);
  if (!pile) throw new HttpError('unknown-pile', `pile ${pileId} is not registered`);
  const issuedAtS = ctx.nowS();
  const signed = signMessage(
    encodeServiceAuthorization({ pileId: hexToBytes(pileId), pilePublicKey: hexToBytes(pile.public_key), challenge: hexToBytes(challenge), scope: body.scope, issuedAtS }),
    ctx.relayKey.secretKey,
    { kid: ctx.relayKey.kid, crypto: ctx.crypto },
  );
  const inserted = await ctx.db.run(
    `INSERT INTO service_authorizations (pile_id, challenge, scope, pile_public_key, issued_at_s, operator_kid, signed) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
    [pileId, challenge, body.scope, pile.public_key, issuedAtS, signer.kid, signed],
  );
  if (inserted === 1) return { status: 201, body: { authorization: bytesToBase64url(signed) } };
  const first = (await ctx.db.get<{ signed: unknown }>(`SELECT signed ${SAME_SESSION}`, [pileId, challenge, body.scope]))!;
  return { status: 200, body: { authorization: bytesToBase64url(bytesColumn(first.signed, 'signed')) } };
};

type IssuedRow = { scope: ServiceScope; challenge: string; issued_at_s: number | string; operator_kid: string; signed: unknown };

/** The pile's latest service authorisations, newest first (GET /v1/operator/piles/{pileId}). */
export async function latestServiceAuthorizations(ctx: RelayContext, pileId: string): Promise<Answer<'operatorPile', 200>['serviceAuthorizations']> {
  const rows = await ctx.db.all<IssuedRow>(
    'SELECT scope, challenge, issued_at_s, operator_kid, signed FROM service_authorizations WHERE pile_id = ? ORDER BY issued_at_s DESC, challenge, scope LIMIT ?',
    [pileId, OPERATOR_RECENT_SERVICE_AUTHORIZATIONS],
  );
  return rows.map((r) => ({
    scope: r.scope,
    challenge: r.challenge,
    issuedAtS: Number(r.issued_at_s),
    operatorKid: r.operator_kid,
    authorization: bytesToBase64url(bytesColumn(r.signed, 'signed')),
  }));
}

export const serviceAuthorizationHandlers = { serviceAuthorization };

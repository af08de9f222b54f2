// Verifies a signed request (tools/relay-api/request-signing.ts) before anything moves or is read, in
// this order: signer known (401 unknown-signer; an operator route signed by a user: 403
// not-operator), signature (401 bad-signature), a private read signed by neither the user it reads
// nor an operator (403 not-owner), nonce/atS present (400; a GET carries them in its query), fresh
// (401 stale-request), nonce never seen for this signer (409 replayed-request). The nonce is spent
// even when the route then refuses, so a signed request is acted on, or a read answered, at most once.
//
// An operator's browser holds no key: it logs in once (POST /v1/operator/tokens, signed) and
// sends the session token it gets as `Authorization: Bearer <token>` instead of a signature — on
// reads (GET) only, never on a request that moves money or changes state. A token is stateless: the
// relay's own signature over SESSION_TOKEN_CONTEXT, the operator's key id and the expiry, so every
// relay instance holding the same relay key accepts it and no table keeps it. It is refused when
// it does not verify with this relay's key or is malformed (401 bad-token), once expired on the
// relay's clock (401 expired-token), when its kid is no longer an operator (401 bad-token), and on
// any other method (403 read-only-token). It cannot be revoked alone: remove the operator, or
// change the relay key (which every pile trusts), to end tokens early.
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { type KeyPair, keyId } from '../../contracts-offline/keys.ts';
import { HttpError, invalidField } from './errors.ts';
import { HEADER_KID as KID_HEADER, HEADER_SIGNATURE as SIGNATURE_HEADER, REQUEST_MAX_SKEW_S, requestSigningBytes } from '../relay-api/request-signing.ts';
import type { SignerRole } from '../relay-api/routes.ts';
import type { Db } from './storage/db.ts';

/** Who a request is from: its author's signature over it (nonce spent), or an operator's session token standing for it on a read. */
export type Signer = { role: SignerRole; kid: string; publicKey: Uint8Array } & ({ nonce: string; atS: number } | { sessionExpiresAtS: number });

/** What a session token is checked against: this relay's public key and its session length (policy.operatorSessionS). */
export type SessionTokenCheck = { relayPublicKey: Uint8Array; sessionS: number };

/** What the relay signs for a session token. The relay key's other signatures are COSE Sig_structures (first byte 0x84), never this text. */
export const SESSION_TOKEN_CONTEXT = 'tapcharge-operator-session-v1';
const TOKEN_FORMAT = /^v1\.([0-9a-f]{16})\.(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{86})$/;
const tokenSigningBytes = (kid: string, expiresAtS: string): Uint8Array => utf8Encode(`${SESSION_TOKEN_CONTEXT}\n${kid}\n${expiresAtS}`);

/** `v1.<operator kid>.<expiresAtS>.<base64url Ed25519 signature by the relay key>`. */
export function issueSessionToken(relayKey: Pick<KeyPair, 'secretKey'>, crypto: Ed25519Provider, operatorKid: string, expiresAtS: number): string {
  if (!/^[0-9a-f]{16}$/.test(operatorKid)) throw new TypeError(`auth: "operatorKid" expected 16 lowercase hex digits, got ${JSON.stringify(operatorKid)}`);
  if (!Number.isSafeInteger(expiresAtS) || expiresAtS < 0) throw new RangeError(`auth: "expiresAtS" expected a non-negative integer, got ${expiresAtS}`);
  const signature = crypto.sign(tokenSigningBytes(operatorKid, String(expiresAtS)), relayKey.secretKey);
  return `v1.${operatorKid}.${expiresAtS}.${bytesToBase64url(signature)}`;
}

export type AuthRequest = {
  method: string;
  /** The path as it arrived, query included (the signature covers it). */
  path: string;
  /** On a private read ('owner'), the key id of the user whose data it reads. */
  ownerKid?: string;
  query?: unknown;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Uint8Array;
  body: unknown;
};

const header = (headers: AuthRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The signer's public key, and whether it is an operator's (which may read any user's data). */
async function signerKey(db: Db, role: SignerRole, kid: string, body: unknown): Promise<{ publicKey: Uint8Array; operator: boolean }> {
  if (role === 'new-user') {
    const publicKey = (body as { publicKey?: unknown } | null)?.publicKey;
    let key: Uint8Array | undefined;
    try {
      key = typeof publicKey === 'string' ? hexToBytes(publicKey) : undefined;
    } catch { /* reported below */ }
    if (!key || key.length !== 32) throw invalidField('publicKey', 'expected hex (32 bytes)');
    if (bytesToHex(keyId(key)) !== kid) throw new HttpError('bad-signature', `${KID_HEADER} ${kid} is not the key id of publicKey`);
    return { publicKey: key, operator: false };
  }
  if (role === 'owner') {
    const row = await db.get<{ public_key: string; operator: number }>(
      'SELECT public_key, 0 AS operator FROM users WHERE kid = ? UNION ALL SELECT public_key, 1 AS operator FROM operators WHERE kid = ? ORDER BY operator DESC',
      [kid, kid],
    );
    if (row) return { publicKey: hexToBytes(row.public_key), operator: Number(row.operator) === 1 };
    throw new HttpError('unknown-signer', `no registered user or operator has key id ${kid}`);
  }
  const table = role === 'operator' ? 'operators' : 'users';
  const row = await db.get<{ public_key: string }>(`SELECT public_key FROM ${table} WHERE kid = ?`, [kid]);
  if (row) return { publicKey: hexToBytes(row.public_key), operator: role === 'operator' };
  if (role === 'operator' && (await db.get('SELECT kid FROM users WHERE kid = ?', [kid]))) throw new HttpError('not-operator', `signer ${kid} is a user, not an operator`);
  throw new HttpError('unknown-signer', `no ${role === 'operator' ? 'operator' : 'registered user'} has key id ${kid}`);
}

/** A signed GET's nonce and atS, from its query (still text: the route's schema is applied after). */
function readQuery(query: unknown): { nonce?: unknown; atS?: unknown } {
  const q = (query ?? {}) as Record<string, unknown>;
  const atS = typeof q.atS === 'string' && /^[0-9]{1,15}$/.test(q.atS) ? Number(q.atS) : q.atS;
  return { nonce: q.nonce, atS };
}

async function sessionSigner(db: Db, crypto: Ed25519Provider, nowS: number, role: SignerRole, token: string, check: SessionTokenCheck): Promise<Signer> {
  const parts = TOKEN_FORMAT.exec(token);
  if (!parts) throw new HttpError('bad-token', 'the session token is not one this relay issues (v1.<operator kid>.<expiresAtS>.<signature>): log in again');
  const [, kid, expiresText, signatureText] = parts as unknown as [string, string, string, string];
  let signature: Uint8Array | undefined;
  try {
    signature = base64urlToBytes(signatureText);
  } catch { /* reported below */ }
  if (!signature || !crypto.verify(signature, tokenSigningBytes(kid, expiresText), check.relayPublicKey)) {
    throw new HttpError('bad-token', 'the session token was not issued by this relay (its signature does not verify with the relay key): log in again');
  }
  const expiresAtS = Number(expiresText);
  if (expiresAtS <= nowS) throw new HttpError('expired-token', `the session token of operator ${kid} expired at ${expiresAtS} (relay clock ${nowS}): log in again`);
  if (expiresAtS - nowS > check.sessionS) throw new HttpError('bad-token', `the session token of operator ${kid} runs ${expiresAtS - nowS} s more, beyond this relay's session length of ${check.sessionS} s: log in again`);
  const row = await db.get<{ public_key: string }>('SELECT public_key FROM operators WHERE kid = ?', [kid]);
  if (!row) throw new HttpError('bad-token', `the session token names ${kid}, which is not an operator of this relay (any more)`);
  return { role, kid, publicKey: hexToBytes(row.public_key), sessionExpiresAtS: expiresAtS };
}

/**
 * The signer of a request to a route signed by `role`: its signature headers, or on an operator's
 * read (a GET signed by an operator, or a user's data an operator may read) a session token.
 */
export async function authenticate(db: Db, crypto: Ed25519Provider, nowS: number, role: SignerRole, request: AuthRequest, sessions: SessionTokenCheck): Promise<Signer> {
  const authorization = header(request.headers, 'authorization');
  if (authorization !== undefined) {
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined) throw new HttpError('bad-token', 'Authorization expected "Bearer <session token>"');
    if (request.method !== 'GET' || (role !== 'operator' && role !== 'owner')) {
      throw new HttpError('read-only-token', `a session token only reads: ${request.method} ${request.path.split('?')[0]} must be signed with the operator's key`);
    }
    return sessionSigner(db, crypto, nowS, role, token, sessions);
  }
  const kid = header(request.headers, KID_HEADER);
  if (kid === undefined) throw new HttpError('unknown-signer', `missing ${KID_HEADER} header (this request must be signed)`);
  if (!/^[0-9a-f]{16}$/.test(kid)) throw new HttpError('unknown-signer', `${KID_HEADER} expected 16 lowercase hex digits`);
  const { publicKey, operator } = await signerKey(db, role, kid, request.body);
  const signatureText = header(request.headers, SIGNATURE_HEADER);
  if (signatureText === undefined) throw new HttpError('bad-signature', `missing ${SIGNATURE_HEADER} header`);
  let signature: Uint8Array;
  try {
    signature = base64urlToBytes(signatureText);
  } catch {
    throw new HttpError('bad-signature', `${SIGNATURE_HEADER} is not base64url`);
  }
  if (signature.length !== 64 || !crypto.verify(signature, requestSigningBytes(request.method, request.path, request.rawBody), publicKey)) {
    throw new HttpError('bad-signature', `signature does not verify for ${request.method} ${request.path} with key ${kid}`);
  }
  if (role === 'owner' && kid !== request.ownerKid?.toLowerCase() && !operator) {
    throw new HttpError('not-owner', `signer ${kid} may not read the data of user ${request.ownerKid}: only that user or an operator`);
  }
  const body = request.method === 'GET' ? readQuery(request.query) : (request.body as { nonce?: unknown; atS?: unknown });
  if (typeof body.nonce !== 'string' || !/^([0-9a-f]{2}){8,32}$/.test(body.nonce)) throw invalidField('nonce', 'expected 16..64 lowercase hex digits');
  if (typeof body.atS !== 'number' || !Number.isSafeInteger(body.atS) || body.atS < 0) throw invalidField('atS', 'expected an integer (seconds since 1970)');
  if (Math.abs(nowS - body.atS) > REQUEST_MAX_SKEW_S) throw new HttpError('stale-request', `atS ${body.atS} is ${nowS - body.atS} s from the relay clock ${nowS} (limit ±${REQUEST_MAX_SKEW_S} s)`);
  const fresh = await db.run('INSERT INTO request_nonces (kid, nonce, at_s) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [kid, body.nonce, body.atS]);
  if (fresh === 0) throw new HttpError('replayed-request', `nonce ${body.nonce} was already used by ${kid}`);
  return { role, kid, publicKey, nonce: body.nonce, atS: body.atS };
}

/** Nonces older than the freshness window can go: a request that old is refused as stale anyway. */
export function pruneNonces(db: Db, nowS: number): Promise<number> {
  return db.run('DELETE FROM request_nonces WHERE at_s < ?', [nowS - REQUEST_MAX_SKEW_S - 1]);
}

// Verifies a signed request (tools/relay-api/request-signing.ts) before anything moves, in this order:
// signer known (401 unknown-signer; an operator route signed by a user: 403 not-operator),
// signature (401 bad-signature), nonce/atS present (400), fresh (401 stale-request), nonce never
// seen for this signer (409 replayed-request). The nonce is spent even when the route then refuses,
// so a signed request is acted on at most once.
import { base64urlToBytes, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { keyId } from '../../contracts-offline/keys.ts';
import { HttpError, invalidField } from './errors.ts';
import { HEADER_KID as KID_HEADER, HEADER_SIGNATURE as SIGNATURE_HEADER, REQUEST_MAX_SKEW_S, requestSigningBytes } from '../relay-api/request-signing.ts';
import type { SignerRole } from '../relay-api/routes.ts';
import type { Db } from './storage/db.ts';

export type Signer = { role: SignerRole; kid: string; publicKey: Uint8Array; nonce: string; atS: number };

export type AuthRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Uint8Array;
  body: unknown;
};

const header = (headers: AuthRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

async function signerKey(db: Db, role: SignerRole, kid: string, body: unknown): Promise<Uint8Array> {
  if (role === 'new-user') {
    const publicKey = (body as { publicKey?: unknown } | null)?.publicKey;
    let key: Uint8Array | undefined;
    try {
      key = typeof publicKey === 'string' ? hexToBytes(publicKey) : undefined;
    } catch { /* reported below */ }
    if (!key || key.length !== 32) throw invalidField('publicKey', 'expected hex (32 bytes)');
    if (bytesToHex(keyId(key)) !== kid) throw new HttpError('bad-signature', `${KID_HEADER} ${kid} is not the key id of publicKey`);
    return key;
  }
  const table = role === 'operator' ? 'operators' : 'users';
  const row = await db.get<{ public_key: string }>(`SELECT public_key FROM ${table} WHERE kid = ?`, [kid]);
  if (row) return hexToBytes(row.public_key);
  if (role === 'operator' && (await db.get('SELECT kid FROM users WHERE kid = ?', [kid]))) throw new HttpError('not-operator', `signer ${kid} is a user, not an operator`);
  throw new HttpError('unknown-signer', `no ${role === 'operator' ? 'operator' : 'registered user'} has key id ${kid}`);
}

export async function authenticate(db: Db, crypto: Ed25519Provider, nowS: number, role: SignerRole, request: AuthRequest): Promise<Signer> {
  const kid = header(request.headers, KID_HEADER);
  if (kid === undefined) throw new HttpError('unknown-signer', `missing ${KID_HEADER} header (this request must be signed)`);
  if (!/^[0-9a-f]{16}$/.test(kid)) throw new HttpError('unknown-signer', `${KID_HEADER} expected 16 lowercase hex digits`);
  const publicKey = await signerKey(db, role, kid, request.body);
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
  const body = request.body as { nonce?: unknown; atS?: unknown };
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

// Signed relay requests (tools/relay/README.md, "Signed requests"): the author signs, with plain
// Ed25519 (RFC 8032), the UTF-8 bytes of "tapcharge-request-v1\n" + METHOD + "\n" + PATH + "\n"
// followed by the raw body bytes; PATH includes the query string. A POST body carries a fresh
// `nonce` (hex) and the author's clock `atS`, so the relay refuses replays and stale requests; a
// signed GET (a private read) has no body and carries them as the last query parameters instead,
// `?nonce=…&atS=…`, inside the signed PATH.
// The phone and operator tools sign with this module; the relay (tools/relay/auth.ts) verifies
// with the same signing bytes.
import { bytesToBase64url, bytesToHex, concatBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { type Ed25519Provider, nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { type KeyPair, type RandomSource, randomNonce } from '../../contracts-offline/keys.ts';

export const REQUEST_SIGNATURE_CONTEXT = 'tapcharge-request-v1';
export const HEADER_KID = 'tapcharge-kid';
export const HEADER_SIGNATURE = 'tapcharge-signature';
/** Largest |relay clock − atS| the relay accepts. */
export const REQUEST_MAX_SKEW_S = 300;
/** Request nonces are 16 random bytes (32 hex digits; the relay accepts 16..64 hex). */
const requestNonceBytes = 16;

/** The exact bytes a request signature covers. */
export function requestSigningBytes(method: string, path: string, body: Uint8Array): Uint8Array {
  if (!/^[A-Z]+$/.test(method)) throw new TypeError(`request-signing: "method" expected an upper-case HTTP method, got ${JSON.stringify(method)}`);
  if (!path.startsWith('/')) throw new TypeError(`request-signing: "path" expected to start with "/", got ${JSON.stringify(path)}`);
  return concatBytes(utf8Encode(`${REQUEST_SIGNATURE_CONTEXT}\n${method}\n${path}\n`), body);
}

/** `path` is the request's path (a GET's gains `nonce` and `atS`); a GET has no body. */
export type SignedRequest = { path: string; body: Uint8Array | undefined; headers: Record<string, string> };

export type SignRequestOptions = {
  signer: Pick<KeyPair, 'secretKey' | 'kid'>;
  method: string;
  path: string;
  /** The request's own fields (none for a GET); `nonce` and `atS` are added here. */
  fields: Record<string, unknown>;
  nowMs: number;
  random?: RandomSource;
  crypto?: Ed25519Provider;
};

/** Builds the JSON body (fields + nonce + atS), or for a GET the query (nonce + atS), and the two signature headers. */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const { signer, method, fields, nowMs } = options;
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new RangeError(`request-signing: "nowMs" expected a non-negative integer, got ${nowMs}`);
  if ('nonce' in fields || 'atS' in fields) throw new TypeError('request-signing: "fields" must not carry nonce or atS (they are added here)');
  const nonce = bytesToHex(randomNonce(requestNonceBytes, options.random));
  const atS = Math.floor(nowMs / 1000);
  let path = options.path;
  let body: Uint8Array | undefined;
  if (method === 'GET') {
    if (Object.keys(fields).length > 0) throw new TypeError('request-signing: a GET has no body: "fields" must be empty');
    path += `${path.includes('?') ? '&' : '?'}nonce=${nonce}&atS=${atS}`;
  } else {
    body = utf8Encode(JSON.stringify({ ...fields, nonce, atS }));
  }
  const signature = (options.crypto ?? nobleEd25519).sign(requestSigningBytes(method, path, body ?? new Uint8Array(0)), signer.secretKey);
  return { path, body, headers: { [HEADER_KID]: bytesToHex(signer.kid), [HEADER_SIGNATURE]: bytesToBase64url(signature) } };
}

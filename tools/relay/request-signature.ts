// Signed HTTP requests (README "Wire conventions"): an Ed25519 signature over
//   "tapcharge-request-v1\n" + METHOD + "\n" + PATH (with query) + "\n" ‖ raw body bytes
// sent as headers tapcharge-kid (16 hex) and tapcharge-signature (base64url, 64 bytes). The body
// carries a fresh `nonce` and the signer's clock `atS`. This module builds and signs; auth.ts verifies.
import { bytesToBase64url, bytesToHex, concatBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { type Ed25519Provider, nobleEd25519 } from '../../contracts-offline/crypto.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';

export const REQUEST_SIGNING_PREFIX = 'tapcharge-request-v1\n';
export const KID_HEADER = 'tapcharge-kid';
export const SIGNATURE_HEADER = 'tapcharge-signature';
/** Largest |relay clock − atS| accepted. */
export const REQUEST_MAX_SKEW_S = 300;

export function requestSigningBytes(method: string, path: string, body: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(`${REQUEST_SIGNING_PREFIX}${method.toUpperCase()}\n${path}\n`), body);
}

export type SignedRequest = { body: string; headers: Record<string, string> };

/**
 * Serialises `fields` plus `nonce` and `atS` as the JSON body and signs it. `nonce` defaults to 16
 * random bytes (hex) from `random`.
 */
export function signRequest(
  method: string,
  path: string,
  fields: Record<string, unknown>,
  signer: Pick<KeyPair, 'secretKey' | 'kid'>,
  options: { atS: number; nonce?: string; random?: (length: number) => Uint8Array; crypto?: Ed25519Provider },
): SignedRequest {
  const nonce = options.nonce ?? bytesToHex((options.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n))))(16));
  const body = JSON.stringify({ ...fields, nonce, atS: options.atS });
  const signature = (options.crypto ?? nobleEd25519).sign(requestSigningBytes(method, path, utf8Encode(body)), signer.secretKey);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [KID_HEADER]: bytesToHex(signer.kid),
      [SIGNATURE_HEADER]: bytesToBase64url(signature),
    },
  };
}

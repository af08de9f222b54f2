// The check of a ServiceAuthorization before a changing console command runs (README.md "Who may
// do what"), in the README's order: well formed, signed by the relay key, this pile, this pile's
// key, this command's scope, the console's current challenge. The first failing check is named.
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { readSigned, verifyRead } from '../../contracts-offline/signed.ts';
import type { ServiceAuthorization, ServiceScope } from '../../contracts-offline/messages/service-authorization.ts';

export type AuthorizationExpectation = {
  /** The provisioning record's relay key; on a blank pile, the Provision request's. */
  relayPublicKey: Uint8Array;
  /** This pile's id; on a blank pile, the Provision request's. */
  pileId: Uint8Array;
  /** The key store's public key. */
  pilePublicKey: Uint8Array;
  scope: ServiceScope;
  challenge: Uint8Array;
  crypto: Ed25519Provider;
};

export function checkServiceAuthorization(bytes: Uint8Array, expected: AuthorizationExpectation): Result<ServiceAuthorization, 'unauthorized'> {
  const read = readSigned(bytes, 'ServiceAuthorization');
  if (!read.ok) return fail('unauthorized', `authorization malformed (${read.reason})`);
  const verified = verifyRead(read.value, expected.relayPublicKey, { crypto: expected.crypto });
  if (!verified.ok) return fail('unauthorized', 'authorization not signed by the relay key');
  const authorization = verified.value.message;
  if (!equalBytes(authorization.pileId, expected.pileId)) return fail('unauthorized', 'authorization for another pile');
  if (!equalBytes(authorization.pilePublicKey, expected.pilePublicKey)) return fail('unauthorized', "authorization for another pile key than the key store's");
  if (authorization.scope !== expected.scope) return fail('unauthorized', `authorization scope ${authorization.scope}, not ${expected.scope}`);
  if (!equalBytes(authorization.challenge, expected.challenge)) return fail('unauthorized', 'authorization stale (not for the current challenge)');
  return ok(authorization);
}

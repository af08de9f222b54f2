// The pile's proof of identity on an OCPP connection: the relay sends DataTransfer
// com.tapcharge / IdentityChallenge with 16 fresh random bytes (hex); the pile answers Accepted
// with `data` = base64url of an UplinkIdentity it signed with its own key (the key registered
// for it, held in its secure element). The proof holds when the signature verifies with the
// registered key and the message names this pile and THIS connection's challenge — one
// challenge per connection, taken once, so an answer recorded on one connection proves nothing
// on another. No secret is provisioned for the uplink and none crosses the wire.
import { randomBytes } from 'node:crypto';
import { base64urlToBytes, bytesToHex, equalBytes } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import { IDENTITY_CHALLENGE_MESSAGE_ID, UPLINK_CHALLENGE_BYTES, UPLINK_VENDOR_ID } from '../../../contracts-offline/messages/uplink-identity.ts';
import { type Result, fail, ok } from '../../../contracts-offline/result.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';

export type ProofRefusal = 'not-accepted' | 'malformed' | 'bad-signature' | 'other-pile' | 'other-challenge';

export type IdentityChallenge = { challenge: Uint8Array; request: { vendorId: string; messageId: string; data: string } };

/** A fresh challenge and the DataTransfer.req payload carrying it. */
export function identityChallenge(): IdentityChallenge {
  const challenge = new Uint8Array(randomBytes(UPLINK_CHALLENGE_BYTES));
  return { challenge, request: { vendorId: UPLINK_VENDOR_ID, messageId: IDENTITY_CHALLENGE_MESSAGE_ID, data: bytesToHex(challenge) } };
}

export type ExpectedProof = { pileId: Uint8Array; publicKey: Uint8Array; challenge: Uint8Array };

/**
 * Checks the pile's DataTransfer.conf (already valid against the OCPP 1.6 schema) against what
 * this connection expects. Answers the pile's clock (atS) when the proof holds. Never throws.
 */
export function checkIdentityProof(conf: { status?: unknown; data?: unknown }, expected: ExpectedProof, crypto: Ed25519Provider): Result<{ atS: number }, ProofRefusal> {
  if (conf.status !== 'Accepted') return fail('not-accepted', `the pile answered the challenge ${String(conf.status).slice(0, 20)}`);
  if (typeof conf.data !== 'string') return fail('malformed', 'the answer carries no data');
  let signed: Uint8Array;
  try {
    signed = base64urlToBytes(conf.data);
  } catch (error) {
    return fail('malformed', `the answer's data is not base64url (${(error as Error).message})`);
  }
  const opened = openSigned(signed, { publicKey: expected.publicKey, expectType: 'UplinkIdentity', crypto });
  if (!opened.ok) return fail(opened.code === 'bad-signature' ? 'bad-signature' : 'malformed', opened.reason);
  const identity = opened.value.message;
  if (!equalBytes(identity.pileId, expected.pileId)) return fail('other-pile', `the proof names pile ${bytesToHex(identity.pileId)}`);
  if (!equalBytes(identity.challenge, expected.challenge)) return fail('other-challenge', "the proof answers another connection's challenge");
  return ok({ atS: identity.atS });
}

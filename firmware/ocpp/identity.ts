// The pile's proof of identity on an OCPP uplink (tools/relay/README.md "OCPP endpoint"): the
// central system sends DataTransfer com.tapcharge / IdentityChallenge with 16 fresh bytes as hex;
// the pile answers Accepted with `data` = base64url of an UplinkIdentity (pile id, that challenge,
// its clock) in a COSE_Sign1 signed with its own key — the key the relay registered for it. No
// shared secret is provisioned and none crosses the wire.
import { bytesToBase64url, hexToBytes } from '../../contracts-offline/bytes.ts';
import { signSign1With } from '../../contracts-offline/cose-sign1.ts';
import { UPLINK_CHALLENGE_BYTES, encodeUplinkIdentity } from '../../contracts-offline/messages/uplink-identity.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import type { Clock } from '../../hal/types.ts';
import type { DataTransferMessageHandler, DataTransferStatus } from './data-transfer.ts';
import type { PayloadResult } from './payload-fields.ts';

/** What signs the answer: the pile's id, the key id of its signing key, and that key's Ed25519 signature of a message. */
export type UplinkIdentitySigner = { pileId: Uint8Array; kid: Uint8Array; sign: (message: Uint8Array) => Uint8Array };

const challengeHex = new RegExp(`^[0-9a-f]{${2 * UPLINK_CHALLENGE_BYTES}}$`);

/** The challenge: exactly 32 lowercase hex digits. */
export function parseIdentityChallenge(data: string | undefined): PayloadResult<Uint8Array> {
  if (data === undefined) return fail('OccurenceConstraintViolation', '"data" is required: the challenge');
  if (!challengeHex.test(data)) return fail('PropertyConstraintViolation', `"data" expected ${2 * UPLINK_CHALLENGE_BYTES} lowercase hex digits`);
  return ok(hexToBytes(data));
}

/**
 * Answers the challenge with the signed UplinkIdentity; `onAnswered` runs once the answer is on
 * the wire (the pile's CALLs that wait for the proof go after it).
 */
export function identityChallengeHandler(signer: UplinkIdentitySigner, clock: Clock, onAnswered: () => void): DataTransferMessageHandler {
  return (data) => {
    const challenge = parseIdentityChallenge(data);
    if (!challenge.ok) return challenge;
    const identity = encodeUplinkIdentity({ pileId: signer.pileId, challenge: challenge.value, atS: Math.floor(clock.nowMs() / 1000) });
    const signed = signSign1With(identity, { kid: signer.kid, sign: signer.sign });
    return { ok: true, value: { status: 'Accepted' satisfies DataTransferStatus, data: bytesToBase64url(signed) }, afterSent: onAnswered };
  };
}

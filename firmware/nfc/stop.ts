// STOP: a StopRequest signed by the contract's user (with the user's public key alongside) or by
// the relay → the Receipt signed by the pile. The COSE kid selects the key (README.md "STOP"):
// the relay's kid → the relay key; otherwise the carried key, whose key id must be the
// contract's userKid. One verification; a nonce that is not outstanding is refused as START
// refuses it (README.md "Nonces"); the nonce is used only when the session answered.
import { SW, parseStopData } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { keyId } from '../../contracts-offline/keys.ts';
import { type Answer, type TapContext, done, nonceRefusalSw, refusalAnswer, refused } from './answer.ts';
import { readSigned, verifyRead } from '../../contracts-offline/signed.ts';

export function stop(context: TapContext, data: Uint8Array): Answer {
  const { services, nonces, crypto } = context;
  const stopData = parseStopData(data);
  if (!stopData.ok) return refused(SW.wrongData);
  const { signedStopRequest, userPublicKey } = stopData.value;
  // Read first to learn which key signs it (the relay's, or the contract's user's), then verified.
  const parsed = readSigned(signedStopRequest, 'StopRequest');
  if (!parsed.ok) return refusalAnswer(parsed.code);

  const contractUserKid = services.contractUserKid(parsed.value.message.contractSeq);
  const byRelay = equalBytes(parsed.value.kid, keyId(services.relayPublicKey));
  let signerKey: Uint8Array;
  if (byRelay) signerKey = services.relayPublicKey;
  else {
    if (userPublicKey === undefined) return refused(SW.securityNotSatisfied);
    if (contractUserKid !== undefined && !equalBytes(keyId(userPublicKey), contractUserKid)) return refused(SW.securityNotSatisfied);
    signerKey = userPublicKey;
  }
  const verified = verifyRead(parsed.value, signerKey, { crypto });
  if (!verified.ok) return refusalAnswer(verified.code);
  const request = verified.value.message;

  if (!equalBytes(request.pileId, services.pileId)) return refused(SW.referenceNotUsable);
  const nonce = nonces.status(request.pileNonce);
  if (nonce !== 'outstanding') return refused(nonceRefusalSw[nonce]);
  if (contractUserKid === undefined) return refused(SW.conditionsNotSatisfied);
  const outcome = services.stopSession(request.contractSeq, byRelay ? 'relay' : 'user');
  if (!outcome.ok) return refusalAnswer(outcome.code);
  nonces.consume(request.pileNonce);
  return done(outcome.value);
}

// STOP: a StopRequest signed by the contract's user (with the user's public key alongside) or by
// the relay → the Receipt signed by the pile. The COSE kid selects the key (README.md "STOP"):
// the relay's kid → the relay key; otherwise the carried key, whose key id must be the
// contract's userKid. One verification: while the key store signs the receipt of the running
// session (`stopSession`), or first when another check refuses (a forged stop is 6982 whatever
// else is wrong with it); a nonce that is not outstanding is refused as START refuses it
// (README.md "Nonces"); the nonce is used only when the session answered.
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
  // Read first to learn which key signs it (the relay's, or the contract's user's); verified below.
  const read = readSigned(signedStopRequest, 'StopRequest');
  if (!read.ok) return refusalAnswer(read.code);
  const request = read.value.message;

  const contractUserKid = services.contractUserKid(request.contractSeq);
  const byRelay = equalBytes(read.value.kid, keyId(services.relayPublicKey));
  let signerKey: Uint8Array;
  if (byRelay) signerKey = services.relayPublicKey;
  else {
    if (userPublicKey === undefined) return refused(SW.securityNotSatisfied);
    if (contractUserKid !== undefined && !equalBytes(keyId(userPublicKey), contractUserKid)) return refused(SW.securityNotSatisfied);
    signerKey = userPublicKey;
  }
  const checkSignature = (): boolean => verifyRead(read.value, signerKey, { crypto }).ok;

  const nonce = nonces.status(request.pileNonce);
  const refusal = !equalBytes(request.pileId, services.pileId) ? SW.referenceNotUsable
    : nonce !== 'outstanding' ? nonceRefusalSw[nonce]
    : contractUserKid === undefined ? SW.conditionsNotSatisfied
    : undefined;
  if (refusal !== undefined) return refused(checkSignature() ? refusal : SW.securityNotSatisfied);
  const outcome = services.stopSession(request.contractSeq, byRelay ? 'relay' : 'user', checkSignature);
  if (!outcome.ok) return refusalAnswer(outcome.code);
  nonces.consume(request.pileNonce);
  return done(outcome.value);
}

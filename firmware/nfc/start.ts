// START (tap 2): a relay-signed Authorization (voucher) → the Contract signed by the pile.
// Order (README.md): malformed 6A80, signature 6982, another pile 6984, the voucher's tap nonce
// (unknown 6A88, used 6984, older than its lifetime on the pile's clock 9A01), tariff version
// 9A02, then the pile's own conditions (6985, 6A84) in `startSession`. The voucher is read, not
// verified, for these checks; its signature is verified while the key store signs the contract
// (`startSession`), or first when another check refuses, so a forged voucher is 6982 whatever
// else is wrong with it, and nothing is shown, journaled or used for it. The voucher's expiresAtS
// is the relay's clock and is not compared with the pile's: the nonce's age bounds the voucher
// (contracts-offline/voucher-lifetime.ts). A refusal of the voucher goes on the display too. The
// nonce is used only when the contract was started, so a refused voucher can be retried and a
// used one cannot.
import { SW } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { StartRefusal } from '../../contracts-offline/display-text.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { type Answer, type TapContext, done, nonceRefusalSw, refusalAnswer, refused } from './answer.ts';
import type { NonceStatus } from './nonce-book.ts';
import { readSigned, verifyRead } from '../../contracts-offline/signed.ts';

const nonceRefusal: Readonly<Record<Exclude<NonceStatus, 'outstanding'>, StartRefusal>> = Object.freeze({
  unknown: 'nonce-unknown',
  used: 'nonce-used',
  expired: 'nonce-expired',
});

/** Why the voucher itself is refused (its pile, nonce, tariff), before its signature is known. */
function voucherRefusal(context: TapContext, voucher: Authorization): { reason: StartRefusal; sw: number } | undefined {
  const { services, nonces } = context;
  if (!equalBytes(voucher.pileId, services.pileId)) return { reason: 'other-pile', sw: SW.referenceNotUsable };
  const nonce = nonces.status(voucher.pileNonce);
  if (nonce !== 'outstanding') return { reason: nonceRefusal[nonce], sw: nonceRefusalSw[nonce] };
  if (voucher.tariffVersion !== services.config().tariff.version) return { reason: 'tariff-changed', sw: SW.tariffChanged };
  return undefined;
}

export function start(context: TapContext, data: Uint8Array): Answer {
  const { services, nonces, crypto } = context;
  const read = readSigned(data, 'Authorization');
  if (!read.ok) return refusalAnswer(read.code);
  const voucher = read.value.message;
  const checkSignature = (): boolean => verifyRead(read.value, services.relayPublicKey, { crypto }).ok;
  const refusal = voucherRefusal(context, voucher);
  if (refusal) {
    if (!checkSignature()) return refused(SW.securityNotSatisfied);
    services.showStartRefusal(refusal.reason);
    return refused(refusal.sw);
  }
  const greeting = context.lastGreeting;
  const displayName = greeting && equalBytes(greeting.userKid, voucher.userKid) ? greeting.displayName : undefined;
  const outcome = services.startSession(voucher, displayName, checkSignature);
  if (!outcome.ok) return refusalAnswer(outcome.code);
  nonces.consume(voucher.pileNonce);
  return done(outcome.value);
}

// START (tap 2): a relay-signed Authorization (voucher) → the Contract signed by the pile.
// Order (README.md): malformed 6A80, signature 6982, pile id / nonce / expiry / tariff version
// 6984, then the pile's own conditions (6985, 6A84) in `startSession`. The nonce is consumed
// only when the contract was started, so a refused voucher can be retried and a used one cannot.
import { SW } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { type Answer, type TapContext, done, refusalAnswer, refused } from './answer.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

export function start(context: TapContext, data: Uint8Array): Answer {
  const { services, nonces, crypto } = context;
  const opened = openSigned(data, { publicKey: services.relayPublicKey, expectType: 'Authorization', crypto });
  if (!opened.ok) return refusalAnswer(opened.code);
  const voucher = opened.value.message;
  if (!equalBytes(voucher.pileId, services.pileId)) return refused(SW.referenceNotUsable);
  if (!nonces.isOutstanding(voucher.pileNonce)) return refused(SW.referenceNotUsable);
  if (voucher.expiresAtS < services.nowS()) return refused(SW.referenceNotUsable);
  if (voucher.tariffVersion !== services.config().tariff.version) return refused(SW.referenceNotUsable);
  const greeting = context.lastGreeting;
  const displayName = greeting && equalBytes(greeting.userKid, voucher.userKid) ? greeting.displayName : undefined;
  const outcome = services.startSession(voucher, displayName);
  if (!outcome.ok) return refusalAnswer(outcome.code);
  nonces.consume(voucher.pileNonce);
  return done(outcome.value);
}

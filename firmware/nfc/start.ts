// START (tap 2): a relay-signed Authorization (voucher) → the Contract signed by the pile.
// Order (README.md): malformed 6A80, signature 6982, another pile 6984, the voucher's tap nonce
// (unknown 6A88, used 6984, older than its lifetime on the pile's clock 9A01), tariff version
// 9A02, then the pile's own conditions (6985, 6A84) in `startSession`. The voucher's expiresAtS
// is the relay's clock and is not compared with the pile's: the nonce's age bounds the voucher
// (contracts-offline/voucher-lifetime.ts). A refusal of the voucher goes on the display too. The
// nonce is used only when the contract was started, so a refused voucher can be retried and a
// used one cannot.
import { SW } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { StartRefusal } from '../../contracts-offline/display-text.ts';
import { type Answer, type TapContext, done, nonceRefusalSw, refusalAnswer, refused } from './answer.ts';
import type { NonceStatus } from './nonce-book.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

const nonceRefusal: Readonly<Record<Exclude<NonceStatus, 'outstanding'>, StartRefusal>> = Object.freeze({
  unknown: 'nonce-unknown',
  used: 'nonce-used',
  expired: 'nonce-expired',
});

function refusedVoucher(context: TapContext, reason: StartRefusal, sw: number): Answer {
  context.services.showStartRefusal(reason);
  return refused(sw);
}

export function start(context: TapContext, data: Uint8Array): Answer {
  const { services, nonces, crypto } = context;
  const opened = openSigned(data, { publicKey: services.relayPublicKey, expectType: 'Authorization', crypto });
  if (!opened.ok) return refusalAnswer(opened.code);
  const voucher = opened.value.message;
  if (!equalBytes(voucher.pileId, services.pileId)) return refusedVoucher(context, 'other-pile', SW.referenceNotUsable);
  const nonce = nonces.status(voucher.pileNonce);
  if (nonce !== 'outstanding') return refusedVoucher(context, nonceRefusal[nonce], nonceRefusalSw[nonce]);
  if (voucher.tariffVersion !== services.config().tariff.version) return refusedVoucher(context, 'tariff-changed', SW.tariffChanged);
  const greeting = context.lastGreeting;
  const displayName = greeting && equalBytes(greeting.userKid, voucher.userKid) ? greeting.displayName : undefined;
  const outcome = services.startSession(voucher, displayName);
  if (!outcome.ok) return refusalAnswer(outcome.code);
  nonces.consume(voucher.pileNonce);
  return done(outcome.value);
}

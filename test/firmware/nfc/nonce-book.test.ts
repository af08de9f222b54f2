// Tap nonces (firmware/nfc/README.md "Nonces"): 16 random bytes per SELECT, the last 8 kept,
// each usable for 15 minutes on the pile's clock, used once; the book says why one is not usable
// (unknown, used, expired) — in the book itself and through START/STOP APDUs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, selectCommand } from '../../../contracts-offline/apdu.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { PILE_NONCE_LIFETIME_MS } from '../../../contracts-offline/voucher-lifetime.ts';
import { NONCES_KEPT, NonceBook, PILE_NONCE_BYTES } from '../../../firmware/nfc/nonce-book.ts';
import type { NfcTap } from '../../../hal/sim/nfc-field.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { command, dataOf, doubleRig, signedVoucher, startMs, statusOf } from '../../support/tap-kit.ts';

test('the book issues distinct 16-byte nonces and consumes each once', () => {
  const book = new NonceBook(new VirtualClock({ startMs }), new SeededRandom(3));
  const a = book.issue();
  const b = book.issue();
  assert.is(a.length, PILE_NONCE_BYTES);
  assert.not.equal(a, b);
  assert.is(book.status(a), 'outstanding');
  assert.ok(book.consume(a));
  assert.is(book.status(a), 'used');
  assert.not.ok(book.consume(a), 'a consumed nonce cannot be consumed again');
  assert.not.ok(book.consume(new Uint8Array(16)), 'never issued');
  assert.is(book.status(new Uint8Array(16)), 'unknown');
  assert.is(book.status(b), 'outstanding');
  const copy = b.slice();
  b[0]! ^= 1;
  assert.is(book.status(b), 'unknown', 'the returned copy cannot change the kept one');
  assert.is(book.status(copy), 'outstanding');
});

test(`the book keeps the last ${NONCES_KEPT}: issuing one more forgets the oldest`, () => {
  const book = new NonceBook(new VirtualClock({ startMs }), new SeededRandom(4));
  const issued = Array.from({ length: NONCES_KEPT + 1 }, () => book.issue());
  assert.is(book.status(issued[0]!), 'unknown');
  for (const nonce of issued.slice(1)) assert.is(book.status(nonce), 'outstanding');
  assert.is(book.outstanding, NONCES_KEPT);
});

test('a nonce is usable for exactly 15 minutes', () => {
  const clock = new VirtualClock({ startMs });
  const book = new NonceBook(clock, new SeededRandom(5));
  const nonce = book.issue();
  clock.advance(PILE_NONCE_LIFETIME_MS);
  assert.is(book.status(nonce), 'outstanding', 'at 15:00');
  clock.advance(1);
  assert.is(book.status(nonce), 'expired', 'at 15:00.001');
  assert.not.ok(book.consume(nonce));
  assert.is(book.outstanding, 0);
});

test('used nonces keep their place among the last 8 and say so until pushed out', () => {
  const clock = new VirtualClock({ startMs });
  const book = new NonceBook(clock, new SeededRandom(6));
  const used = book.issue();
  assert.ok(book.consume(used));
  clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  assert.is(book.status(used), 'used', 'used wins over expired: that voucher did start a contract');
  for (let i = 1; i < NONCES_KEPT; i++) book.issue();
  assert.is(book.status(used), 'used');
  book.issue();
  assert.is(book.status(used), 'unknown', 'pushed out by the ninth');
});

function selectNonce(tap: NfcTap): Uint8Array {
  const hello = decodePileHello(dataOf(tap.transceive(selectCommand())));
  if (!hello.ok) throw new Error(hello.reason);
  return hello.value.pileNonce;
}

test('START consumes its nonce: the same voucher twice is 6984 and starts nothing more', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  const voucher = signedVoucher(selectNonce(tap));
  assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.ok);
  rig.services.sessions[0]!.receipt = new Uint8Array(1); // the double's session ends, so only the nonce can refuse
  assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.referenceNotUsable);
  assert.is(rig.services.calls.filter((c) => c.method === 'startSession').length, 1);
});

test('a refused START does not consume the nonce: the same voucher works once the pile allows it', () => {
  const rig = doubleRig();
  const { tap } = rig.tap();
  const voucher = signedVoucher(selectNonce(tap));
  rig.services.refuseNext = { code: 'conditions', reason: 'no vehicle' };
  assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.conditionsNotSatisfied);
  assert.is(statusOf(tap.transceive(command(INS.start, voucher))), SW.ok);
});

test('a voucher over a nonce from an earlier tap works; one 8 SELECTs old (6A88) or 15 min old (9A01) does not', () => {
  const rig = doubleRig();
  let { tap } = rig.tap();
  const tap1Nonce = selectNonce(tap);
  tap.end();
  ({ tap } = rig.tap());
  selectNonce(tap);
  assert.is(statusOf(tap.transceive(command(INS.start, signedVoucher(tap1Nonce)))), SW.ok, 'tap 1 nonce at tap 2');
  rig.services.sessions[0]!.receipt = new Uint8Array(1);

  const evicted = selectNonce(tap);
  for (let i = 0; i < NONCES_KEPT; i++) selectNonce(tap);
  assert.is(statusOf(tap.transceive(command(INS.start, signedVoucher(evicted)))), SW.referenceNotFound, 'evicted');

  const stale = selectNonce(tap);
  rig.clock.advance(PILE_NONCE_LIFETIME_MS + 1);
  assert.is(statusOf(tap.transceive(command(INS.start, signedVoucher(stale)))), SW.nonceExpired, 'expired');
  assert.is(rig.services.calls.filter((c) => c.method === 'startSession').length, 1);
});

test.run();

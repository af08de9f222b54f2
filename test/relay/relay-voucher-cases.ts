// The relay's voucher reservation cases (contracts-offline/voucher-lifetime.ts, tools/relay/README.md
// "Vouchers"): a cap reserved until the voucher's expiresAtS, which outlasts the longest a pile can
// still take it; a signed cancel that frees it at once; bad cancels that change nothing; and a
// contract on an expired or cancelled voucher, which a pile may still start, funded all the same.
// Part of the storage contract tests in relay-cases.ts (SQLite and PostgreSQL).
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { PILE_CLOCK_SLOW_MAX_PER_MILLE, PILE_NONCE_LIFETIME_MS, VOUCHER_RESERVATION_S } from '../../contracts-offline/voucher-lifetime.ts';
import type { CallOptions, TestRelay } from '../support/relay-harness.ts';
import type { CaseKit, Ctx } from './relay-ingest-cases.ts';

type User = Awaited<ReturnType<TestRelay['newUser']>>;

async function standing(t: TestRelay, user: User): Promise<{ reserved: number; available: number; creditUsed: number }> {
  const u = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
  return { reserved: u.reservedMinor, available: u.availableMinor, creditUsed: u.creditUsedMinor };
}

function cancel(t: TestRelay, voucherId: string, options: CallOptions): ReturnType<TestRelay['call']> {
  return t.call('POST', `/v1/vouchers/${voucherId}/cancel`, { body: {}, ...options });
}

export function voucherCases({ s, newUser, ledgerOf }: Pick<CaseKit, 's' | 'newUser' | 'ledgerOf'>): void {
  s('a voucher reserves its cap until its expiresAtS, past the last moment a pile can take it; a contract carried later is still funded', async (ctx: Ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile();
    const issuedS = t.clock.nowS;
    const voucher = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 });
    const { expiresAtS } = t.authorization(voucher);
    assert.is(expiresAtS - issuedS, VOUCHER_RESERVATION_S);
    // tap 1 came before the voucher; a pile clock up to 1 % slow stretches the nonce's 15 minutes
    const lastStartS = issuedS + 1 + (PILE_NONCE_LIFETIME_MS / 1000) * (1 + PILE_CLOCK_SLOW_MAX_PER_MILLE / 1000);
    assert.ok(expiresAtS >= lastStartS, `reservation end ${expiresAtS} ≥ last possible start ${lastStartS}`);
    t.clock.advanceS(expiresAtS - t.clock.nowS);
    assert.equal(await standing(t, user), { reserved: 2_000, available: 1_000, creditUsed: 0 }, 'still reserved at expiresAtS');
    t.clock.advanceS(1);
    assert.equal(await standing(t, user), { reserved: 0, available: 3_000, creditUsed: 0 }, 'released once past it');
    const c = pile.contract(voucher.json.authorization, issuedS + 890);
    assert.is((await t.upload(c.signed)).json.results[0].status, 'accepted');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 1_000, escrow: 2_000 }, 'started at the pile in time: funded');
  });

  s('cancel: bad input changes nothing; the voucher\'s user cancels it and its cap is free at once; again answers the first cancel', async (ctx: Ctx) => {
    const { t } = ctx;
    const alice = await newUser(ctx, 3_000);
    const bob = await newUser(ctx, 1_000);
    const pile = await t.newPile();
    const tapNonce = pile.nonce();
    const voucher = await t.voucher(alice, pile, { mode: 'amount', amountMinor: 2_000 }, tapNonce);
    const id = bytesToHex(t.authorization(voucher).voucherId);
    const before = await standing(t, alice);
    assert.equal(before, { reserved: 2_000, available: 1_000, creditUsed: 0 });
    const refusals: [Promise<{ status: number; json: { error: string; message: string } }>, number, string, string][] = [
      [cancel(t, 'not-hex-at-all!', { signer: alice }), 400, 'invalid-field', 'malformed voucher id'],
      [cancel(t, '00ff', { signer: alice }), 400, 'invalid-field', 'a 2-byte voucher id'],
      [t.call('POST', `/v1/vouchers/${id}/cancel`, { body: { why: 'x' }, signer: alice }), 400, 'invalid-field', 'an unknown body field'],
      [cancel(t, id, {}), 401, 'unknown-signer', 'unsigned'],
      [cancel(t, id, { signer: { ...alice, secretKey: bob.secretKey } }), 401, 'bad-signature', "alice's kid, bob's signature"],
      [cancel(t, id, { signer: alice, atS: t.clock.nowS - 301 }), 401, 'stale-request', 'stale'],
      [cancel(t, id, { signer: bob }), 404, 'unknown-voucher', "another user's voucher reads as unknown"],
      [cancel(t, '0011223344556677', { signer: alice }), 404, 'unknown-voucher', 'never issued'],
    ];
    for (const [reply, status, error, what] of refusals) {
      const r = await reply;
      assert.equal([r.status, r.json.error], [status, error], what);
      if (what.endsWith('voucher id')) assert.match(r.json.message, /^"voucherId" expected /, `${what}: ${r.json.message}`);
    }
    assert.equal(await standing(t, alice), before, 'nothing changed');

    const done = await cancel(t, id, { signer: alice, nonce: 'cc'.repeat(16) });
    assert.is(done.status, 200);
    assert.equal(done.json, { voucherId: id, cancelledAtS: t.clock.nowS, releasedMinor: 2_000 });
    assert.equal(await standing(t, alice), { reserved: 0, available: 3_000, creditUsed: 0 });
    const replayed = await cancel(t, id, { signer: alice, nonce: 'cc'.repeat(16) });
    assert.equal([replayed.status, replayed.json.error], [409, 'replayed-request']);
    t.clock.advanceS(5);
    const again = await cancel(t, id, { signer: alice });
    assert.equal([again.status, again.json], [200, { voucherId: id, cancelledAtS: done.json.cancelledAtS, releasedMinor: 0 }]);
    const fresh = await t.voucher(alice, pile, { mode: 'amount', amountMinor: 2_000 }, tapNonce);
    assert.is(fresh.status, 201, 'the tap nonce of a cancelled voucher gets a new voucher, reserved anew');
    assert.not.equal(t.authorization(fresh).voucherId, t.authorization(voucher).voucherId);
    assert.equal(await standing(t, alice), { reserved: 2_000, available: 1_000, creditUsed: 0 });
  });

  s('cancel: a voucher a contract used is 409 voucher-used; a cancelled full voucher no longer blocks new ones (R8)', async (ctx: Ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 20_000);
    const pile = await t.newPile();
    const used = await t.voucher(user, pile, { mode: 'amount', amountMinor: 500 });
    const c = pile.contract(used.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    const usedId = bytesToHex(t.authorization(used).voucherId);
    const refused = await cancel(t, usedId, { signer: user });
    assert.equal([refused.status, refused.json.error], [409, 'voucher-used']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 19_500, escrow: 500 }, 'the contract keeps its cap');

    const full = await t.voucher(user, pile, { mode: 'full' });
    const blocked = await t.voucher(user, pile, { mode: 'amount', amountMinor: 100 });
    assert.equal([blocked.status, blocked.json.error], [409, 'open-contract-outstanding']);
    assert.is((await cancel(t, bytesToHex(t.authorization(full).voucherId), { signer: user })).status, 200);
    assert.is((await t.voucher(user, pile, { mode: 'amount', amountMinor: 100 })).status, 201);
  });

  s('a cancelled voucher a pile still takes starts a funded contract: an operator advance (debt) when its funds went elsewhere', async (ctx: Ctx) => {
    const { t } = ctx;
    const alice = await newUser(ctx, 2_000);
    const pile = await t.newPile({ energyMinorPerKwh: 100, timeMinorPerHour: 0, sessionFeeMinor: 0 });
    const cancelled = await t.voucher(alice, pile, { mode: 'amount', amountMinor: 2_000 });
    assert.is((await cancel(t, bytesToHex(t.authorization(cancelled).voucherId), { signer: alice })).status, 200);
    const next = await t.voucher(alice, pile, { mode: 'amount', amountMinor: 2_000 });
    assert.is(next.status, 201, 'the cancelled voucher reserves nothing: its funds back another voucher');
    await t.upload(pile.contract(next.json.authorization, t.clock.nowS).signed);
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 0, escrow: 2_000 });

    const late = pile.contract(cancelled.json.authorization, t.clock.nowS);
    const up = await t.upload(late.signed);
    assert.equal([up.json.results[0].status, up.json.results[0].problem], ['accepted', undefined], 'the pile could not know of the cancel: the session happened');
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 0, escrow: 4_000 });
    assert.is((await standing(t, alice)).creditUsed, 2_000, 'the advance is debt');
    const contracts = (await t.call('GET', `/v1/users/${alice.kidHex}/contracts`, { signer: alice })).json.contracts;
    const funded = contracts.find((c: { seq: number }) => c.seq === late.seq);
    assert.equal([funded.status, funded.advanceMinor], ['provisional', 2_000]);
    assert.equal([(await cancel(t, bytesToHex(t.authorization(cancelled).voucherId), { signer: alice })).json.error], ['voucher-used'], 'now it is used');
    const r = pile.receipt(late.seq, { energyWh: 15_000, durationS: 3_600, endAtS: t.clock.nowS + 3_600 });
    assert.is((await t.upload(r.signed)).json.results[0].status, 'accepted');
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 500, escrow: 2_000 }, '1,500 settled, the rest of its cap refunded');
  });
}

// The relay's ingestion cases (records from any phone: duplicates, forgeries, tampering, gaps,
// order, disputes, acks, overdue receipts), part of the storage contract tests in relay-cases.ts.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Hex } from 'viem';
import { base64urlToBytes, bytesToHex } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import type { ContractState } from '../../tools/ledger/ledger.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { TestPile, type TestRelay } from '../support/relay-harness.ts';

/** What every relay case gets: the relay under test and the users it registered (checked after each case). */
export type Ctx = { t: TestRelay; users: Set<string> };

export type CaseKit = {
  s: Test<Ctx>;
  newUser(ctx: Ctx, topUpMinor?: number): ReturnType<TestRelay['newUser']>;
  recordOf(t: TestRelay, id: Hex): Promise<ContractState>;
  ledgerOf(t: TestRelay, kid: string): Promise<{ balance: number; escrow: number }>;
};

export function ingestionCases({ s, newUser, recordOf, ledgerOf }: CaseKit): void {
  s('the same receipt uploaded by three phones at once is settled once', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const v = await t.voucher(user, pile, { mode: 'energy', energyWh: 10_000 });
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    const r = pile.receipt(c.seq, { energyWh: 9_000, durationS: 3_000, endAtS: t.clock.nowS + 3_000 });
    const answers = await Promise.all([t.upload(r.signed), t.upload(r.signed), t.upload(r.signed)]);
    const statuses = answers.map((a) => a.json.results[0].status).sort();
    assert.equal(statuses, ['accepted', 'duplicate', 'duplicate']);
    for (const a of answers) assert.is(a.json.acks.length, 1, 'every phone gets an Ack to write back');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
    const settles = (await t.relay.ledger.history()).filter((e) => e.kind === 'settled' && e.contractId === pile.contractId(c.seq));
    assert.is(settles.length, 1, 'one Settled event on the ledger');
  });

  s('forged pile signature and unregistered pile: rejected, not held, no money moved', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 1_000 });
    const impostor = new TestPile(pile.tariff, pile.maxPowerW, t.relay.relayKey.publicKey);
    Object.defineProperty(impostor, 'pileId', { value: pile.pileId }); // claims the real pile's id, signs with its own key
    const forged = impostor.contract(v.json.authorization, t.clock.nowS);
    const answer = await t.upload(forged.signed);
    assert.equal([answer.json.results[0].status, answer.json.results[0].error], ['rejected', 'bad-signature']);
    assert.equal(answer.json.acks, [], 'nothing held, nothing acknowledged');
    const stranger = new TestPile(pile.tariff, pile.maxPowerW, t.relay.relayKey.publicKey);
    const orphan = stranger.contract(v.json.authorization, t.clock.nowS);
    const unregistered = await t.upload(orphan.signed);
    assert.equal([unregistered.json.results[0].status, unregistered.json.results[0].error], ['rejected', 'unknown-pile']);
    assert.is((await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.records, 0);
    assert.is(await recordOf(t, pile.contractId(1)), 'none');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000, escrow: 0 });
  });

  s('tampered amount: altered bytes fail the pile signature; a pile-signed amount above the tariff settles only the rule', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 3_000 });
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    const honest = pile.receipt(c.seq, { energyWh: 10_000, durationS: 3_600, endAtS: t.clock.nowS });
    const tampered = honest.signed.slice();
    const at = tampered.findIndex((_, i) => tampered[i] === 0x09 && tampered[i + 1] === 0x19 && (tampered[i + 2]! << 8 | tampered[i + 3]!) === honest.amountMinor);
    assert.ok(at > 0, 'found the amount field (key 9) in the payload');
    tampered[at + 3] = (tampered[at + 3]! + 100) & 0xff;
    const refused = await t.upload(tampered);
    assert.equal([refused.json.results[0].status, refused.json.results[0].error], ['rejected', 'bad-signature']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 2_000, escrow: 3_000 }, 'still only the cap escrowed');
    // A receipt signed by the pile itself but claiming more than its tariff gives (pile bug or stolen key).
    pile.seq--; // reuse the sequence the honest receipt would have had
    const greedy = pile.receipt(c.seq, { energyWh: 10_000, durationS: 3_600, endAtS: t.clock.nowS, amountMinor: 2_900 });
    const flagged = await t.upload(greedy.signed);
    assert.is(flagged.json.results[0].status, 'accepted');
    assert.match(flagged.json.results[0].problem, /amount-mismatch/);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - honest.amountMinor, escrow: 0 }, 'settled at the tariff, not at the claim');
    const conflicting = await t.upload(honest.signed);
    assert.equal([conflicting.json.results[0].status, conflicting.json.results[0].error], ['rejected', 'conflicting-record']);
  });

  s('a receipt with a sequence gap is flagged, settled and the gap reported until the record arrives', async (ctx) => {
    const { t } = ctx;
    const alice = await newUser(ctx, 5_000);
    const bob = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const ca = pile.contract((await t.voucher(alice, pile, { mode: 'amount', amountMinor: 1_000 })).json.authorization, t.clock.nowS);
    const cb = pile.contract((await t.voucher(bob, pile, { mode: 'amount', amountMinor: 1_000 })).json.authorization, t.clock.nowS);
    const ra = pile.receipt(ca.seq, { energyWh: 1_000, durationS: 600, endAtS: t.clock.nowS });
    await t.upload(ca.signed);
    const gapped = await t.upload(ra.signed);
    assert.equal(gapped.json.results[0].gap, [{ fromSeq: 2, toSeq: 2 }]);
    assert.is(await recordOf(t, pile.contractId(ca.seq)), 'settled');
    assert.equal((await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.gaps, [{ fromSeq: 2, toSeq: 2 }]);
    const ack = openSigned(base64urlToBytes(gapped.json.acks[0].ack), { publicKey: t.relay.relayKey.publicKey, expectType: 'Ack' });
    assert.ok(ack.ok);
    if (ack.ok) assert.equal(ack.value.message.ranges, [{ fromSeq: 1, toSeq: 1 }, { fromSeq: 3, toSeq: 3 }], 'the Ack never covers the hole');
    await t.upload(cb.signed);
    assert.equal((await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.gaps, []);
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 5_000 - ra.amountMinor, escrow: 0 });
    assert.equal(await ledgerOf(t, bob.kidHex), { balance: 4_000, escrow: 1_000 });
  });

  s('a receipt carried before its contract waits for it, then both apply', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 4_000);
    const pile = await t.newPile();
    const c = pile.contract((await t.voucher(user, pile, { mode: 'time', durationS: 1_800 })).json.authorization, t.clock.nowS);
    const r = pile.receipt(c.seq, { energyWh: 2_000, durationS: 1_800, endAtS: t.clock.nowS });
    const early = await t.upload(r.signed);
    assert.equal([early.json.results[0].status, early.json.results[0].gap], ['accepted', [{ fromSeq: 1, toSeq: 1 }]]);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 4_000, escrow: 0 });
    await t.upload(c.signed);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 4_000 - r.amountMinor, escrow: 0 });
    assert.is(await recordOf(t, pile.contractId(c.seq)), 'settled');
  });

  s('one upload of receipts closing contracts of earlier uploads (a collect tap): each settled once, at its own amount', async (ctx) => {
    const { t } = ctx;
    const pile = await t.newPile();
    const sessions = [];
    for (let i = 0; i < 5; i++) {
      const user = await newUser(ctx, 5_000);
      const c = pile.contract((await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 })).json.authorization, t.clock.nowS);
      assert.is((await t.upload(c.signed)).json.results[0].status, 'accepted'); // each contract at its tap's sync
      sessions.push({ user, c });
    }
    const receipts = sessions.map(({ c }, i) => pile.receipt(c.seq, { energyWh: 1_000 * (i + 1), durationS: 600, endAtS: t.clock.nowS }));
    const answer = await t.upload(...receipts.map((r) => r.signed));
    assert.equal(answer.json.results.map((r: { status: string; problem?: string }) => [r.status, r.problem]), receipts.map(() => ['accepted', undefined]));
    for (const [i, { user, c }] of sessions.entries()) {
      assert.is(await recordOf(t, pile.contractId(c.seq)), 'settled');
      assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - receipts[i]!.amountMinor, escrow: 0 });
      const contract = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts[0];
      assert.equal([contract.amountMinor, contract.energyWh], [receipts[i]!.amountMinor, 1_000 * (i + 1)]);
    }
    assert.equal(new Set(receipts.map((r) => r.amountMinor)).size, 5, 'five different amounts: no receipt settled another\'s contract');
  });

  s('a contract uploaded again with its receipt (its Ack was lost): a duplicate, and the receipt closes it', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const c = pile.contract((await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 })).json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    const r = pile.receipt(c.seq, { energyWh: 3_000, durationS: 900, endAtS: t.clock.nowS });
    const answer = await t.upload(c.signed, r.signed);
    assert.equal(answer.json.results.map((x: { status: string; gap?: unknown }) => [x.status, x.gap]), [['duplicate', undefined], ['accepted', undefined]]);
    assert.is(await recordOf(t, pile.contractId(c.seq)), 'settled');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
  });

  s('a contract that does not match a voucher of this relay is held but disputed: no money moves', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 4_000);
    const pile = await t.newPile();
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 1_000 });
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    const reused = pile.contract(v.json.authorization, t.clock.nowS); // a second contract on one voucher
    const answer = await t.upload(reused.signed);
    assert.is(answer.json.results[0].status, 'accepted');
    assert.match(answer.json.results[0].problem, /already used/);
    const contracts = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts;
    assert.equal(contracts.map((x: { status: string }) => x.status), ['provisional', 'disputed']);
    assert.is(await recordOf(t, pile.contractId(reused.seq)), 'none');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 3_000, escrow: 1_000 });
  });

  s('GET ack: the relay-signed Ack of every record held, 204 when none', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 2_000);
    const pile = await t.newPile();
    assert.is((await t.call('GET', `/v1/piles/${pile.pileIdHex}/ack`)).status, 204);
    const c = pile.contract((await t.voucher(user, pile, { mode: 'amount', amountMinor: 500 })).json.authorization, t.clock.nowS);
    await t.upload(c.signed, pile.receipt(c.seq, { energyWh: 100, durationS: 60, endAtS: t.clock.nowS }).signed);
    const answer = await t.call('GET', `/v1/piles/${pile.pileIdHex}/ack`);
    const ack = openSigned(base64urlToBytes(answer.json.ack), { publicKey: t.relay.relayKey.publicKey, expectType: 'Ack', crypto: sodiumEd25519 });
    assert.ok(ack.ok);
    if (ack.ok) assert.equal([bytesToHex(ack.value.message.pileId), ack.value.message.ranges], [pile.pileIdHex, [{ fromSeq: 1, toSeq: 2 }]]);
  });

  // Last: it moves the relay clock two days forward.
  s('an overdue capped receipt: charged at the cap, corrected when it arrives, counted late', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const c = pile.contract((await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_500 })).json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    t.clock.advanceS(2 * 86_400 + 60);
    await t.relay.drainLedger();
    for (let i = 0; i < 100 && (await recordOf(t, pile.contractId(c.seq))) !== 'charged-at-cap'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.is(await recordOf(t, pile.contractId(c.seq)), 'charged-at-cap');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 2_500, escrow: 0 });
    assert.is((await t.call('GET', `/v1/users/${user.kidHex}/credit`, { signer: user })).json.lateReceipts, 1, 'an overdue receipt counts against credit');
    const r = pile.receipt(c.seq, { energyWh: 5_000, durationS: 3_000, endAtS: t.clock.nowS });
    await t.upload(r.signed);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
    assert.is(await recordOf(t, pile.contractId(c.seq)), 'corrected');
    const contract = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts[0];
    assert.equal([contract.status, contract.amountMinor, contract.late], ['corrected', r.amountMinor, true]);
    assert.is((await t.call('GET', `/v1/users/${user.kidHex}/credit`, { signer: user })).json.lateReceipts, 1);
  });
}

// The relay's contract tests, written once and run against each storage (SQLite, PostgreSQL):
// everything through the HTTP API, money checked on the ledger itself. After every test the
// outbox is drained, every touched user's book equals the ledger, and the ledger audit is clean.
// The ingestion cases live in relay-ingest-cases.ts, the voucher reservation cases in
// relay-voucher-cases.ts; both run inside the same suite.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { base64urlToBytes, bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { userAddressOf } from '../../tools/ledger/ids.ts';
import { type TestRelay, assertBooksMatchLedger, startTestRelay } from '../support/relay-harness.ts';
import { type Ctx, ingestionCases } from './relay-ingest-cases.ts';
import { voucherCases } from './relay-voucher-cases.ts';

export type Storage = { databaseUrl?: string; stop(): Promise<void> };

const policy = { credit: { minSettledSessions: 2, limitPercentOfSettled: 50, maxCreditMinor: 2_000, lateReceiptPenaltyPercent: 50 } };
const addressOf = (kid: string): Address => userAddressOf(hexToBytes(kid));

export function relayCases(name: string, storage: () => Promise<Storage>): void {
  const s = suite<Ctx>(name, {} as Ctx);
  let store: Storage;

  s.before(async (ctx) => {
    store = await storage();
    ctx.t = await startTestRelay({ ...(store.databaseUrl ? { databaseUrl: store.databaseUrl } : {}), policy });
    ctx.users = new Set();
  });
  s.after.each(async ({ t, users }) => {
    await assertBooksMatchLedger(t, users);
    assert.equal((await auditLedger(t.relay.ledger)).problems, []);
    assert.is((await t.relay.outboxStats()).rejected, 0, 'no ledger write was refused');
  });
  s.after(async ({ t }) => {
    await t.close();
    await store.stop();
  });

  const newUser = async (ctx: Ctx, topUpMinor = 0) => {
    const user = await ctx.t.newUser();
    ctx.users.add(user.kidHex);
    if (topUpMinor > 0) assert.is((await ctx.t.topUp(user.kidHex, topUpMinor)).status, 200);
    return user;
  };
  const recordOf = async (t: TestRelay, id: Hex) => {
    await t.relay.drainLedger();
    return t.relay.ledger.record(id);
  };
  const ledgerOf = async (t: TestRelay, kid: string) => {
    await t.relay.drainLedger();
    return { balance: Number(await t.relay.ledger.balanceOf(addressOf(kid))), escrow: Number(await t.relay.ledger.escrowOf(addressOf(kid))) };
  };

  s('users: register (signed by the new key), 409 on a second registration, 404 for an unknown kid', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx);
    const again = await t.call('POST', '/v1/users', { body: { publicKey: bytesToHex(user.publicKey), displayName: 'again' }, signer: user });
    assert.is(again.status, 409);
    assert.is(again.json.error, 'already-registered');
    const shown = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([shown.kid, shown.displayName, shown.address, shown.balanceMinor, shown.openContracts], [user.kidHex, 'driver', addressOf(user.kidHex), 0, []]);
    const unknown = await t.call('GET', '/v1/users/00112233aabbccdd', { signer: t.operator });
    assert.equal([unknown.status, unknown.json.error], [404, 'unknown-user']);
    const other = await t.newUser();
    const stolen = await t.call('POST', '/v1/users', { body: { publicKey: bytesToHex(other.publicKey), displayName: 'x' }, signer: user });
    assert.equal([stolen.status, stolen.json.error], [401, 'bad-signature']);
  });

  s('signed requests: bad signature, unknown signer, stale and replayed requests are refused and move nothing', async (ctx) => {
    const { t } = ctx;
    const alice = await newUser(ctx, 1_000);
    const bob = await newUser(ctx);
    const transfer = { toKid: bob.kidHex, amountMinor: 100, idempotencyKey: '01'.repeat(16) };
    const forgedBy = { ...alice, secretKey: bob.secretKey }; // alice's kid, someone else's key
    const bad = await t.call('POST', '/v1/transfers', { body: transfer, signer: forgedBy });
    assert.equal([bad.status, bad.json.error], [401, 'bad-signature']);
    const stranger = generateKeyPair();
    const unknown = await t.call('POST', '/v1/transfers', { body: transfer, signer: stranger });
    assert.equal([unknown.status, unknown.json.error], [401, 'unknown-signer']);
    const stale = await t.call('POST', '/v1/transfers', { body: transfer, signer: alice, atS: t.clock.nowS - 301 });
    assert.equal([stale.status, stale.json.error], [401, 'stale-request']);
    const future = await t.call('POST', '/v1/transfers', { body: transfer, signer: alice, atS: t.clock.nowS + 301 });
    assert.equal([future.status, future.json.error], [401, 'stale-request']);
    const first = await t.call('POST', '/v1/transfers', { body: transfer, signer: alice, nonce: 'aa'.repeat(16) });
    assert.is(first.status, 200);
    const replayed = await t.call('POST', '/v1/transfers', { body: transfer, signer: alice, nonce: 'aa'.repeat(16) });
    assert.equal([replayed.status, replayed.json.error], [409, 'replayed-request']);
    const byUser = await t.call('POST', '/v1/issue', { body: { userKid: alice.kidHex, amountMinor: 5, idempotencyKey: '02'.repeat(16) }, signer: alice });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    const unsigned = await t.call('POST', '/v1/issue', { body: { userKid: alice.kidHex, amountMinor: 5, idempotencyKey: '03'.repeat(16) } });
    assert.equal([unsigned.status, unsigned.json.error], [401, 'unknown-signer']);
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 900, escrow: 0 }, 'only the one genuine transfer moved money');
    assert.equal(await ledgerOf(t, bob.kidHex), { balance: 100, escrow: 0 });
  });

  s('a retry after a lost answer (new nonce, same idempotency key) moves money once; the key cannot be reused for another move', async (ctx) => {
    const { t } = ctx;
    const alice = await newUser(ctx);
    const bob = await newUser(ctx);
    const topUp = { userKid: alice.kidHex, amountMinor: 1_000, idempotencyKey: 'a1'.repeat(16) };
    const first = await t.call('POST', '/v1/issue', { body: topUp, signer: t.operator });
    const retry = await t.call('POST', '/v1/issue', { body: topUp, signer: t.operator });
    assert.equal([first.status, first.json.repeated, retry.status, retry.json.repeated], [200, undefined, 200, true]);
    assert.is(retry.json.ref, first.json.ref, 'the retry answers the first move');
    const transfer = { toKid: bob.kidHex, amountMinor: 300, idempotencyKey: 'b2'.repeat(16) };
    assert.is((await t.call('POST', '/v1/transfers', { body: transfer, signer: alice })).status, 200);
    const again = await t.call('POST', '/v1/transfers', { body: transfer, signer: alice });
    assert.equal([again.status, again.json.repeated, again.json.amountMinor], [200, true, 300]);
    const otherAmount = await t.call('POST', '/v1/transfers', { body: { ...transfer, amountMinor: 301 }, signer: alice });
    assert.equal([otherAmount.status, otherAmount.json.error], [409, 'idempotency-key-reused']);
    const otherKind = await t.call('POST', '/v1/issue', { body: { ...topUp, amountMinor: 5 }, signer: t.operator });
    assert.equal([otherKind.status, otherKind.json.error], [409, 'idempotency-key-reused']);
    // keys are per author: bob may use alice's key for his own move
    assert.is((await t.call('POST', '/v1/transfers', { body: { toKid: alice.kidHex, amountMinor: 100, idempotencyKey: 'b2'.repeat(16) }, signer: bob })).status, 200);
    const noKey = await t.call('POST', '/v1/transfers', { body: { toKid: bob.kidHex, amountMinor: 1 }, signer: alice });
    assert.equal([noKey.status, noKey.json.error], [400, 'invalid-field']);
    assert.match(noKey.json.message, /idempotencyKey/);
    assert.equal(await ledgerOf(t, alice.kidHex), { balance: 800, escrow: 0 }, '1,000 − 300 + 100: each move once');
    assert.equal(await ledgerOf(t, bob.kidHex), { balance: 200, escrow: 0 });
  });

  s('a replayed operator top-up is refused: issued once', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx);
    const body = { userKid: user.kidHex, amountMinor: 700, idempotencyKey: '04'.repeat(16) };
    assert.is((await t.call('POST', '/v1/issue', { body, signer: t.operator, nonce: 'bb'.repeat(16) })).status, 200);
    const replay = await t.call('POST', '/v1/issue', { body, signer: t.operator, nonce: 'bb'.repeat(16) });
    assert.equal([replay.status, replay.json.error], [409, 'replayed-request']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 700, escrow: 0 });
  });

  s('piles: registration answers a relay-signed PileUpdate; config versions move forward; update polling', async (ctx) => {
    const { t } = ctx;
    const pile = await t.newPile();
    const registered = await t.call('POST', '/v1/piles', {
      body: { pileId: pile.pileIdHex, publicKey: bytesToHex(pile.key.publicKey), operator: 'o', label: 'x', maxPowerW: 7_000, tariff: { energyMinorPerKwh: 1, timeMinorPerHour: 1, sessionFeeMinor: 1 } },
      signer: t.operator,
    });
    assert.equal([registered.status, registered.json.error], [409, 'already-registered']);
    const first = await t.call('GET', `/v1/piles/${pile.pileIdHex}/update?configVersion=0`);
    assert.is(first.status, 200);
    const update = openSigned(base64urlToBytes(first.json.pileUpdate), { publicKey: t.relay.relayKey.publicKey, expectType: 'PileUpdate' });
    assert.ok(update.ok);
    if (!update.ok) return;
    assert.equal([update.value.message.configVersion, update.value.message.tariff, update.value.message.maxPowerW], [1, pile.tariff, 11_000]);
    const changed = await t.call('POST', `/v1/piles/${pile.pileIdHex}/config`, { body: { tariff: { energyMinorPerKwh: 40, timeMinorPerHour: 60, sessionFeeMinor: 50 } }, signer: t.operator });
    assert.is(changed.status, 200);
    assert.is(changed.json.configVersion, 2);
    const relabel = await t.call('POST', `/v1/piles/${pile.pileIdHex}/config`, { body: { label: 'Bay 2' }, signer: t.operator });
    assert.is(relabel.json.configVersion, 3);
    const shown = (await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json;
    assert.equal([shown.configVersion, shown.label, shown.tariff], [3, 'Bay 2', { version: 2, energyMinorPerKwh: 40, timeMinorPerHour: 60, sessionFeeMinor: 50 }], 'a label change keeps the tariff version');
    assert.is((await t.call('GET', `/v1/piles/${pile.pileIdHex}/update?configVersion=3`)).status, 204);
    assert.is((await t.call('GET', `/v1/piles/${pile.pileIdHex}/update?configVersion=x`)).json.error, 'invalid-field');
    assert.is((await t.call('GET', '/v1/piles/0000000000000001')).json.error, 'unknown-pile');
    const empty = await t.call('POST', `/v1/piles/${pile.pileIdHex}/config`, { body: {}, signer: t.operator });
    assert.equal([empty.status, empty.json.error], [400, 'invalid-field']);
  });

  s('capped session: the cap is escrowed on the contract, the metered amount settled on the receipt', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const voucher = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 });
    assert.is(voucher.status, 201);
    assert.equal([t.authorization(voucher).capMinor, t.authorization(voucher).tariffVersion], [2_000, 1]);
    assert.equal(Object.keys(voucher.json), ['authorization'], 'the voucher answer is the signed bytes, nothing copied beside them');
    const reserved = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([reserved.reservedMinor, reserved.availableMinor], [2_000, 3_000], 'an unused voucher reserves its cap');
    const c = pile.contract(voucher.json.authorization, t.clock.nowS);
    const up = await t.upload(c.signed);
    assert.equal(up.json.results, [{ pileId: pile.pileIdHex, seq: 1, kind: 'contract', status: 'accepted' }]);
    const ack = openSigned(base64urlToBytes(up.json.acks[0].ack), { publicKey: t.relay.relayKey.publicKey, expectType: 'Ack' });
    assert.ok(ack.ok, 'the Ack is signed by the relay key');
    if (ack.ok) assert.equal(ack.value.message.ranges, [{ fromSeq: 1, toSeq: 1 }]);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 3_000, escrow: 2_000 });
    assert.is(await recordOf(t, pile.contractId(1)), 'open-capped');
    const provisional = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts[0];
    assert.equal([provisional.status, provisional.capMinor], ['provisional', 2_000]);
    const revenueBefore = await t.relay.ledger.balanceOf(t.relay.ledger.revenueAccount);
    const r = pile.receipt(c.seq, { energyWh: 12_345, durationS: 5_400, endAtS: t.clock.nowS + 5_400 });
    assert.is(r.amountMinor, sessionCostMinor(pile.tariff, 12_345, 5_400));
    assert.is((await t.upload(r.signed)).json.results[0].status, 'accepted');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
    assert.is(Number((await t.relay.ledger.balanceOf(t.relay.ledger.revenueAccount)) - revenueBefore), r.amountMinor);
    assert.is(await recordOf(t, pile.contractId(1)), 'settled');
    const settled = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts[0];
    assert.equal([settled.status, settled.amountMinor, settled.ledgerState, settled.energyWh], ['settled', r.amountMinor, 'settled', 12_345]);
    const pileView = (await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json;
    assert.equal([pileView.held, pileView.gaps, pileView.records], [[{ fromSeq: 1, toSeq: 2 }], [], 2]);
    const kinds = (await t.call('GET', `/v1/users/${user.kidHex}/history`, { signer: user })).json.events.map((e: { kind: string }) => e.kind);
    assert.ok(kinds.includes('issued') && kinds.includes('opened') && kinds.includes('settled'));
    assert.not.ok(kinds.includes('batch'), 'a Batch event is no line of the user\'s history');
  });

  s('voucher caps: time = worst case at maxPowerW, energy = the energy plus the stated duration', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 100_000);
    const pile = await t.newPile({ energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 }, 7_400);
    const time = await t.voucher(user, pile, { mode: 'time', durationS: 3 * 3600 });
    assert.is(t.authorization(time).capMinor, sessionCostMinor(pile.tariff, 22_200, 3 * 3600), '3 h at 7.4 kW = 22.2 kWh');
    const energy = await t.voucher(user, pile, { mode: 'energy', energyWh: 20_000 });
    assert.is(t.authorization(energy).capMinor, sessionCostMinor(pile.tariff, 20_000, 4 * 3600), '20 kWh within the 4 h allowance');
    const big = await t.voucher(user, pile, { mode: 'energy', energyWh: 74_000 });
    assert.is(t.authorization(big).capMinor, sessionCostMinor(pile.tariff, 74_000, 10 * 3600), '74 kWh at 7.4 kW needs 10 h');
  });

  s('insufficient funds: 402, and the refused voucher reserves nothing', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile();
    const tooMuch = await t.voucher(user, pile, { mode: 'amount', amountMinor: 3_001 });
    assert.equal([tooMuch.status, tooMuch.json.error], [402, 'insufficient-funds']);
    assert.is((await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 })).status, 201);
    const second = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 });
    assert.equal([second.status, second.json.error], [402, 'insufficient-funds'], 'the first voucher holds 2,000 of 3,000');
    const broke = await newUser(ctx);
    const full = await t.voucher(broke, pile, { mode: 'full' });
    assert.equal([full.status, full.json.error], [402, 'insufficient-funds']);
    const shown = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([shown.reservedMinor, shown.availableMinor], [2_000, 1_000]);
    const transfer = await t.call('POST', '/v1/transfers', { body: { toKid: broke.kidHex, amountMinor: 1_001, idempotencyKey: '05'.repeat(16) }, signer: user });
    assert.equal([transfer.status, transfer.json.error], [402, 'insufficient-funds'], 'reserved funds cannot be transferred away');
    const unknownTo = await t.call('POST', '/v1/transfers', { body: { toKid: '0123456789abcdef', amountMinor: 1, idempotencyKey: '06'.repeat(16) }, signer: user });
    assert.equal([unknownTo.status, unknownTo.json.error], [404, 'unknown-user']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 3_000, escrow: 0 });
  });

  s('a voucher retried for the same tap (same pile nonce and limit) comes back unchanged and reserves once', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile();
    const tapNonce = pile.nonce();
    const first = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 }, tapNonce);
    const retry = await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_000 }, tapNonce);
    assert.equal([first.status, retry.status], [201, 200]);
    assert.equal(retry.json, first.json, 'the same signed voucher');
    const other = await t.voucher(user, pile, { mode: 'amount', amountMinor: 500 }, tapNonce);
    assert.equal([other.status, other.json.error], [409, 'voucher-outstanding'], 'another limit on that nonce needs a fresh tap');
    const shown = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([shown.reservedMinor, shown.availableMinor], [2_000, 1_000], 'reserved once');
  });

  s('R8: an open (full) contract without receipt blocks new vouchers until any phone carries the receipt', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 20_000);
    const pile = await t.newPile();
    const voucher = await t.voucher(user, pile, { mode: 'full' });
    assert.equal([voucher.status, t.authorization(voucher).capMinor], [201, 10_000], 'full: min(available, maxOpenCapMinor)');
    const early = await t.voucher(user, pile, { mode: 'amount', amountMinor: 100 });
    assert.equal([early.status, early.json.error], [409, 'open-contract-outstanding'], 'an unused full voucher blocks too');
    const c = pile.contract(voucher.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    assert.is(await recordOf(t, pile.contractId(c.seq)), 'open-full');
    const blocked = await t.voucher(user, pile, { mode: 'amount', amountMinor: 100 });
    assert.equal([blocked.status, blocked.json.error], [409, 'open-contract-outstanding']);
    const r = pile.receipt(c.seq, { energyWh: 30_000, durationS: 7_200, endAtS: t.clock.nowS + 7_200, endReason: 'abnormal' });
    assert.is((await t.upload(r.signed)).json.results[0].status, 'accepted', "another user's phone carries it (uploads are anonymous)");
    assert.is((await t.voucher(user, pile, { mode: 'amount', amountMinor: 100 })).status, 201);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 20_000 - r.amountMinor, escrow: 0 });
  });

  s('R11: settled history gives a credit line; the shortfall is an operator advance repaid first on the next top-up', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile({ energyMinorPerKwh: 100, timeMinorPerHour: 0, sessionFeeMinor: 0 });
    assert.is((await t.call('GET', `/v1/users/${user.kidHex}/credit`, { signer: user })).json.creditLimitMinor, 0);
    for (let i = 0; i < 2; i++) {
      const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 1_500 });
      const c = pile.contract(v.json.authorization, t.clock.nowS);
      const r = pile.receipt(c.seq, { energyWh: 10_000, durationS: 600, endAtS: t.clock.nowS + 600 });
      assert.is(r.amountMinor, 1_000);
      await t.upload(c.signed, r.signed);
    }
    const credit = (await t.call('GET', `/v1/users/${user.kidHex}/credit`, { signer: user })).json;
    assert.equal([credit.settledSessions, credit.settledAmountMinor, credit.lateReceipts, credit.creditLimitMinor], [2, 2_000, 0, 1_000]);
    assert.is((await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.availableMinor, 2_000, '1,000 balance + 1,000 credit');
    assert.is((await t.voucher(user, pile, { mode: 'amount', amountMinor: 2_001 })).status, 402);
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: 1_800 });
    assert.is(v.status, 201, 'the credit line allows a start the balance alone would not');
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    await t.upload(c.signed);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 0, escrow: 1_800 }, 'advance of 800 issued, then the cap escrowed');
    const during = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([during.creditUsedMinor, during.availableMinor], [800, 200]);
    const r = pile.receipt(c.seq, { energyWh: 5_000, durationS: 600, endAtS: t.clock.nowS + 600 });
    await t.upload(r.signed);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 1_300, escrow: 0 });
    const settledLines = (await t.call('GET', `/v1/users/${user.kidHex}/history`, { signer: user })).json.events.filter((e: { kind: string }) => e.kind === 'settled');
    assert.equal(settledLines.map((e: { settledFrom: string }) => e.settledFrom), ['none', 'none', 'open-capped'],
      'contract and receipt uploaded together settle in one step; a receipt after its contract landed releases the escrow');
    const topUp = await t.topUp(user.kidHex, 500);
    assert.equal([topUp.status, topUp.json.repaidMinor], [200, 500], 'the top-up repays the advance first');
    await t.relay.drainLedger();
    const after = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([after.balanceMinor, after.creditUsedMinor], [1_300, 300]);
    const contracts = (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts;
    assert.is(contracts[2].advanceMinor, 800);
  });

  ingestionCases({ s, newUser, recordOf, ledgerOf });
  voucherCases({ s, newUser, ledgerOf });

  s.run();
}

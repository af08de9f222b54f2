// The operator routes (tools/relay/routes/operator/), through the HTTP API on SQLite and on
// PostgreSQL: the pile and user lists with exact figures, dispute resolution both ways, refunds
// within what was charged and once per idempotency key, and the accounting CSV read back with an
// RFC 4180 reader of its own and compared with the API's figures. Every route refuses a user's key
// (403 not-operator), an unsigned request (401) and bad input (400 naming the field). After every
// case the outbox is drained, each touched user's book equals the ledger, the ledger audit is clean
// (conservation) and no ledger write was refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address } from 'viem';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { sessionCostMinor } from '../../contracts-offline/tariff-cost.ts';
import { VOUCHER_RESERVATION_S } from '../../contracts-offline/voucher-lifetime.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { userAddressOf } from '../../tools/ledger/ids.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { signRequest } from '../../tools/relay-api/request-signing.ts';
import { startTestPostgres } from '../support/postgres.ts';
import { type TestPile, type TestRelay, assertBooksMatchLedger, startTestRelay } from '../support/relay-harness.ts';

type Ctx = { t: TestRelay; users: Set<string> };
type Storage = { databaseUrl?: string; stop(): Promise<void> };
type User = Awaited<ReturnType<TestRelay['newUser']>>;

const SILENT_AFTER_S = 3_600;
const addressOf = (kid: string): Address => userAddressOf(hexToBytes(kid));
const iso = (atS: number) => new Date(atS * 1000).toISOString().replace('.000Z', 'Z');

/** RFC 4180 records read back field by field (quoted fields, doubled quotes, CRLF), independent of the relay's writer. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let value = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new Error('csv: unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') value += text[i++];
        else if (text[i] === '"') break;
        else value += text[i];
      }
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') value += text[i++];
    }
    record.push(value);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else throw new Error(`csv: expected "," or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 5))}`);
  }
  if (record.length > 0) throw new Error('csv: the last record does not end in CRLF');
  return records;
}

function operatorCases(name: string, storage: () => Promise<Storage>): void {
  const s = suite<Ctx>(name, {} as Ctx);
  let store: Storage;

  s.before(async (ctx) => {
    store = await storage();
    ctx.t = await startTestRelay({ ...(store.databaseUrl ? { databaseUrl: store.databaseUrl } : {}), policy: { pileSilentAfterS: SILENT_AFTER_S } });
    ctx.users = new Set();
  });
  s.after.each(async ({ t, users }) => {
    await assertBooksMatchLedger(t, users);
    assert.equal((await auditLedger(t.relay.ledger)).problems, [], 'ledger audit: conservation and every settlement matches its open');
    assert.is((await t.relay.outboxStats()).rejected, 0, 'no ledger write was refused');
  });
  s.after(async ({ t }) => {
    await t.close();
    await store.stop();
  });

  const newUser = async (ctx: Ctx, topUpMinor = 0): Promise<User> => {
    const user = await ctx.t.newUser(`driver ${ctx.users.size + 1}`);
    ctx.users.add(user.kidHex);
    if (topUpMinor > 0) assert.is((await ctx.t.topUp(user.kidHex, topUpMinor)).status, 200);
    return user;
  };
  const asOperator = (t: TestRelay, path: string) => t.call('GET', path, { signer: t.operator });
  const post = (t: TestRelay, path: string, body: Record<string, unknown>) => t.call('POST', path, { body, signer: t.operator });
  const ledgerOf = async (t: TestRelay, kid: string) => {
    await t.relay.drainLedger();
    return { balance: Number(await t.relay.ledger.balanceOf(addressOf(kid))), escrow: Number(await t.relay.ledger.escrowOf(addressOf(kid))) };
  };
  const revenueOf = async (t: TestRelay) => {
    await t.relay.drainLedger();
    return Number(await t.relay.ledger.balanceOf(t.relay.ledger.revenueAccount));
  };
  /** A contract uploaded for a fresh voucher; answers its sequence. */
  const started = async (t: TestRelay, user: User, pile: TestPile, limit: ChargeLimit) => {
    const v = await t.voucher(user, pile, limit);
    assert.is(v.status, 201, v.text);
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    assert.is((await t.upload(c.signed)).json.results[0].status, 'accepted');
    return { ...c, authorization: v.json.authorization as string };
  };
  /**
   * A contract held but disputed: it names its voucher's terms but another tariff version (a pile
   * with a stale tariff), so the voucher stays unused and reserving. With `receipt`, its receipt too.
   */
  const disputed = async (t: TestRelay, user: User, pile: TestPile, capMinor: number, receipt?: { energyWh: number; durationS: number }) => {
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor: capMinor });
    const current = pile.tariff;
    pile.tariff = { ...current, version: current.version + 1 };
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    const up = await t.upload(c.signed);
    assert.match(up.json.results[0].problem, /differs from voucher .* tariff/);
    const r = receipt ? pile.receipt(c.seq, { ...receipt, endAtS: t.clock.nowS + receipt.durationS }) : undefined;
    if (r) assert.is((await t.upload(r.signed)).json.results[0].status, 'accepted');
    pile.tariff = current;
    return { contractId: pile.contractId(c.seq).slice(2), seq: c.seq, receiptAmountMinor: r?.amountMinor, voucher: t.authorization(v) };
  };
  const contractsOf = async (t: TestRelay, user: User) => (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts as Record<string, unknown>[];

  s('GET /v1/operator/piles and /piles/{id}: configuration, last seen, silent, held and gaps, sessions with exact figures', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 10_000);
    const pile = await t.newPile({ energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 });
    const quiet = await t.newPile();
    const registeredAtS = t.clock.nowS;
    const c1 = await started(t, user, pile, { mode: 'amount', amountMinor: 2_000 });
    const r1 = pile.receipt(c1.seq, { energyWh: 10_000, durationS: 3_600, endAtS: t.clock.nowS + 3_600 });
    await t.upload(r1.signed);
    const c2 = await started(t, user, pile, { mode: 'energy', energyWh: 5_000 });
    const v3 = await t.voucher(user, pile, { mode: 'amount', amountMinor: 700 });
    pile.contract(v3.json.authorization, t.clock.nowS); // seq 4: never carried
    const firstSeenAtS = t.clock.nowS;
    t.clock.advanceS(SILENT_AFTER_S + 1);
    // seq 5 (the receipt of the uncarried contract 4) arrives later: a gap below it, nothing settles yet
    const r3 = pile.receipt(4, { energyWh: 1_000, durationS: 600, endAtS: t.clock.nowS });
    await t.upload(r3.signed);
    const lastSeenAtS = t.clock.nowS;
    await t.relay.drainLedger(); // the settlement's transaction is on the ledger

    const list = await asOperator(t, '/v1/operator/piles');
    assert.is(list.status, 200, list.text);
    assert.equal([list.json.nowS, list.json.silentAfterS], [t.clock.nowS, SILENT_AFTER_S]);
    const shown = list.json.piles.find((p: { pileId: string }) => p.pileId === pile.pileIdHex);
    assert.equal(shown, {
      pileId: pile.pileIdHex, publicKey: Buffer.from(pile.key.publicKey).toString('hex'), operator: 'test operator', label: 'Bay 1', maxPowerW: 11_000,
      configVersion: 1, tariff: { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 }, registeredAtS, lastSeenAtS, silent: false,
      records: 4, held: [{ fromSeq: 1, toSeq: 3 }, { fromSeq: 5, toSeq: 5 }], gaps: [{ fromSeq: 4, toSeq: 4 }], contractsWithoutReceipt: 1,
      sessions: { provisional: 1, chargedAtCap: 0, settled: 1, corrected: 0, disputed: 0, voided: 0, settledEnergyWh: 10_000, settledAmountMinor: r1.amountMinor, refundedMinor: 0 },
    });
    assert.is(r1.amountMinor, sessionCostMinor(pile.tariff, 10_000, 3_600));
    assert.ok(firstSeenAtS < lastSeenAtS, 'last seen is the latest record');
    const silent = list.json.piles.find((p: { pileId: string }) => p.pileId === quiet.pileIdHex);
    assert.equal([silent.silent, 'lastSeenAtS' in silent, silent.records, silent.held, silent.gaps], [true, false, 0, [], []], 'never heard of since registration: silent');

    const one = await asOperator(t, `/v1/operator/piles/${pile.pileIdHex}`);
    assert.is(one.status, 200, one.text);
    assert.equal(one.json.pile, shown);
    assert.equal(one.json.recentSessions.map((x: { seq: number; status: string }) => [x.seq, x.status]), [[3, 'provisional'], [1, 'settled']], 'newest first');
    const settled = one.json.recentSessions[1];
    assert.equal(settled, {
      contractId: pile.contractId(1).slice(2), pileId: pile.pileIdHex, seq: 1, userKid: user.kidHex, mode: 'amount', status: 'settled', capMinor: 2_000,
      startAtS: registeredAtS, endAtS: registeredAtS + 3_600, settledAtS: registeredAtS, energyWh: 10_000, durationS: 3_600, amountMinor: r1.amountMinor,
      refundedMinor: 0, endReason: 'normal', ledgerTxHash: settled.ledgerTxHash,
    });
    assert.match(settled.ledgerTxHash, /^0x[0-9a-f]{64}$/);
    const settleEvent = (await t.relay.ledger.history()).find((e) => e.kind === 'settled' && e.contractId === pile.contractId(1));
    assert.is(settled.ledgerTxHash, settleEvent?.txHash, 'the ledger transaction that settled it');
    assert.equal(Object.keys(one.json.recentSessions[0]).includes('amountMinor'), false, 'a provisional session has no amount yet');
    assert.is(c2.seq, 3);

    const byUser = await t.call('GET', '/v1/operator/piles', { signer: user });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    const unsigned = await t.call('GET', '/v1/operator/piles');
    assert.equal([unsigned.status, unsigned.json.error], [401, 'unknown-signer']);
    const badId = await asOperator(t, '/v1/operator/piles/xyz');
    assert.equal([badId.status, badId.json.error], [400, 'invalid-field']);
    assert.match(badId.json.message, /"pileId"/);
    const extra = await asOperator(t, '/v1/operator/piles?limit=5');
    assert.equal([extra.status, extra.json.error], [400, 'invalid-field']);
    assert.match(extra.json.message, /"limit" is not a known field/);
    const unknown = await asOperator(t, '/v1/operator/piles/00000000000000ff');
    assert.equal([unknown.status, unknown.json.error], [404, 'unknown-pile']);
  });

  s('GET /v1/operator/users: ledger and book balances, credit line, open and disputed contracts, settled history', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 6_000);
    const idle = await newUser(ctx);
    const pile = await t.newPile();
    const c1 = await started(t, user, pile, { mode: 'amount', amountMinor: 1_500 });
    const r1 = pile.receipt(c1.seq, { energyWh: 8_000, durationS: 1_800, endAtS: t.clock.nowS + 1_800 });
    await t.upload(r1.signed);
    await started(t, user, pile, { mode: 'amount', amountMinor: 1_000 });
    const d = await disputed(t, user, pile, 500);
    await t.relay.drainLedger();
    const list = await asOperator(t, '/v1/operator/users');
    assert.is(list.status, 200, list.text);
    const shown = list.json.users.find((u: { kid: string }) => u.kid === user.kidHex);
    const balance = 6_000 - r1.amountMinor - 1_000;
    assert.equal(shown, {
      kid: user.kidHex, displayName: shown.displayName, address: addressOf(user.kidHex), registeredAtS: shown.registeredAtS,
      balanceMinor: balance, escrowMinor: 1_000, bookBalanceMinor: balance, bookEscrowMinor: 1_000, reservedMinor: d.voucher.capMinor,
      availableMinor: balance - 500, creditLimitMinor: 0, creditUsedMinor: 0, openContracts: 1, disputedContracts: 1,
      settledSessions: 1, settledAmountMinor: r1.amountMinor, lateReceipts: 0, refundedMinor: 0,
    });
    const zero = list.json.users.find((u: { kid: string }) => u.kid === idle.kidHex);
    assert.equal([zero.balanceMinor, zero.openContracts, zero.settledSessions], [0, 0, 0]);
    const byUser = await t.call('GET', '/v1/operator/users', { signer: user });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    assert.equal((await t.call('GET', '/v1/operator/users')).status, 401);
    const stale = await t.call('GET', '/v1/operator/users', { signer: t.operator, atS: t.clock.nowS - 301 });
    assert.equal([stale.status, stale.json.error], [401, 'stale-request']);
  });

  s('resolve settle: the disputed contract is opened and settled on its receipt; the ledger moves, conservation holds', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile();
    const d = await disputed(t, user, pile, 1_200, { energyWh: 4_000, durationS: 1_200 });
    const before = await ledgerOf(t, user.kidHex);
    const revenueBefore = await revenueOf(t);
    assert.equal(before, { balance: 3_000, escrow: 0 }, 'a disputed contract moved nothing');
    assert.is(await t.relay.ledger.record(`0x${d.contractId}`), 'none');
    const reserved = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.reservedMinor;
    assert.is(reserved, 1_200, 'its voucher still reserves the cap');

    const path = `/v1/operator/contracts/${d.contractId}/resolve`;
    const answer = await post(t, path, { decision: 'settle', reason: 'pile ran a stale tariff; prices unchanged' });
    assert.is(answer.status, 200, answer.text);
    const amount = sessionCostMinor(pile.tariff, 4_000, 1_200);
    assert.is(d.receiptAmountMinor, amount);
    assert.equal({ ...answer.json, txHash: undefined }, {
      contractId: d.contractId, decision: 'settle', reason: 'pile ran a stale tariff; prices unchanged', operatorKid: Buffer.from(t.operator.kid).toString('hex'),
      atS: t.clock.nowS, contractStatus: 'settled', amountMinor: amount, status: 'applied', txHash: undefined,
    });
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 3_000 - amount, escrow: 0 });
    assert.is(await revenueOf(t) - revenueBefore, amount);
    assert.is(await t.relay.ledger.record(`0x${d.contractId}`), 'settled');
    const shown = (await contractsOf(t, user)).find((c) => c.contractId === d.contractId)!;
    assert.equal([shown.status, shown.amountMinor, shown.ledgerState], ['settled', amount, 'settled']);
    assert.equal(shown.resolution, { decision: 'settle', reason: 'pile ran a stale tariff; prices unchanged', operatorKid: answer.json.operatorKid, atS: t.clock.nowS });
    assert.is((await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.reservedMinor, 0, 'the voucher reserves no more');

    const again = await post(t, path, { decision: 'settle', reason: 'a retry' });
    assert.equal([again.status, again.json.repeated, again.json.reason, again.json.atS], [200, true, 'pile ran a stale tariff; prices unchanged', answer.json.atS]);
    const other = await post(t, path, { decision: 'void', reason: 'changed my mind' });
    assert.equal([other.status, other.json.error], [409, 'not-disputed']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 3_000 - amount, escrow: 0 }, 'settled once');
  });

  s('resolve settle with the balance short: an operator advance funds the cap, recorded as debt and repaid by the next top-up', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 1_000);
    const other = await newUser(ctx);
    const pile = await t.newPile();
    const d = await disputed(t, user, pile, 900, { energyWh: 2_000, durationS: 900 });
    t.clock.advanceS(VOUCHER_RESERVATION_S + 1); // the voucher reserves no more: the funds may move
    const moved = await t.call('POST', '/v1/transfers', { body: { toKid: other.kidHex, amountMinor: 800, idempotencyKey: '0f'.repeat(16) }, signer: user });
    assert.is(moved.status, 200, moved.text);
    const answer = await post(t, `/v1/operator/contracts/${d.contractId}/resolve`, { decision: 'settle', reason: 'session happened' });
    assert.is(answer.status, 200, answer.text);
    const amount = d.receiptAmountMinor!;
    assert.equal([answer.json.amountMinor, answer.json.advanceMinor], [amount, 700], 'cap 900 − balance 200');
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 200 + 700 - amount, escrow: 0 });
    const shown = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.is(shown.creditUsedMinor, 700, 'the advance is debt');
    const contract = (await contractsOf(t, user)).find((c) => c.contractId === d.contractId)!;
    assert.equal([contract.status, contract.advanceMinor], ['settled', 700]);
    const topUp = await t.topUp(user.kidHex, 1_000);
    assert.equal([topUp.status, topUp.json.repaidMinor], [200, 700]);
  });

  s('resolve void: nothing charged, nothing on the ledger, the voucher reservation released', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 2_000);
    const pile = await t.newPile();
    const d = await disputed(t, user, pile, 1_500, { energyWh: 3_000, durationS: 600 });
    assert.equal((await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json.availableMinor, 500);
    const answer = await post(t, `/v1/operator/contracts/${d.contractId}/resolve`, { decision: 'void', reason: 'contract not covered by its voucher' });
    assert.is(answer.status, 200, answer.text);
    assert.equal([answer.json.contractStatus, answer.json.amountMinor, answer.json.status, 'txHash' in answer.json], ['voided', 0, 'applied', false]);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 2_000, escrow: 0 });
    assert.is(await t.relay.ledger.record(`0x${d.contractId}`), 'none');
    const shown = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
    assert.equal([shown.reservedMinor, shown.availableMinor], [0, 2_000]);
    const contract = (await contractsOf(t, user)).find((c) => c.contractId === d.contractId)!;
    assert.equal([contract.status, (contract.resolution as { decision: string }).decision], ['voided', 'void']);
    const view = (await asOperator(t, `/v1/operator/piles/${pile.pileIdHex}`)).json;
    assert.equal([view.pile.sessions.voided, view.pile.sessions.disputed, view.recentSessions[0].status], [1, 0, 'voided']);
    const refund = await post(t, `/v1/operator/contracts/${d.contractId}/refund`, { amountMinor: 1, reason: 'x', idempotencyKey: '0e'.repeat(16) });
    assert.equal([refund.status, refund.json.error], [409, 'not-refundable']);
  });

  s('resolve: refused for a contract not disputed, without its receipt, unknown, or with bad input; a user cannot', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 3_000);
    const pile = await t.newPile();
    const running = await disputed(t, user, pile, 800);
    const noReceipt = await post(t, `/v1/operator/contracts/${running.contractId}/resolve`, { decision: 'void', reason: 'x' });
    assert.equal([noReceipt.status, noReceipt.json.error], [409, 'receipt-outstanding']);
    const c = await started(t, user, pile, { mode: 'amount', amountMinor: 500 });
    const matching = await post(t, `/v1/operator/contracts/${pile.contractId(c.seq).slice(2)}/resolve`, { decision: 'void', reason: 'x' });
    assert.equal([matching.status, matching.json.error], [409, 'not-disputed']);
    const unknown = await post(t, `/v1/operator/contracts/${'ab'.repeat(16)}/resolve`, { decision: 'void', reason: 'x' });
    assert.equal([unknown.status, unknown.json.error], [404, 'unknown-contract']);
    const path = `/v1/operator/contracts/${running.contractId}/resolve`;
    for (const [body, field] of [
      [{ decision: 'refund', reason: 'x' }, 'decision'], [{ decision: 'void' }, 'reason'], [{ decision: 'void', reason: '' }, 'reason'],
      [{ decision: 'void', reason: 'x'.repeat(201) }, 'reason'], [{ decision: 'void', reason: 'x', extra: 1 }, 'extra'],
    ] as const) {
      const r = await post(t, path, body);
      assert.equal([r.status, r.json.error], [400, 'invalid-field'], JSON.stringify(body));
      assert.match(r.json.message, new RegExp(`"${field}"`));
    }
    const badId = await post(t, '/v1/operator/contracts/ABC/resolve', { decision: 'void', reason: 'x' });
    assert.equal([badId.status, badId.json.error], [400, 'invalid-field']);
    assert.match(badId.json.message, /"contractId"/);
    const byUser = await t.call('POST', path, { body: { decision: 'void', reason: 'mine' }, signer: user });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    const unsigned = await t.call('POST', path, { body: { decision: 'void', reason: 'x' } });
    assert.equal([unsigned.status, unsigned.json.error], [401, 'unknown-signer']);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 2_500, escrow: 500 }, 'nothing moved but the matching contract');
  });

  s('refund: at most what was charged minus earlier refunds; two partial refunds; a retry refunds once; revenue pays', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 5_000);
    const pile = await t.newPile();
    const c = await started(t, user, pile, { mode: 'amount', amountMinor: 3_000 });
    const r = pile.receipt(c.seq, { energyWh: 20_000, durationS: 7_200, endAtS: t.clock.nowS + 7_200 });
    await t.upload(r.signed);
    const charged = r.amountMinor;
    const contractId = pile.contractId(c.seq).slice(2);
    const path = `/v1/operator/contracts/${contractId}/refund`;
    const revenueBefore = await revenueOf(t);
    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000 - charged, escrow: 0 });

    const tooMuch = await post(t, path, { amountMinor: charged + 1, reason: 'x', idempotencyKey: '01'.repeat(16) });
    assert.equal([tooMuch.status, tooMuch.json.error], [409, 'refund-above-charged']);
    const first = await post(t, path, { amountMinor: 100, reason: 'slow charging', idempotencyKey: 'a1'.repeat(16) });
    assert.is(first.status, 200, first.text);
    assert.equal({ ...first.json, ref: undefined, txHash: undefined }, {
      ref: undefined, contractId, userKid: user.kidHex, amountMinor: 100, chargedMinor: charged, refundedMinor: 100, status: 'applied', txHash: undefined,
    });
    const retry = await post(t, path, { amountMinor: 100, reason: 'slow charging', idempotencyKey: 'a1'.repeat(16) });
    assert.equal([retry.status, retry.json.repeated, retry.json.ref, retry.json.refundedMinor], [200, true, first.json.ref, 100]);
    const reused = await post(t, path, { amountMinor: 101, reason: 'slow charging', idempotencyKey: 'a1'.repeat(16) });
    assert.equal([reused.status, reused.json.error], [409, 'idempotency-key-reused']);
    const rest = charged - 100;
    const over = await post(t, path, { amountMinor: rest + 1, reason: 'x', idempotencyKey: '02'.repeat(16) });
    assert.equal([over.status, over.json.error], [409, 'refund-above-charged']);
    assert.match(over.json.message, new RegExp(`at most ${rest}$`));
    const second = await post(t, path, { amountMinor: rest, reason: 'goodwill: the rest', idempotencyKey: 'b2'.repeat(16) });
    assert.equal([second.status, second.json.refundedMinor], [200, charged]);
    const nothingLeft = await post(t, path, { amountMinor: 1, reason: 'x', idempotencyKey: '03'.repeat(16) });
    assert.equal([nothingLeft.status, nothingLeft.json.error], [409, 'refund-above-charged']);

    assert.equal(await ledgerOf(t, user.kidHex), { balance: 5_000, escrow: 0 }, 'everything charged came back, once');
    assert.is(revenueBefore - (await revenueOf(t)), charged, 'from the revenue account');
    const transfers = (await t.relay.ledger.history()).filter((e) => e.kind === 'transfer' && e.from === t.relay.ledger.revenueAccount);
    assert.equal(transfers.map((e) => e.kind === 'transfer' && [e.to, Number(e.amountMinor)]), [[addressOf(user.kidHex), 100], [addressOf(user.kidHex), rest]]);
    const shown = (await contractsOf(t, user)).find((x) => x.contractId === contractId)!;
    const operatorKid = Buffer.from(t.operator.kid).toString('hex');
    assert.equal([shown.status, shown.amountMinor, shown.refundedMinor], ['settled', charged, charged]);
    assert.equal(shown.refunds, [
      { ref: first.json.ref, amountMinor: 100, reason: 'slow charging', operatorKid, atS: t.clock.nowS },
      { ref: second.json.ref, amountMinor: rest, reason: 'goodwill: the rest', operatorKid, atS: t.clock.nowS },
    ]);
    const users = (await asOperator(t, '/v1/operator/users')).json.users;
    assert.is(users.find((u: { kid: string }) => u.kid === user.kidHex).refundedMinor, charged);
    assert.is((await asOperator(t, `/v1/operator/piles/${pile.pileIdHex}`)).json.pile.sessions.refundedMinor, charged);
  });

  s('refund: refused for a provisional contract, an unknown one, bad input, a user', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 2_000);
    const pile = await t.newPile();
    const c = await started(t, user, pile, { mode: 'amount', amountMinor: 1_000 });
    const path = `/v1/operator/contracts/${pile.contractId(c.seq).slice(2)}/refund`;
    const provisional = await post(t, path, { amountMinor: 1, reason: 'x', idempotencyKey: '04'.repeat(16) });
    assert.equal([provisional.status, provisional.json.error], [409, 'not-refundable']);
    const unknown = await post(t, `/v1/operator/contracts/${'cd'.repeat(16)}/refund`, { amountMinor: 1, reason: 'x', idempotencyKey: '05'.repeat(16) });
    assert.equal([unknown.status, unknown.json.error], [404, 'unknown-contract']);
    for (const [body, field] of [
      [{ amountMinor: 0, reason: 'x', idempotencyKey: '06'.repeat(16) }, 'amountMinor'], [{ amountMinor: 1.5, reason: 'x', idempotencyKey: '06'.repeat(16) }, 'amountMinor'],
      [{ amountMinor: 1, reason: 'x' }, 'idempotencyKey'], [{ amountMinor: 1, reason: 'x', idempotencyKey: 'abc' }, 'idempotencyKey'],
      [{ amountMinor: 1, idempotencyKey: '06'.repeat(16) }, 'reason'],
    ] as const) {
      const r = await post(t, path, body);
      assert.equal([r.status, r.json.error], [400, 'invalid-field'], JSON.stringify(body));
      assert.match(r.json.message, new RegExp(`"${field}"`));
    }
    const byUser = await t.call('POST', path, { body: { amountMinor: 1, reason: 'x', idempotencyKey: '07'.repeat(16) }, signer: user });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    assert.is((await t.call('POST', path, { body: { amountMinor: 1, reason: 'x', idempotencyKey: '07'.repeat(16) } })).status, 401);
  });

  s('GET /v1/operator/sessions.csv: RFC 4180 with a header, the sessions settled in [from, to), equal to the API figures', async (ctx) => {
    const { t } = ctx;
    const user = await newUser(ctx, 20_000);
    const pile = await t.newPile({ energyMinorPerKwh: 25, timeMinorPerHour: 90, sessionFeeMinor: 0 });
    t.clock.advanceS(1); // after every session the cases above settled
    const fromS = t.clock.nowS;
    const settledIds: string[] = [];
    for (const [limit, energyWh, durationS] of [[{ mode: 'amount', amountMinor: 2_000 }, 12_000, 3_000], [{ mode: 'time', durationS: 3_600 }, 7_000, 3_600], [{ mode: 'full' }, 30_000, 9_000]] as const) {
      const c = await started(t, user, pile, limit);
      const r = pile.receipt(c.seq, { energyWh, durationS, endAtS: t.clock.nowS + durationS, endReason: limit.mode === 'full' ? 'user' : 'normal' });
      await t.upload(r.signed);
      settledIds.push(pile.contractId(c.seq).slice(2));
      t.clock.advanceS(60);
    }
    const d = await disputed(t, user, pile, 600, { energyWh: 1_000, durationS: 300 });
    assert.is((await post(t, `/v1/operator/contracts/${d.contractId}/resolve`, { decision: 'settle', reason: 'ok' })).status, 200);
    settledIds.push(d.contractId);
    await started(t, user, pile, { mode: 'amount', amountMinor: 500 }); // provisional: not exported
    assert.is((await post(t, `/v1/operator/contracts/${settledIds[0]}/refund`, { amountMinor: 7, reason: 'a "quoted", reason', idempotencyKey: '08'.repeat(16) })).status, 200);
    await t.relay.drainLedger();
    const toS = t.clock.nowS + 1;

    const answer = await asOperator(t, `/v1/operator/sessions.csv?from=${iso(fromS)}&to=${iso(toS)}`);
    assert.is(answer.status, 200, answer.text);
    const signed = signRequest({ signer: t.operator, method: 'GET', path: `/v1/operator/sessions.csv?from=${iso(fromS)}&to=${iso(toS)}`, fields: {}, nowMs: t.clock.atMs, crypto: sodiumEd25519 });
    const raw = await fetch(t.url + signed.path, { headers: signed.headers });
    assert.equal([raw.status, raw.headers.get('content-type'), await raw.text()], [200, 'text/csv; charset=utf-8', answer.text]);
    const response = await fetch(`${t.url}/openapi.json`);
    const openapi = await response.json() as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>> };
    assert.equal(Object.keys(openapi.paths['/v1/operator/sessions.csv']!.get!.responses['200']!.content), ['text/csv'], 'the OpenAPI document names text/csv');
    const records = readCsv(answer.text);
    const [header, ...rows] = records;
    assert.equal(header, ['contractId', 'pileId', 'userKid', 'mode', 'startAt', 'endAt', 'settledAt', 'energyWh', 'durationS', 'amountMinor', 'refundedMinor', 'status', 'resolution', 'ledgerTxHash']);
    assert.equal(rows.map((r) => r[0]), settledIds, 'the settled sessions, in the order they settled; the provisional one left out');
    const sessions = (await asOperator(t, `/v1/operator/piles/${pile.pileIdHex}`)).json.recentSessions as Record<string, unknown>[];
    const contracts = await contractsOf(t, user);
    for (const row of rows) {
      const s = sessions.find((x) => x.contractId === row[0])!;
      const c = contracts.find((x) => x.contractId === row[0])!;
      assert.equal(row, [
        s.contractId, s.pileId, s.userKid, s.mode, iso(s.startAtS as number), iso(s.endAtS as number), iso(s.settledAtS as number), String(s.energyWh), String(s.durationS),
        String(s.amountMinor), String(s.refundedMinor), s.status, (s.resolution as { decision: string } | undefined)?.decision ?? '', s.ledgerTxHash,
      ]);
      assert.equal([row[1], row[2], row[3], Number(row[7]), Number(row[8]), Number(row[9]), Number(row[10]), row[11]],
        [c.pileId, user.kidHex, c.mode, c.energyWh, c.durationS, c.amountMinor, c.refundedMinor ?? 0, c.status], 'the user contracts route says the same');
    }
    assert.is(rows[0]![10], '7');
    assert.is(rows[3]![12], 'settle');
    assert.ok(answer.text.endsWith('\r\n'));

    const empty = await asOperator(t, `/v1/operator/sessions.csv?from=${iso(toS)}&to=${iso(toS + 3_600)}`);
    assert.equal([empty.status, readCsv(empty.text).length], [200, 1], 'a period with nothing settled: the header alone');
    const day = await asOperator(t, '/v1/operator/sessions.csv?from=2001-01-01&to=2001-01-02');
    assert.equal(readCsv(day.text).length, 1, 'dates are accepted');
    for (const [query, field] of [
      ['from=2025-02-30&to=2025-03-01', 'from'], ['from=2025-01-01T00:00:00&to=2025-02-01', 'from'], ['from=2025-02-01&to=2025-01-01', 'to'],
      ['from=2025-01-01', 'to'], ['from=2025-01-01&to=2025-01-01', 'to'],
    ] as const) {
      const r = await asOperator(t, `/v1/operator/sessions.csv?${query}`);
      assert.equal([r.status, r.json?.error], [400, 'invalid-field'], query);
      assert.match(r.json.message, new RegExp(`"${field}"`), query);
    }
    const byUser = await t.call('GET', `/v1/operator/sessions.csv?from=${iso(fromS)}&to=${iso(toS)}`, { signer: user });
    assert.equal([byUser.status, byUser.json.error], [403, 'not-operator']);
    assert.is((await t.call('GET', `/v1/operator/sessions.csv?from=${iso(fromS)}&to=${iso(toS)}`)).status, 401);
  });

  s.run();
}

operatorCases('operator routes on SQLite', async () => ({ stop: async () => undefined }));
operatorCases('operator routes on PostgreSQL', async () => {
  const pg = await startTestPostgres();
  return { databaseUrl: pg.url, stop: () => pg.stop() };
});

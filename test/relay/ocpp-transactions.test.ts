// Billing records and transactions over a pile's OCPP uplink (tools/relay/ocpp): a real relay
// (SQLite in a temp folder) on 127.0.0.1 and, as the pile, an ocpp-rpc client in strict mode that
// proves the pile's identity with its key (as firmware/ocpp/identity.ts does) and delivers
// records the test pile signs (test/support/relay-harness.ts). Covered: a contract and its
// receipt delivered as DataTransfer BillingRecord settle exactly as a phone's upload of the same
// kind does (ledger balances through the HTTP API); the Ack the relay answers; replays are
// duplicates with the same Ack and settle nothing twice; records as another pile, forged or
// tampered bytes, bad data, other vendors and messages refused and stored nowhere;
// StartTransaction and StopTransaction answered from the held records, idempotently;
// MeterValues and StatusNotification published to the pile's watchers; every CALL before the
// proof SecurityError; wrong types and unknown actions the CALLERROR ocpp-rpc names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RPCClient } from 'ocpp-rpc';
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import type { SeqRange } from '../../contracts-offline/messages/ack.ts';
import { encodeUplinkIdentity } from '../../contracts-offline/messages/uplink-identity.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import type { UplinkEvent } from '../../tools/relay/ocpp/uplinks.ts';
import { TestPile, type TestRelay, assertBooksMatchLedger, startTestRelay } from '../support/relay-harness.ts';
import { until } from '../support/until.ts';

type Params = Record<string, unknown>;

const logLines: Record<string, unknown>[] = [];
const logged = (name: string, pileId: string) => logLines.filter((line) => line.event === name && line.pileId === pileId);

let t: TestRelay;
const users = new Set<string>();
const clients: RPCClient[] = [];

test.before(async () => {
  t = await startTestRelay({ requestLog: { write: (line: string) => void logLines.push(JSON.parse(line) as Params) } });
});

test.after(async () => {
  for (const client of clients) await client.close({ force: true });
  await assertBooksMatchLedger(t, users);
  await t.close();
});

async function newUser(topUpMinor: number) {
  const user = await t.newUser();
  users.add(user.kidHex);
  assert.is((await t.topUp(user.kidHex, topUpMinor)).status, 200);
  return user;
}

/** The user's ledger balance and escrow, read through the relay's HTTP API once every ledger write landed. */
async function ledgerOf(kidHex: string): Promise<{ balance: number; escrow: number }> {
  await t.relay.drainLedger();
  const u = (await t.call('GET', `/v1/users/${kidHex}`, { signer: t.operator })).json;
  return { balance: u.balanceMinor, escrow: u.escrowMinor };
}

async function contractsOf(user: { kidHex: string; secretKey: Uint8Array; kid: Uint8Array }): Promise<{ seq: number; status: string; amountMinor?: number }[]> {
  return (await t.call('GET', `/v1/users/${user.kidHex}/contracts`, { signer: user })).json.contracts;
}

const heldRecords = async (pile: TestPile): Promise<number> => (await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.records;

/** An ocpp-rpc client as `pile`; it proves the pile's identity unless `prove` is false (it then never answers the challenge). */
async function connect(pile: TestPile, options: { prove?: boolean; strict?: boolean } = {}) {
  const provenBefore = logged('ocpp-proven', pile.pileIdHex).length;
  const client = new RPCClient({
    endpoint: t.relay.ocppUrl.replace(/\/$/, ''), identity: pile.pileIdHex, protocols: ['ocpp1.6'], strictMode: options.strict ?? true, reconnect: false,
  } as never);
  clients.push(client);
  client.handle('DataTransfer', async ({ params }) => {
    if (options.prove === false) await new Promise<never>(() => undefined);
    const identity = encodeUplinkIdentity({ pileId: pile.pileId, challenge: Buffer.from(String(params!.data), 'hex'), atS: t.clock.nowS });
    return { status: 'Accepted', data: bytesToBase64url(signMessage(identity, pile.key.secretKey, { kid: pile.key.kid, crypto: sodiumEd25519 })) };
  });
  await client.connect();
  if (options.prove !== false) await until(() => logged('ocpp-proven', pile.pileIdHex).length > provenBefore, 'the proof');
  const events: UplinkEvent[] = [];
  t.relay.uplinks.watch(pile.pileIdHex, (event) => events.push(event));
  const call = (action: string, params: Params) => client.call(action, params) as Promise<Params>;
  const callError = (action: string, params: Params) => client.call(action, params).then(() => 'answered', (e: { rpcErrorCode?: string }) => e.rpcErrorCode);
  const deliver = (signed: Uint8Array) => call('DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: bytesToBase64url(signed) });
  return { client, events, call, callError, deliver };
}

/** The ranges of the relay-signed Ack in a BillingRecord answer, its signature checked with the relay's key. */
function ackRanges(conf: Params, pile: TestPile): SeqRange[] {
  assert.is(conf.status, 'Accepted', JSON.stringify(conf));
  const opened = openSigned(base64urlToBytes(conf.data as string), { publicKey: t.relay.relayKey.publicKey, expectType: 'Ack', crypto: sodiumEd25519 });
  if (!opened.ok) throw new Error(`the answer's data is no relay-signed Ack: ${opened.reason}`);
  assert.equal(opened.value.message.pileId, pile.pileId, 'the Ack names the pile');
  return opened.value.message.ranges;
}

const iso = (atS: number) => new Date(atS * 1000).toISOString();

test('a contract and its receipt over the uplink settle as a phone upload does; Start/StopTransaction answer from them, idempotently', async () => {
  // The same session twice: one pile delivers over its uplink, the other's records go by phone.
  const [uplinked, carried] = [await t.newPile(), await t.newPile()];
  const [alice, bob] = [await newUser(5_000), await newUser(5_000)];
  const session = { energyWh: 4_000, durationS: 1_800, endAtS: t.clock.nowS + 1_800 };
  const pile = await connect(uplinked);

  const startAtS = t.clock.nowS;
  const meterStart = uplinked.meterWh;
  const c = uplinked.contract((await t.voucher(alice, uplinked, { mode: 'amount', amountMinor: 1_000 })).json.authorization, startAtS);
  assert.equal(ackRanges(await pile.deliver(c.signed), uplinked), [{ fromSeq: 1, toSeq: 1 }]);
  assert.equal(pile.events, [{ kind: 'record', seq: 1, recordKind: 'contract', status: 'accepted' }]);
  assert.equal(await ledgerOf(alice.kidHex), { balance: 4_000, escrow: 1_000 }, 'the cap escrowed, as for a contract a phone carries');

  const start = { connectorId: 1, idTag: alice.kidHex, meterStart, timestamp: iso(startAtS) };
  const started = await pile.call('StartTransaction', start);
  assert.equal(started, { transactionId: c.seq, idTagInfo: { status: 'Accepted' } });
  assert.equal(await pile.call('StartTransaction', start), started, 'the same answer again (a pile that rebooted sends it again)');

  const r = uplinked.receipt(c.seq, session);
  assert.equal(ackRanges(await pile.deliver(r.signed), uplinked), [{ fromSeq: 1, toSeq: 2 }]);
  const stop = { transactionId: c.seq, meterStop: uplinked.meterWh, timestamp: iso(session.endAtS), reason: 'EVDisconnected' };
  assert.equal(await pile.call('StopTransaction', stop), {});
  assert.equal(await pile.call('StopTransaction', { ...stop, idTag: alice.kidHex }), { idTagInfo: { status: 'Accepted' } }, 'a stop naming an idTag gets its idTagInfo');
  assert.equal(await pile.call('StopTransaction', stop), {});
  assert.equal(logged('ocpp-stop-without-receipt', uplinked.pileIdHex), []);
  assert.equal(logged('ocpp-transaction-unknown', uplinked.pileIdHex), []);
  assert.equal(pile.events.map((e) => e.kind === 'record' && [e.seq, e.recordKind, e.status]), [[1, 'contract', 'accepted'], [2, 'receipt', 'accepted']]);

  const cb = carried.contract((await t.voucher(bob, carried, { mode: 'amount', amountMinor: 1_000 })).json.authorization, startAtS);
  const rb = carried.receipt(cb.seq, session);
  assert.equal((await t.upload(cb.signed, rb.signed)).json.results.map((x: { status: string }) => x.status), ['accepted', 'accepted']);

  assert.equal(await ledgerOf(alice.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
  assert.equal(await ledgerOf(alice.kidHex), await ledgerOf(bob.kidHex), 'the same balances as by phone');
  const strip = ({ seq, status, amountMinor }: { seq: number; status: string; amountMinor?: number }) => ({ seq, status, amountMinor });
  assert.equal((await contractsOf(alice)).map(strip), [{ seq: 1, status: 'settled', amountMinor: r.amountMinor }]);
  assert.equal((await contractsOf(alice)).map(strip), (await contractsOf(bob)).map(strip));
  assert.is((await t.relay.ledger.history()).filter((e) => e.kind === 'settled' && e.contractId === uplinked.contractId(c.seq)).length, 1);
});

test('a replayed record is a duplicate with the same Ack and settles nothing twice, whether it came by uplink or by phone', async () => {
  const pileKeys = await t.newPile();
  const user = await newUser(5_000);
  const pile = await connect(pileKeys);
  const c = pileKeys.contract((await t.voucher(user, pileKeys, { mode: 'amount', amountMinor: 2_000 })).json.authorization, t.clock.nowS);
  const r = pileKeys.receipt(c.seq, { energyWh: 3_000, durationS: 3_600, endAtS: t.clock.nowS + 3_600 });
  assert.equal((await t.upload(c.signed)).json.results[0].status, 'accepted', 'a phone carried the contract first');
  assert.equal(ackRanges(await pile.deliver(c.signed), pileKeys), [{ fromSeq: 1, toSeq: 1 }], 'the uplink copy: a duplicate, acknowledged');
  const first = await pile.deliver(r.signed);
  const again = await pile.deliver(r.signed);
  assert.equal(ackRanges(again, pileKeys), ackRanges(first, pileKeys));
  assert.equal(ackRanges(first, pileKeys), [{ fromSeq: 1, toSeq: 2 }]);
  assert.is((await t.upload(r.signed)).json.results[0].status, 'duplicate', 'a phone carrying it afterwards');
  assert.equal(pile.events.map((e) => e.kind === 'record' && e.status), ['duplicate', 'accepted', 'duplicate']);
  assert.equal(await ledgerOf(user.kidHex), { balance: 5_000 - r.amountMinor, escrow: 0 });
  assert.is((await t.relay.ledger.history()).filter((e) => e.kind === 'settled' && e.contractId === pileKeys.contractId(c.seq)).length, 1, 'settled once');
});

test("one pile cannot deliver another's records, even ones the other really signed: Rejected other-pile, logged, nothing stored", async () => {
  const [a, b] = [await t.newPile(), await t.newPile()];
  const user = await newUser(5_000);
  const onA = await connect(a);
  const eventsOfB: UplinkEvent[] = [];
  t.relay.uplinks.watch(b.pileIdHex, (event) => eventsOfB.push(event));
  const cb = b.contract((await t.voucher(user, b, { mode: 'amount', amountMinor: 1_000 })).json.authorization, t.clock.nowS);
  assert.equal(await onA.deliver(cb.signed), { status: 'Rejected', data: 'other-pile' });
  assert.equal(logged('ocpp-billing-record', a.pileIdHex).map((l) => [l.status, l.error, l.recordPileId, l.seq]), [['rejected', 'other-pile', b.pileIdHex, 1]]);
  assert.is(await heldRecords(b), 0, 'not stored');
  assert.equal(await ledgerOf(user.kidHex), { balance: 5_000, escrow: 0 });
  assert.equal([onA.events, eventsOfB], [[], []], 'no record event for either pile');
  const onB = await connect(b);
  assert.equal(ackRanges(await onB.deliver(cb.signed), b), [{ fromSeq: 1, toSeq: 1 }], "on B's own connection it is accepted");
});

test('forged, tampered or malformed records, other vendors and messages: refused with their code, nothing stored, no money moved', async () => {
  const pileKeys = await t.newPile();
  const user = await newUser(5_000);
  const pile = await connect(pileKeys);
  const v = await t.voucher(user, pileKeys, { mode: 'amount', amountMinor: 1_000 });
  const impostor = new TestPile(pileKeys.tariff, pileKeys.maxPowerW, t.relay.relayKey.publicKey);
  Object.defineProperty(impostor, 'pileId', { value: pileKeys.pileId }); // names the pile, signs with another key
  const forged = impostor.contract(v.json.authorization, t.clock.nowS);
  const genuine = pileKeys.contract(v.json.authorization, t.clock.nowS);
  const tampered = genuine.signed.slice();
  tampered[tampered.length - 1] ^= 0x01; // a bit of the signature
  const identity = signMessage(encodeUplinkIdentity({ pileId: pileKeys.pileId, challenge: new Uint8Array(16), atS: t.clock.nowS }), pileKeys.key.secretKey, { kid: pileKeys.key.kid, crypto: sodiumEd25519 });
  const cases: [string, Params, Params][] = [
    ['forged pile signature', { data: bytesToBase64url(forged.signed) }, { status: 'Rejected', data: 'bad-signature' }],
    ['tampered bytes', { data: bytesToBase64url(tampered) }, { status: 'Rejected', data: 'bad-signature' }],
    ['no data', {}, { status: 'Rejected', data: 'invalid-record' }],
    ['data not base64url', { data: '**' }, { status: 'Rejected', data: 'invalid-record' }],
    ['data impossible base64url length', { data: 'AAAAA' }, { status: 'Rejected', data: 'invalid-record' }],
    ['data not a signed record', { data: 'AAAA' }, { status: 'Rejected', data: 'invalid-record' }],
    ['a pile-signed message that is no billing record', { data: bytesToBase64url(identity) }, { status: 'Rejected', data: 'unexpected-type' }],
  ];
  for (const [name, data, answer] of cases) {
    assert.equal(await pile.call('DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', ...data }), answer, name);
  }
  const record = { data: bytesToBase64url(genuine.signed) };
  assert.equal(await pile.call('DataTransfer', { vendorId: 'com.example', messageId: 'BillingRecord', ...record }), { status: 'UnknownVendorId' });
  assert.equal(await pile.call('DataTransfer', { vendorId: 'com.tapcharge', messageId: 'Contract', ...record }), { status: 'UnknownMessageId' });
  assert.equal(await pile.call('DataTransfer', { vendorId: 'com.tapcharge', ...record }), { status: 'UnknownMessageId' });
  assert.is(await heldRecords(pileKeys), 0);
  assert.equal(await ledgerOf(user.kidHex), { balance: 5_000, escrow: 0 });
  assert.equal(pile.events.map((e) => e.kind === 'record' && [e.seq, e.status]), [[1, 'rejected'], [1, 'rejected']], 'the readable ones, refused');
  assert.equal(logged('ocpp-billing-record', pileKeys.pileIdHex).map((l) => l.error), ['bad-signature', 'bad-signature', 'invalid-record', 'invalid-record', 'invalid-record', 'invalid-record', 'unexpected-type']);
  assert.equal(ackRanges(await pile.deliver(genuine.signed), pileKeys), [{ fromSeq: 1, toSeq: 1 }], 'the genuine record still goes through');
});

test('StartTransaction for no contract the relay holds for this pile: transactionId 0, Invalid, a warning, nothing changed; StopTransaction without receipt warns', async () => {
  const [mine, other] = [await t.newPile(), await t.newPile()];
  const user = await newUser(5_000);
  const pile = await connect(mine);
  const startAtS = t.clock.nowS;
  const meterStart = mine.meterWh;
  const c = mine.contract((await t.voucher(user, mine, { mode: 'amount', amountMinor: 1_000 })).json.authorization, startAtS);
  // Pile B's contract: the same user, start, meter and sequence as this pile's, held first.
  const co = other.contract((await t.voucher(user, other, { mode: 'amount', amountMinor: 1_000 })).json.authorization, startAtS);
  assert.is((await t.upload(co.signed)).json.results[0].status, 'accepted');
  const start = { connectorId: 1, idTag: user.kidHex, meterStart, timestamp: iso(startAtS) };
  assert.equal(await pile.call('StartTransaction', start), { transactionId: 0, idTagInfo: { status: 'Invalid' } }, "before its record arrived: pile B's contract is not this pile's");
  assert.equal(ackRanges(await pile.deliver(c.signed), mine), [{ fromSeq: 1, toSeq: 1 }]);
  const cases: [string, Params][] = [
    ['another meterStart', { ...start, meterStart: meterStart + 1 }],
    ['another user', { ...start, idTag: 'ab'.repeat(8) }],
    ['another second', { ...start, timestamp: iso(startAtS + 1) }],
    ['a fraction of a second later', { ...start, timestamp: new Date(startAtS * 1000 + 500).toISOString() }],
    ['the idTag in upper case', { ...start, idTag: user.kidHex.toUpperCase() }],
    ['an idTag that is no user kid', { ...start, idTag: 'driver-1' }],
  ];
  const balances = await ledgerOf(user.kidHex);
  for (const [name, params] of cases) {
    assert.equal(await pile.call('StartTransaction', params), { transactionId: 0, idTagInfo: { status: 'Invalid' } }, name);
  }
  assert.is(logged('ocpp-transaction-unknown', mine.pileIdHex).length, cases.length + 1);
  assert.equal(await pile.call('StartTransaction', start), { transactionId: c.seq, idTagInfo: { status: 'Accepted' } }, 'the genuine one still');
  const onOther = await connect(other);
  assert.equal(await onOther.call('StartTransaction', start), { transactionId: co.seq, idTagInfo: { status: 'Accepted' } }, "pile B's on B's connection");
  assert.equal(await pile.call('StopTransaction', { transactionId: c.seq, meterStop: meterStart + 10, timestamp: iso(startAtS + 60) }), {});
  assert.equal(await pile.call('StopTransaction', { transactionId: 0, meterStop: meterStart, timestamp: iso(startAtS) }), {});
  assert.equal(logged('ocpp-stop-without-receipt', mine.pileIdHex).map((l) => l.transactionId), [c.seq, 0]);
  assert.equal(await ledgerOf(user.kidHex), balances, 'no money moved');
  assert.is(await heldRecords(mine), 1);
  assert.equal((await contractsOf(user)).map((x) => x.status), ['provisional', 'provisional']);
});

test('MeterValues and StatusNotification are published to the pile\'s watchers: energy in Wh, power in W, other values ignored', async () => {
  const pileKeys = await t.newPile();
  const pile = await connect(pileKeys);
  const atS = t.clock.nowS;
  const sampled = (...values: Params[]) => ({ timestamp: iso(atS), sampledValue: values });
  const answer = await pile.call('MeterValues', {
    connectorId: 1,
    transactionId: 3,
    meterValue: [
      sampled({ value: '1234', measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' }, { value: '7200', measurand: 'Power.Active.Import', unit: 'W' }),
      sampled({ value: '1.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' }, { value: '7.4', measurand: 'Power.Active.Import', unit: 'kW' }),
      sampled({ value: '2000' }), // the default measurand and unit: the energy register in Wh
      sampled({ value: '16', measurand: 'Current.Import', unit: 'A' }, { value: '230', measurand: 'Voltage', unit: 'V' }),
      sampled({ value: '500', measurand: 'Power.Active.Import', unit: 'A' }, { value: 'many', measurand: 'Energy.Active.Import.Register' }),
      sampled({ value: '900', measurand: 'Energy.Active.Import.Register', phase: 'L1' }, { value: 'c2lnbmVk', measurand: 'Energy.Active.Import.Register', format: 'SignedData' }),
    ],
  });
  assert.equal(answer, {});
  await pile.call('MeterValues', { connectorId: 1, meterValue: [sampled({ value: '3000', unit: 'Wh' })] });
  assert.equal(pile.events, [
    { kind: 'meter', connectorId: 1, transactionId: 3, energyWh: 1234, powerW: 7200, atS },
    { kind: 'meter', connectorId: 1, transactionId: 3, energyWh: 1500, powerW: 7400, atS },
    { kind: 'meter', connectorId: 1, transactionId: 3, energyWh: 2000, powerW: undefined, atS },
    { kind: 'meter', connectorId: 1, transactionId: undefined, energyWh: 3000, powerW: undefined, atS },
  ]);
  pile.events.length = 0;
  assert.equal(await pile.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: iso(atS) }), {});
  assert.equal(pile.events, [{ kind: 'status', connector: { connectorId: 1, status: 'Charging', errorCode: 'NoError', timestamp: iso(atS), reportedAtS: t.clock.nowS } }]);
});

test('before the proof every billing and transaction CALL is SecurityError and nothing is stored or published', async () => {
  const pileKeys = await t.newPile();
  const user = await newUser(5_000);
  const c = pileKeys.contract((await t.voucher(user, pileKeys, { mode: 'amount', amountMinor: 1_000 })).json.authorization, t.clock.nowS);
  const unproven = await connect(pileKeys, { prove: false });
  const calls: [string, Params][] = [
    ['DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: bytesToBase64url(c.signed) }],
    ['DataTransfer', { vendorId: 'com.example' }],
    ['StartTransaction', { connectorId: 1, idTag: user.kidHex, meterStart: 0, timestamp: iso(t.clock.nowS) }],
    ['StopTransaction', { transactionId: 1, meterStop: 10, timestamp: iso(t.clock.nowS) }],
    ['MeterValues', { connectorId: 1, meterValue: [{ timestamp: iso(t.clock.nowS), sampledValue: [{ value: '10' }] }] }],
    ['StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }],
    ['Authorize', { idTag: user.kidHex }],
  ];
  for (const [action, params] of calls) assert.is(await unproven.callError(action, params), 'SecurityError', action);
  assert.is(await heldRecords(pileKeys), 0);
  assert.equal(await ledgerOf(user.kidHex), { balance: 5_000, escrow: 0 });
  assert.equal(unproven.events, []);
  assert.equal(logged('ocpp-billing-record', pileKeys.pileIdHex), []);
});

test('wrong types get the CALLERROR of the OCPP schemas, an action OCPP 1.6 lacks NotImplemented, a known one not handled NotSupported', async () => {
  const pileKeys = await t.newPile();
  const loose = await connect(pileKeys, { strict: false }); // sends what a strict client would refuse to
  const cases: [string, Params, string][] = [
    ['DataTransfer', { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: 5 }, 'TypeConstraintViolation'],
    ['DataTransfer', { messageId: 'BillingRecord', data: 'AAAA' }, 'OccurrenceConstraintViolation'],
    ['StartTransaction', { connectorId: '1', idTag: 'ab'.repeat(8), meterStart: 0, timestamp: iso(t.clock.nowS) }, 'TypeConstraintViolation'],
    ['StartTransaction', { connectorId: 1, idTag: 'ab'.repeat(11), meterStart: 0, timestamp: iso(t.clock.nowS) }, 'FormationViolation'],
    ['StopTransaction', { transactionId: 1, meterStop: 10 }, 'OccurrenceConstraintViolation'],
    ['MeterValues', { connectorId: 1, meterValue: [{ timestamp: iso(t.clock.nowS), sampledValue: [{ value: '1', unit: 'J' }] }] }, 'FormationViolation'],
    ['RemoteStartTransaction', { idTag: 'ab'.repeat(8) }, 'NotImplemented'],
    ['FooBar', {}, 'NotImplemented'],
    ['Authorize', { idTag: 'ab'.repeat(8) }, 'NotSupported'],
    ['FirmwareStatusNotification', { status: 'Idle' }, 'NotSupported'],
  ];
  for (const [action, params, code] of cases) assert.is(await loose.callError(action, params), code, `${action} ${JSON.stringify(params)}`);
  assert.equal(loose.events, []);
  assert.is(await heldRecords(pileKeys), 0);
});

test.run();

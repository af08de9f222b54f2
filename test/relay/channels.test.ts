// The virtual channel (R9) end to end: the real relay, a SIMULATED networked pile running the real
// firmware with its uplink over a real WebSocket to the relay's OCPP endpoint (tools/system-day/
// sim-system.ts), and the phone SDK's networked flow (tools/phone/channel-session.ts). One case
// per R9 step — open (the pile greets the user, PileInfo verified), start (contract, escrow
// reserved), live status, user stop (receipt, balance settled) — the pile's config brought up to
// the relay's through the channel (at open, and before a START) — and the refusals: pile offline,
// another user's channel, unsigned / forged / malformed requests, a pile that refuses the START.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import { contractIdHex } from '../../contracts-offline/contract-id.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import { encodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { readSigned } from '../../contracts-offline/signed.ts';
import type { ChannelSession } from '../../tools/phone/channel-session.ts';
import { PileRefusedError } from '../../tools/phone/errors.ts';
import type { Phone } from '../../tools/phone/phone.ts';
import type { ChannelEvent } from '../../tools/relay-api/routes.ts';
import { HEADER_KID, signRequest } from '../../tools/relay-api/request-signing.ts';
import { type SimPile, SimSystem } from '../../tools/system-day/sim-system.ts';
import { until } from '../support/until.ts';

type Rig = { rig: SimSystem; pile: SimPile; offline: SimPile; ada: Phone; bob: Phone; session?: ChannelSession; events: ChannelEvent[]; watching?: Promise<void> };
const channels = suite<Rig>('relay: the virtual channel (R9)', { events: [] } as unknown as Rig);

const tariff = { energyMinorPerKwh: 40, timeMinorPerHour: 0, sessionFeeMinor: 20 };

channels.before(async (context) => {
  context.rig = new SimSystem();
  await context.rig.start();
  context.pile = await context.rig.addPile('Bay 7', tariff, 7400, { networked: true });
  context.offline = await context.rig.addPile('Bay 8', tariff);
  context.ada = await context.rig.addPhone('Ada', 5000);
  context.bob = await context.rig.addPhone('Bob', 5000);
});

channels.after(async ({ rig }) => {
  await rig.close();
});

type Reply = { status: number; json: { error?: string; message?: string } & Record<string, unknown> };

/** A request as any client may send it: signed by `signer` (as `kid` when given: a forgery), or not signed. */
async function send(rig: SimSystem, method: 'GET' | 'POST', path: string, options: { signer?: KeyPair; kid?: string; body?: Record<string, unknown>; rawBody?: string } = {}): Promise<Reply> {
  let sentPath = path;
  let headers: Record<string, string> = {};
  let body: Uint8Array | string | undefined = options.rawBody;
  if (options.signer) {
    const signed = signRequest({ signer: options.signer, method, path, fields: options.body ?? {}, nowMs: rig.clock.nowMs() });
    ({ path: sentPath, headers } = signed);
    body ??= signed.body;
    if (options.kid) headers = { ...headers, [HEADER_KID]: options.kid };
  } else if (method === 'POST') {
    body ??= JSON.stringify(options.body ?? {});
  }
  const response = await fetch(rig.relay.url + sentPath, { method, headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body }) });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? JSON.parse(text) : { text } };
}

const helloOf = (phone: Phone, userKid = phone.keyPair.kid) => bytesToBase64url(encodeUserHello({ userKid, displayName: phone.displayName, phoneNonce: new Uint8Array(16).fill(7) }));

channels('the networked pile is connected and proven; the offline one is not', async ({ rig, pile, offline }) => {
  const { uplinks } = await rig.operatorClient.operatorUplinks(rig.relay.operatorKey);
  assert.equal(uplinks.map((u) => u.pileId), [pile.pileIdHex]);
  assert.not.ok(uplinks.some((u) => u.pileId === offline.pileIdHex));
});

channels('open: the pile greets the user on its display; the phone verifies PileInfo with the pile\'s key', async (context) => {
  const { rig, pile, ada } = context;
  const session = await ada.openChannel(pile.pileId);
  context.session = session;
  pile.sim.clock.advance(0);
  assert.match(session.channelId, /^[0-9a-f]{32}$/);
  assert.equal([session.screen.label, session.screen.verified, session.screen.state, session.screen.tariff.energyMinorPerKwh], ['Bay 7', true, 'available', 40]);
  assert.equal(session.screen.modes, ['amount', 'time', 'energy', 'full']);
  const shown = pile.sim.display.lines.join('\n');
  assert.match(shown, 'Welcome, Ada');
  assert.match(shown, 'Choose a mode on your\nphone to start charging', 'no second tap is asked for');
  assert.not.match(shown, 'tap again');
  assert.is(ada.state.piles[pile.pileIdHex]?.label, 'Bay 7');
  void rig;
});

channels('refused at open: unknown pile 404, pile not connected 409 pile-offline, malformed hello 400, no funds 402', async ({ rig, offline, ada }) => {
  const open = (body: Record<string, unknown>, signer: KeyPair = ada.keyPair) => send(rig, 'POST', '/v1/channels', { signer, body });
  const unknown = await open({ pileId: '50a1e0000000dead', hello: helloOf(ada) });
  assert.equal([unknown.status, unknown.json.error], [404, 'unknown-pile']);
  const offlinePile = await open({ pileId: offline.pileIdHex, hello: helloOf(ada) });
  assert.equal([offlinePile.status, offlinePile.json.error], [409, 'pile-offline']);
  assert.match(offlinePile.json.message!, 'not connected to this relay over OCPP');
  for (const [hello, why] of [['not base64url!', 'expected'], [bytesToBase64url(new Uint8Array([1, 2, 3])), 'is not a UserHello'], [helloOf(ada, new Uint8Array(8).fill(9)), 'names another user']] as const) {
    const bad = await open({ pileId: rig.piles[0]!.pileIdHex, hello });
    assert.equal([bad.status, bad.json.error], [400, 'invalid-field'], hello);
    assert.match(bad.json.message!, why);
  }
  const extra = await open({ pileId: rig.piles[0]!.pileIdHex, hello: helloOf(ada), more: 1 });
  assert.equal([extra.status, extra.json.error], [400, 'invalid-field']);
  const broke = await rig.addPhone('Cy', 0);
  const noFunds = await open({ pileId: rig.piles[0]!.pileIdHex, hello: helloOf(broke) }, broke.keyPair);
  assert.equal([noFunds.status, noFunds.json.error], [402, 'insufficient-funds']);
  await rig.operatorClient.issue(rig.relay.operatorKey, broke.keyPair.kid, 5000);
  await rig.relay.drainLedger();
  const full = await send(rig, 'POST', '/v1/vouchers', { signer: broke.keyPair, body: { pileId: offline.pileIdHex, pileNonce: '11'.repeat(16), limit: { mode: 'full' } } });
  assert.is(full.status, 201);
  const fullOutstanding = await open({ pileId: rig.piles[0]!.pileIdHex, hello: helloOf(broke) }, broke.keyPair);
  assert.equal([fullOutstanding.status, fullOutstanding.json.error], [409, 'open-contract-outstanding']);
});

channels('unsigned and forged requests: 401, nothing opened', async ({ rig, pile, ada, bob }) => {
  const body = { pileId: pile.pileIdHex, hello: helloOf(ada) };
  const unsigned = await send(rig, 'POST', '/v1/channels', { body: { ...body, nonce: '00'.repeat(16), atS: Math.floor(rig.clock.nowMs() / 1000) } });
  assert.equal([unsigned.status, unsigned.json.error], [401, 'unknown-signer']);
  const forged = await send(rig, 'POST', '/v1/channels', { signer: bob.keyPair, kid: ada.kid, body });
  assert.equal([forged.status, forged.json.error], [401, 'bad-signature']);
  const stranger = generateKeyPair();
  const unknownSigner = await send(rig, 'POST', '/v1/channels', { signer: stranger, body: { ...body, hello: bytesToBase64url(encodeUserHello({ userKid: stranger.kid, displayName: 'X', phoneNonce: new Uint8Array(16) })) } });
  assert.equal([unknownSigner.status, unknownSigner.json.error], [401, 'unknown-signer']);
});

channels('a pile that refuses the START (no vehicle): 409 pile-refused naming 6985; the phone says "No vehicle"', async ({ rig, session, ada }) => {
  const refused = await send(rig, 'POST', `/v1/channels/${session!.channelId}/start`, { signer: ada.keyPair, body: { limit: { mode: 'amount', amountMinor: 300 } } });
  assert.equal([refused.status, refused.json.error], [409, 'pile-refused']);
  assert.match(refused.json.message!, /status word 6985 \(the pile's state does not allow it/);
  try {
    await session!.start({ mode: 'amount', amountMinor: 300 });
    assert.unreachable('started without a vehicle');
  } catch (error) {
    assert.instance(error, PileRefusedError);
    assert.equal([(error as PileRefusedError).sw, (error as PileRefusedError).startRefusal], [0x6985, 'no-vehicle']);
  }
  assert.is(ada.activeContract, null);
});

channels('stop with no contract started: 409 no-running-contract', async ({ rig, session, ada }) => {
  const stop = await send(rig, 'POST', `/v1/channels/${session!.channelId}/stop`, { signer: ada.keyPair, body: {} });
  assert.equal([stop.status, stop.json.error], [409, 'no-running-contract']);
});

channels('start: the voucher goes to the pile, its Contract is kept in the wallet and ingested (escrow reserved)', async ({ rig, pile, session, ada }) => {
  rig.plug(pile);
  await rig.settleUplinks();
  const before = await ada.account();
  const contract = await session!.start({ mode: 'amount', amountMinor: 300 });
  assert.equal([contract.pileId, contract.limit], [pile.pileIdHex, { mode: 'amount', amountMinor: 300 }]);
  assert.equal(ada.activeContract, contract);
  assert.ok(ada.pendingRecords.some((r) => r.kind === 'contract' && r.seq === contract.seq), 'the contract is held in the wallet');
  assert.is(pile.handle.services!.state(), 'charging');
  await rig.relay.drainLedger();
  const after = await ada.account();
  assert.ok(after.account.openContracts.includes(contractIdHex(pile.pileId, contract.seq)));
  assert.is(after.account.escrowMinor - before.account.escrowMinor, contract.capMinor);
  assert.is(before.account.balanceMinor - after.account.balanceMinor, contract.capMinor);
});

channels('another user\'s channel: 403 for start, stop and events', async ({ rig, session, bob }) => {
  const id = session!.channelId;
  const start = await send(rig, 'POST', `/v1/channels/${id}/start`, { signer: bob.keyPair, body: { limit: { mode: 'full' } } });
  const stop = await send(rig, 'POST', `/v1/channels/${id}/stop`, { signer: bob.keyPair, body: {} });
  const events = await send(rig, 'GET', `/v1/channels/${id}/events`, { signer: bob.keyPair });
  assert.equal([start.status, stop.status, events.status], [403, 403, 403]);
  assert.equal([start.json.error, stop.json.error, events.json.error], ['not-channel-user', 'not-channel-user', 'not-channel-user']);
  const unknown = await send(rig, 'POST', `/v1/channels/${'ab'.repeat(16)}/stop`, { signer: bob.keyPair, body: {} });
  assert.equal([unknown.status, unknown.json.error], [404, 'unknown-channel']);
  const malformed = await send(rig, 'POST', `/v1/channels/${id}/start`, { signer: bob.keyPair, body: { limit: { mode: 'amount' } } });
  assert.equal([malformed.status, malformed.json.error], [400, 'invalid-field']);
  const badId = await send(rig, 'POST', '/v1/channels/not-an-id/stop', { signer: bob.keyPair, body: {} });
  assert.equal([badId.status, badId.json.error], [400, 'invalid-field']);
});

channels('start, stop and events unsigned or signed as the channel\'s user with another key: 401, nothing done', async ({ rig, session, ada, bob }) => {
  const id = session!.channelId;
  const unsignedStop = await send(rig, 'POST', `/v1/channels/${id}/stop`, { body: { nonce: '00'.repeat(16), atS: Math.floor(rig.clock.nowMs() / 1000) } });
  const forgedStop = await send(rig, 'POST', `/v1/channels/${id}/stop`, { signer: bob.keyPair, kid: ada.kid, body: {} });
  const forgedStart = await send(rig, 'POST', `/v1/channels/${id}/start`, { signer: bob.keyPair, kid: ada.kid, body: { limit: { mode: 'full' } } });
  const forgedEvents = await send(rig, 'GET', `/v1/channels/${id}/events`, { signer: bob.keyPair, kid: ada.kid });
  const unsignedEvents = await send(rig, 'GET', `/v1/channels/${id}/events`);
  assert.equal([unsignedStop, forgedStop, forgedStart, forgedEvents, unsignedEvents].map((r) => `${r.status} ${r.json.error}`),
    ['401 unknown-signer', '401 bad-signature', '401 bad-signature', '401 bad-signature', '401 unknown-signer']);
  assert.is(ada.activeContract!.seq > 0, true, 'the contract still runs');
});

channels('a second start while the contract runs: 409 channel-busy', async ({ rig, session, ada }) => {
  const again = await send(rig, 'POST', `/v1/channels/${session!.channelId}/start`, { signer: ada.keyPair, body: { limit: { mode: 'amount', amountMinor: 300 } } });
  assert.equal([again.status, again.json.error], [409, 'channel-busy']);
});

channels('live status: meter events of the running contract arrive, priced with its tariff', async (context) => {
  const { rig, session } = context;
  context.watching = (async () => {
    for await (const event of session!.watch()) context.events.push(event);
  })();
  // the pile samples each MeterValueSampleInterval: 60 s until the relay sets it
  await rig.advanceSettled(65_000);
  await until(() => context.events.some((e) => e.event === 'meter'), `a meter event (got ${context.events.map((e) => e.event).join(', ')})`);
  const meters = context.events.filter((e): e is Extract<ChannelEvent, { event: 'meter' }> => e.event === 'meter');
  const last = meters[meters.length - 1]!.data;
  assert.ok(last.energyWh > 0, 'energy flowed');
  assert.is(last.costMinor, Math.min(20 + Math.round((last.energyWh * 40) / 1000), 300));
  assert.ok(last.powerW! > 0, 'power reported');
});

channels('user stop: the relay-signed stop reaches the pile; its Receipt settles at once, the stream ends with `ended`', async (context) => {
  const { rig, pile, session, ada } = context;
  const before = await ada.account();
  const receipt = await session!.stop();
  assert.is(receipt.message.endReason, 'user');
  assert.is(ada.activeContract, null);
  assert.ok(pile.handle.services!.state() !== 'charging');
  await until(() => context.events.some((e) => e.event === 'ended'), 'the ended event');
  await context.watching;
  const ended = context.events.find((e): e is Extract<ChannelEvent, { event: 'ended' }> => e.event === 'ended')!.data;
  assert.equal([ended.status, ended.endReason, ended.amountMinor, ended.receipt], ['settled', 'user', receipt.message.amountMinor, receipt.text]);
  await rig.relay.drainLedger();
  const after = await ada.account();
  assert.is(after.account.escrowMinor, 0);
  assert.is(after.account.balanceMinor, before.account.balanceMinor + before.account.escrowMinor - receipt.message.amountMinor);
  const again = await send(rig, 'POST', `/v1/channels/${session!.channelId}/stop`, { signer: ada.keyPair, body: {} });
  assert.equal([again.status, again.json.receipt], [200, receipt.text]);
  const read = readSigned(base64urlToBytes(again.json.receipt as string), 'Receipt');
  assert.ok(read.ok && bytesToHex(read.value.message.pileId) === pile.pileIdHex);
  const sync = await ada.sync();
  assert.is(ada.pendingRecords.length, 0, `sync left records: ${JSON.stringify(sync)}`);
});

/** Bob's channel to the pile, its events collected until it ends (or `abort`). */
async function watchedChannel(rig: SimSystem, phone: Phone, pile: SimPile) {
  const session = await phone.openChannel(pile.pileId);
  const events: ChannelEvent[] = [];
  const abort = new AbortController();
  const done = (async () => {
    for await (const event of session.watch({ signal: abort.signal })) events.push(event);
  })();
  await rig.settleUplinks();
  return { session, events, done, abort };
}

const endedOf = (events: ChannelEvent[]) => events.find((e): e is Extract<ChannelEvent, { event: 'ended' }> => e.event === 'ended')?.data;

channels('normal end from the pile: its Receipt comes over the uplink, settles at once, and ends the stream', async ({ rig, pile, bob }) => {
  const { session, events, done } = await watchedChannel(rig, bob, pile);
  const contract = await session.start({ mode: 'amount', amountMinor: 50 });
  const before = await bob.account();
  // 50 minor = 20 fee + 750 Wh at 40/kWh: about 6 minutes at 7.4 kW
  for (let minutes = 0; minutes < 15 && !endedOf(events); minutes++) await rig.advanceSettled(60_000);
  await until(() => endedOf(events) !== undefined, `the ended event (got ${events.map((e) => e.event).join(', ')})`);
  await done;
  const ended = endedOf(events)!;
  assert.equal([ended.contractSeq, ended.endReason, ended.status], [contract.seq, 'normal', 'settled']);
  assert.ok(ended.amountMinor! > 0 && ended.amountMinor! <= 50);
  assert.is(bob.activeContract, null, 'the receipt closed the wallet\'s active contract');
  await rig.relay.drainLedger();
  const after = await bob.account();
  assert.is(after.account.escrowMinor, 0);
  assert.is(after.account.balanceMinor, before.account.balanceMinor + before.account.escrowMinor - ended.amountMinor!);
});

channels('abnormal end from the pile (plug pulled): its Receipt settles at once; the stream says so', async ({ rig, pile, bob }) => {
  const { session, events, done } = await watchedChannel(rig, bob, pile);
  await session.start({ mode: 'amount', amountMinor: 300 });
  await rig.advanceSettled(10_000);
  pile.sim.circuit.unplug();
  await rig.advanceSettled(3000);
  await until(() => endedOf(events) !== undefined, `the ended event (got ${events.map((e) => e.event).join(', ')})`);
  await done;
  assert.equal([endedOf(events)!.endReason, endedOf(events)!.status], ['abnormal', 'settled']);
  assert.is(bob.activeContract, null);
});

channels('live status: connector states as the pile reports them; the uplink dropping is told, not the end', async ({ rig, pile, ada, bob }) => {
  const { events, done, abort } = await watchedChannel(rig, bob, pile);
  rig.plug(pile);
  await rig.advanceSettled(2000);
  await until(() => events.some((e) => e.event === 'status' && e.data.connectorId === 1 && e.data.status === 'Preparing'), `connector 1 Preparing (got ${JSON.stringify(events)})`);
  pile.uplink!.outage.cut();
  await until(() => events.some((e) => e.event === 'uplink-lost'), 'uplink-lost');
  const offline = await send(rig, 'POST', '/v1/channels', { signer: ada.keyPair, body: { pileId: pile.pileIdHex, hello: helloOf(ada) } });
  assert.equal([offline.status, offline.json.error], [409, 'pile-offline']);
  pile.uplink!.outage.restore();
  abort.abort();
  await done;
  assert.is(endedOf(events), undefined);
});

channels('a stream opened after the pile reported its connectors starts from their states', async ({ rig, pile, bob }) => {
  await rig.advanceSettled(3000); // the uplink reconnects after the cut
  pile.sim.circuit.unplug();
  await rig.advanceSettled(2000);
  rig.plug(pile);
  await rig.advanceSettled(2000);
  const { events, done, abort } = await watchedChannel(rig, bob, pile);
  await until(() => events.length >= 2, `the connectors' states (got ${JSON.stringify(events)})`);
  assert.equal(events.map((e) => e.event === 'status' && [e.data.connectorId, e.data.status]), [[0, 'Available'], [1, 'Preparing']],
    'nothing changed since: only the stream\'s opening can have told them, the pile first, then its connector');
  abort.abort();
  await done;
});

channels('a tariff changed after the channel opened: the relay writes its PileUpdate through the channel before the START, which runs on the new tariff', async ({ rig, pile }) => {
  await rig.advanceSettled(3000); // the uplink reconnects after the cut
  const { uplinks } = await rig.operatorClient.operatorUplinks(rig.relay.operatorKey);
  assert.ok(uplinks.some((u) => u.pileId === pile.pileIdHex), 'reconnected');
  const dee = await rig.addPhone('Dee', 5000);
  const session = await dee.openChannel(pile.pileId);
  const before = pile.handle.services!.config();
  const { configVersion } = await rig.operatorClient.configurePile(rig.relay.operatorKey, pile.pileId, { tariff: { ...tariff, energyMinorPerKwh: 45 } });
  assert.is(configVersion, before.configVersion + 1);
  const contract = await session.start({ mode: 'amount', amountMinor: 300 });
  const read = readSigned(base64urlToBytes(contract.contract), 'Contract');
  assert.ok(read.ok);
  assert.equal([read.value.message.tariff.version, read.value.message.tariff.energyMinorPerKwh], [before.tariff.version + 1, 45], 'the contract carries the new tariff');
  assert.is(pile.handle.services!.config().configVersion, configVersion, 'the pile holds the relay\'s config');
  await rig.relay.drainLedger();
  const { account } = await dee.account();
  assert.equal([account.reservedMinor, account.escrowMinor], [0, contract.capMinor]);
  await session.stop();
});

channels('a config changed while no channel was open: opening one writes the PileUpdate before the greeting; PileInfo is of the new config', async ({ rig, pile }) => {
  const { configVersion } = await rig.operatorClient.configurePile(rig.relay.operatorKey, pile.pileId, { label: 'Bay 7 (east)', tariff: { ...tariff, energyMinorPerKwh: 50 } });
  const eve = await rig.addPhone('Eve', 5000);
  const session = await eve.openChannel(pile.pileId);
  assert.equal([session.screen.configVersion, session.screen.label, session.screen.tariff.energyMinorPerKwh], [configVersion, 'Bay 7 (east)', 50]);
  assert.is(pile.handle.services!.config().configVersion, configVersion);
});

channels.run();

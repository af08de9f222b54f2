// The virtual channel's failure paths (tools/relay/channels, README "Virtual channel"): a real
// relay (SQLite in a temp folder, its OCPP DataTransfer timeout `ocpp.transferTimeoutMs` set short)
// and, as the pile, a TEST DOUBLE over a real proven connection — an ocpp-rpc client in strict mode
// that proves the registered pile's identity with its key (as firmware/ocpp/identity.ts does) and
// then answers the channel's DataTransfers as each case scripts it: never (504 pile-unreachable),
// or with what the command does not return (502 bad-pile-answer); a pile behind the relay's config
// is sent ChannelUpdate first (each answer it may give). After each refusal nothing is
// charged: no escrow, no contract held, the balance untouched; a voucher the relay issued before
// the pile failed keeps the voucher rules (still reserved, freed by the user's cancel), since a
// START whose answer was lost may have started a contract that arrives with the pile's records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RPCClient } from 'ocpp-rpc';
import { base64urlToBytes, bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { encodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodePileInfo } from '../../contracts-offline/messages/pile-info.ts';
import { encodeUplinkIdentity, IDENTITY_CHALLENGE_MESSAGE_ID } from '../../contracts-offline/messages/uplink-identity.ts';
import { decodeUserHello, encodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { openSigned, readSigned, signMessage } from '../../contracts-offline/signed.ts';
import { CHANNEL_MESSAGE_IDS } from '../../contracts-offline/uplink-channel.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { TestPile, type TestRelay, assertBooksMatchLedger, startTestRelay } from '../support/relay-harness.ts';
import { until } from '../support/until.ts';

/** A DataTransfer.conf the double answers. */
type PileConf = { status: 'Accepted' | 'Rejected' | 'UnknownMessageId'; data?: string };
/** What the double does: answer, or `hang` (never answer). */
type PileReply = PileConf | 'hang';
type Script = (messageId: string, data: Uint8Array | undefined) => PileReply;

const TRANSFER_TIMEOUT_MS = 300;
const TOP_UP_MINOR = 5_000;
const amount300: ChargeLimit = { mode: 'amount', amountMinor: 300 };

let t: TestRelay;
const users = new Set<string>();
const clients: RPCClient[] = [];

test.before(async () => {
  t = await startTestRelay({ ocpp: { transferTimeoutMs: TRANSFER_TIMEOUT_MS } });
});

test.after(async () => {
  for (const client of clients) await client.close({ force: true });
  await assertBooksMatchLedger(t, users);
  await t.close();
});

const sign = (pile: TestPile, message: Uint8Array) => signMessage(message, pile.key.secretKey, { kid: pile.key.kid, crypto: sodiumEd25519 });
const accepted = (bytes: Uint8Array): PileConf => ({ status: 'Accepted', data: bytesToBase64url(bytes) });

/** The registered pile's PileHello and PileInfo, as the firmware answers ChannelSelect and ChannelHello. */
function answersLikeThePile(pile: TestPile, messageId: string, data: Uint8Array | undefined): PileReply | undefined {
  if (messageId === CHANNEL_MESSAGE_IDS.select) {
    return accepted(encodePileHello({ pileId: pile.pileId, firmwareVersion: 'double', configVersion: 1, state: 'preparing', outboxCount: 0, pileNonce: pile.nonce() }));
  }
  if (messageId === CHANNEL_MESSAGE_IDS.hello) {
    const user = decodeUserHello(data!);
    if (!user.ok) return { status: 'Rejected', data: '6A80' };
    return accepted(sign(pile, encodePileInfo({ pileId: pile.pileId, phoneNonce: user.value.phoneNonce, state: 'preparing', configVersion: 1, tariff: pile.tariff, label: 'Bay 1' })));
  }
  return undefined;
}

/** A registered pile's double, connected and proven; `script` answers every channel message (replace it per case). */
async function connectPile() {
  const pile = await t.newPile();
  const seen: { messageId: string; data: Uint8Array | undefined }[] = [];
  const double = { pile, seen, script: ((messageId, data) => answersLikeThePile(pile, messageId, data) ?? 'hang') as Script };
  const client = new RPCClient({
    endpoint: t.relay.ocppUrl.replace(/\/$/, ''), identity: pile.pileIdHex, protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
  } as never);
  clients.push(client);
  let proven = false;
  client.handle('DataTransfer', async ({ params }) => {
    const { messageId, data } = params as { messageId: string; data?: string };
    if (messageId === IDENTITY_CHALLENGE_MESSAGE_ID) {
      proven = true;
      return accepted(sign(pile, encodeUplinkIdentity({ pileId: pile.pileId, challenge: Buffer.from(String(data), 'hex'), atS: t.clock.nowS })));
    }
    const bytes = data === undefined ? undefined : base64urlToBytes(data);
    seen.push({ messageId, data: bytes });
    const reply = double.script(messageId, bytes);
    if (reply === 'hang') return new Promise<never>(() => undefined);
    return reply;
  });
  await client.connect();
  await until(() => proven && t.relay.uplinks.connected(pile.pileIdHex) !== undefined, 'the proof');
  return double;
}

async function newUser() {
  const user = await t.newUser('Ada');
  users.add(user.kidHex);
  assert.is((await t.topUp(user.kidHex, TOP_UP_MINOR)).status, 200);
  return user;
}

type User = Awaited<ReturnType<typeof newUser>>;

const helloOf = (user: User) => bytesToBase64url(encodeUserHello({ userKid: user.kid, displayName: 'Ada', phoneNonce: new Uint8Array(16).fill(3) }));
const openChannel = (user: User, pile: TestPile) => t.call('POST', '/v1/channels', { signer: user, body: { pileId: pile.pileIdHex, hello: helloOf(user) } });
const startChannel = (user: User, channelId: string) => t.call('POST', `/v1/channels/${channelId}/start`, { signer: user, body: { limit: amount300 } });

/** The user's money as the relay holds it once every ledger write landed. */
async function moneyOf(user: User) {
  await t.relay.drainLedger();
  const u = (await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user })).json;
  return { balance: u.balanceMinor, escrow: u.escrowMinor, reserved: u.reservedMinor, openContracts: u.openContracts.length };
}

const untouched = { balance: TOP_UP_MINOR, escrow: 0, reserved: 0, openContracts: 0 };
const heldRecords = async (pile: TestPile): Promise<number> => (await t.call('GET', `/v1/piles/${pile.pileIdHex}`)).json.records;

/** The vouchers the relay sent the pile as ChannelStart, in order. */
function vouchersSent(seen: { messageId: string; data: Uint8Array | undefined }[]) {
  return seen.filter((m) => m.messageId === CHANNEL_MESSAGE_IDS.start).map((m) => {
    const voucher = readSigned(m.data!, 'Authorization');
    if (!voucher.ok) throw new Error(`ChannelStart carried no voucher: ${voucher.reason}`);
    return voucher.value.message;
  });
}

test('open: a pile that never answers ChannelSelect within transferTimeoutMs is 504 pile-unreachable; nothing reserved', async () => {
  const double = await connectPile();
  double.script = () => 'hang';
  const user = await newUser();
  const open = await openChannel(user, double.pile);
  assert.equal([open.status, open.json.error], [504, 'pile-unreachable'], open.text);
  assert.match(open.json.message, `did not answer ${CHANNEL_MESSAGE_IDS.select}`);
  assert.equal(await moneyOf(user), untouched);
});

test('open: ChannelSelect or ChannelHello answered with what they do not return is 502 bad-pile-answer; nothing reserved', async () => {
  const double = await connectPile();
  const other = await t.newPile();
  const user = await newUser();
  const garbage: [string, Script][] = [
    ['Accepted, data not base64url', () => ({ status: 'Accepted', data: 'not base64url!' })],
    ['Accepted without data', () => ({ status: 'Accepted' })],
    ['Accepted, bytes that are no PileHello', () => accepted(new Uint8Array([1, 2, 3]))],
    ['Rejected, data no status word', () => ({ status: 'Rejected', data: 'nope' })],
    ['UnknownMessageId', () => ({ status: 'UnknownMessageId' })],
    ['another pile\'s PileHello', (messageId, data) => answersLikeThePile(other, messageId, data)!],
    ['ChannelHello answered with no PileInfo', (messageId, data) => (messageId === CHANNEL_MESSAGE_IDS.hello ? accepted(new Uint8Array([0xa0])) : answersLikeThePile(double.pile, messageId, data)!)],
  ];
  for (const [why, script] of garbage) {
    double.script = script;
    const open = await openChannel(user, double.pile);
    assert.equal([open.status, open.json.error], [502, 'bad-pile-answer'], `${why}: ${open.text}`);
  }
  assert.equal(await moneyOf(user), untouched);
});

test('a pile behind the relay\'s config gets ChannelUpdate with the relay-signed PileUpdate at open; its answers: none 201, 6984 (it holds it) 201, 6A84 409, UnknownMessageId 502', async () => {
  const double = await connectPile();
  const configured = await t.call('POST', `/v1/piles/${double.pile.pileIdHex}/config`, { signer: t.operator, body: { label: 'Bay 1 (east)' } });
  assert.is(configured.status, 200, configured.text);
  const user = await newUser();
  const outcomes: [PileReply, number, string?][] = [
    [{ status: 'Accepted', data: '' }, 201],
    [{ status: 'Rejected', data: '6984' }, 201],
    [{ status: 'Rejected', data: '6A84' }, 409, 'pile-refused'],
    [{ status: 'UnknownMessageId' }, 502, 'bad-pile-answer'],
    [accepted(new Uint8Array([1])), 502, 'bad-pile-answer'],
  ];
  for (const [reply, status, error] of outcomes) {
    double.script = (messageId, data) => (messageId === CHANNEL_MESSAGE_IDS.update ? reply : answersLikeThePile(double.pile, messageId, data) ?? 'hang');
    const open = await openChannel(user, double.pile);
    assert.equal([open.status, open.json.error], [status, error], `${JSON.stringify(reply)}: ${open.text}`);
  }
  const updates = double.seen.filter((m) => m.messageId === CHANNEL_MESSAGE_IDS.update);
  assert.is(updates.length, outcomes.length, 'one update per open: the double always says it holds config 1');
  const update = openSigned(updates[0]!.data!, { publicKey: t.relay.relayKey.publicKey, expectType: 'PileUpdate', crypto: sodiumEd25519 });
  assert.ok(update.ok, 'signed by the relay');
  assert.equal([update.value.message.pileId, update.value.message.configVersion, update.value.message.label], [double.pile.pileId, 2, 'Bay 1 (east)']);
  assert.equal(await moneyOf(user), untouched);
});

test('start: ChannelStart never answered is 504; the voucher keeps its rules (reserved, no contract, nothing charged) and the user\'s cancel frees it', async () => {
  const double = await connectPile();
  const user = await newUser();
  const open = await openChannel(user, double.pile);
  assert.is(open.status, 201, open.text);
  const start = await startChannel(user, open.json.channelId);
  assert.equal([start.status, start.json.error], [504, 'pile-unreachable'], start.text);
  const [voucher] = vouchersSent(double.seen);
  assert.equal(await moneyOf(user), { ...untouched, reserved: voucher!.capMinor });
  const cancel = await t.call('POST', `/v1/vouchers/${bytesToHex(voucher!.voucherId)}/cancel`, { signer: user, body: {} });
  assert.equal([cancel.status, cancel.json.releasedMinor], [200, voucher!.capMinor], cancel.text);
  assert.equal(await moneyOf(user), untouched);
  assert.is(await heldRecords(double.pile), 0);
});

test('start: ChannelStart answered with no Contract, or a Contract that is not the voucher\'s, is 502; nothing ingested or charged', async () => {
  const double = await connectPile();
  const user = await newUser();
  const open = await openChannel(user, double.pile);
  assert.is(open.status, 201, open.text);
  const notTheVouchers: [string, (voucher: Uint8Array) => PileReply][] = [
    ['bytes that are no Contract', () => accepted(new Uint8Array([0xa0]))],
    ['a Contract for a larger cap', (voucher) => {
      const v = readSigned(voucher, 'Authorization');
      if (!v.ok) throw new Error(v.reason);
      const m = v.value.message;
      return accepted(sign(double.pile, encodeContract({
        pileId: double.pile.pileId, seq: 1, userKid: m.userKid, voucherId: m.voucherId, limit: m.limit, tariff: double.pile.tariff,
        startMeterWh: double.pile.meterWh, capMinor: m.capMinor + 1, startAtS: t.clock.nowS,
      })));
    }],
  ];
  for (const [why, answer] of notTheVouchers) {
    double.script = (messageId, data) => (messageId === CHANNEL_MESSAGE_IDS.start ? answer(data!) : answersLikeThePile(double.pile, messageId, data)!);
    const start = await startChannel(user, open.json.channelId);
    assert.equal([start.status, start.json.error], [502, 'bad-pile-answer'], `${why}: ${start.text}`);
  }
  assert.is(await heldRecords(double.pile), 0, 'no record ingested');
  // The pile answered, so each start spent its nonce: the next took a fresh one and its own voucher.
  const vouchers = vouchersSent(double.seen);
  assert.is(new Set(vouchers.map((v) => bytesToHex(v.voucherId))).size, notTheVouchers.length);
  assert.equal(await moneyOf(user), { ...untouched, reserved: vouchers.reduce((sum, v) => sum + v.capMinor, 0) }, 'each voucher reserved to its rules');
});

test('stop: ChannelStop never answered is 504, answered with no Receipt of the contract 502; the contract keeps running, nothing settled', async () => {
  const double = await connectPile();
  const user = await newUser();
  double.script = (messageId, data) => {
    if (messageId !== CHANNEL_MESSAGE_IDS.start) return answersLikeThePile(double.pile, messageId, data) ?? 'hang';
    return accepted(double.pile.contract(bytesToBase64url(data!), t.clock.nowS).signed);
  };
  const open = await openChannel(user, double.pile);
  const start = await startChannel(user, open.json.channelId);
  assert.is(start.status, 201, start.text);
  const capMinor = vouchersSent(double.seen)[0]!.capMinor;
  const running = { balance: TOP_UP_MINOR - capMinor, escrow: capMinor, reserved: 0, openContracts: 1 };
  assert.equal(await moneyOf(user), running);

  const stop = () => t.call('POST', `/v1/channels/${open.json.channelId}/stop`, { signer: user, body: {} });
  const silent = await stop();
  assert.equal([silent.status, silent.json.error], [504, 'pile-unreachable'], silent.text);
  const otherContract = sign(double.pile, encodeContract({
    pileId: double.pile.pileId, seq: 99, userKid: user.kid, voucherId: new Uint8Array(8), limit: amount300, tariff: double.pile.tariff,
    startMeterWh: 0, capMinor: 300, startAtS: t.clock.nowS,
  }));
  for (const [why, bytes] of [['a Contract, not a Receipt', otherContract], ['bytes that are no Receipt', new Uint8Array([0xa0])]] as const) {
    double.script = (messageId, data) => (messageId === CHANNEL_MESSAGE_IDS.stop ? accepted(bytes) : answersLikeThePile(double.pile, messageId, data) ?? 'hang');
    const bad = await stop();
    assert.equal([bad.status, bad.json.error], [502, 'bad-pile-answer'], `${why}: ${bad.text}`);
  }
  assert.equal(await moneyOf(user), running, 'the contract still runs, escrow held');
  assert.is(await heldRecords(double.pile), 1, 'only the contract is held');
});

test.run();

// The driver's wallet app (design §1 R3–R8, §6): a user key and name, a relay client, and the
// records it carries. Each flow is one tap over an IsoDep transport; the caller opens the tap
// (field on), calls the flow, ends the tap when it returns, then calls `sync()`. No prompts: a
// script or the CLI drives it. Every change to the wallet is handed to `save` before the phone
// acts on it, so a contract or receipt once received is never lost by a crash of the phone.
//
// What each tap sends (budget design §6: ≤ 6 APDUs, ≤ 1 KiB; see tap-meter.ts):
//   tapHello   SELECT, HELLO, [UPDATE when the relay has a newer config], [ACK], [one OUTBOX page]
//   tapStart   SELECT, START, [ACK]                      (no OUTBOX: tap 2 stays short)
//   tapStop    SELECT, STOP, [ACK]
//   tapCollect SELECT, [ACK], [OUTBOX pages while they fit]
// Bracketed commands are sent only when their worst case fits what is left of the budget; what
// does not fit waits for the next tap (records stay in the pile, acks in the phone).
//
// The network while the phone is held to the pile: only tap 1 asks the relay, in one round trip
// (field-relay.ts: R3's update check, with the keys and the pile's Ack it needs sent alongside),
// bounded by `fieldRelayTimeoutMs`; past it, or with the relay unreachable, the tap goes on
// offline. START, STOP and collect ask the relay nothing. Uploading is not part of a tap: the app
// calls `sync()` once the field is released; the Acks it brings back reach each pile at this
// phone's next tap there (and any phone's tap 1 fetches a pile's Ack).
import { base64urlToBytes as fromBase64url, bytesToBase64url, bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { type KeyPair, type RandomSource, generateKeyPair, keyPairFromSecret, randomNonce } from '../../contracts-offline/keys.ts';
import { type ChargeLimit, limitValue } from '../../contracts-offline/charge-limit.ts';
import { DISPLAY_NAME_MAX_BYTES } from '../../contracts-offline/messages/fields.ts';
import type { PileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodeStopRequest } from '../../contracts-offline/messages/stop-request.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { SW } from '../../contracts-offline/apdu.ts';
import type { StartRefusal } from '../../contracts-offline/display-text.ts';
import { isNonceFresh } from '../../contracts-offline/voucher-lifetime.ts';
import { type CarriedRecord, readCarriedRecord } from './carried-record.ts';
import { PhoneError } from './errors.ts';
import { NO_RELAY_IN_FIELD, type RelayInField, askRelayInField } from './field-relay.ts';
import { type SyncReport, syncWallet } from './phone-sync.ts';
import { ChannelSession } from './channel-session.ts';
import { type IsoDepTransport, PileReader } from './pile-reader.ts';
import { type PileScreen, modesIn } from './pile-screen.ts';
import { PileRefusedError } from './errors.ts';
import { type PileUpdateOffer, RelayClient } from './relay-client.ts';
import { RelayError } from './errors.ts';
import type { RegisteredUser, UserAccount, UserContract } from './relay-client.ts';
import type { Answer } from '../relay-api/routes.ts';
import { checkRelayKey, openRelaySigned, relayKey } from './relay-trust.ts';
import { DEFAULT_TAP_BUDGET, type TapAir, type TapBudget, TapMeter, commandCost, outboxPageCost } from './tap-meter.ts';
import { holdRecords, noteAck, outboxCursor } from './wallet-records.ts';
import { type ActiveContract, type VoucherMemo, type WalletState, copyWalletData, newWalletState } from './wallet-state.ts';

export type PhoneOptions = {
  state: WalletState;
  /** Default: a client of `state.relayUrl` (a phone without a relay can still carry records). */
  relay?: RelayClient;
  /** Called with the wallet after every change, before the phone goes on (e.g. write the wallet file). */
  save?: (state: WalletState) => void;
  nowMs?: () => number;
  random?: RandomSource;
  tapBudget?: TapBudget;
  /** How long tap 1 waits for the relay while the phone is held to the pile; past it the tap goes on offline. Default 1000 ms. */
  fieldRelayTimeoutMs?: number;
};

export type { PileScreen };

export type Carried = {
  /** Records taken from the pile's outbox in this tap (new to this phone; `sync()` uploads them). */
  fromPile: number;
  /** A relay Ack the wallet held for this pile was delivered (the pile prunes what it covers). */
  ackDelivered: boolean;
};

export type { RelayInField };
export type TapReport = { air: TapAir; carried: Carried; relayInField: RelayInField };

/** What the final / any tap leaves in the pile. */
export type PileLeft = {
  /** Records the pile still holds unacknowledged: it prunes them once a relay Ack covering them is delivered (after `sync()`, at the next tap there). */
  pileStillHolds: number;
  /** Of those, records this tap had no room to take: another tap carries them. */
  outboxLeft: number;
};

// A tap-1 nonce is good for 15 minutes at the pile (firmware/nfc/README.md); ask for a voucher before that.
export { PILE_NONCE_LIFETIME_MS } from '../../contracts-offline/voucher-lifetime.ts';

export type CancelledVoucher = Answer<'cancelVoucher', 200>;

/**
 * What a refused START does to the voucher: 'cancel' when the refusal proves it never started a
 * contract and never will (its nonce unused but too old, the tariff changed) — dropped, and the
 * relay frees its cap at once; 'drop' when the pile will not take it but a START whose answer was
 * lost may have used it (a nonce the pile no longer holds, or used) — its reservation ends at its
 * expiresAtS, and a contract it started comes with the pile's outbox; 'keep' when it works once
 * the pile allows it.
 */
const voucherAfter: Readonly<Record<StartRefusal, 'keep' | 'drop' | 'cancel'>> = Object.freeze({
  'nonce-expired': 'cancel',
  'tariff-changed': 'cancel',
  'nonce-unknown': 'drop',
  'nonce-used': 'drop',
  'other-pile': 'keep', // never read from a refusal: the phone checks the pile id before START
  'no-vehicle': 'keep',
  busy: 'keep',
  'out-of-service': 'keep',
  'journal-full': 'keep',
  'pile-fault': 'keep',
});
const FIELD_RELAY_TIMEOUT_MS = 1000;

export class Phone {
  readonly keyPair: KeyPair;
  readonly relay: RelayClient | undefined;
  readonly #state: WalletState;
  readonly #save: (state: WalletState) => void;
  readonly #nowMs: () => number;
  readonly #random: RandomSource | undefined;
  readonly #budget: TapBudget;
  readonly #fieldRelayTimeoutMs: number;

  constructor(options: PhoneOptions) {
    const o = { save: () => {}, nowMs: () => Date.now(), tapBudget: DEFAULT_TAP_BUDGET, fieldRelayTimeoutMs: FIELD_RELAY_TIMEOUT_MS, ...options };
    const nameBytes = utf8Encode(o.state.displayName).length;
    if (nameBytes < 1 || nameBytes > DISPLAY_NAME_MAX_BYTES) throw new RangeError(`phone: "displayName" expected 1..${DISPLAY_NAME_MAX_BYTES} UTF-8 bytes, got ${nameBytes}`);
    if (!Number.isInteger(o.fieldRelayTimeoutMs) || o.fieldRelayTimeoutMs < 1) throw new RangeError(`phone: "fieldRelayTimeoutMs" expected a positive integer, got ${o.fieldRelayTimeoutMs}`);
    this.#state = copyWalletData(o.state);
    this.keyPair = keyPairFromSecret(hexToBytes(o.state.secretKey));
    this.relay = o.relay ?? (o.state.relayUrl ? new RelayClient({ baseUrl: o.state.relayUrl, nowMs: o.nowMs, ...(o.random && { random: o.random }) }) : undefined);
    this.#save = o.save;
    this.#nowMs = o.nowMs;
    this.#random = o.random;
    this.#budget = o.tapBudget;
    this.#fieldRelayTimeoutMs = o.fieldRelayTimeoutMs;
  }

  /** A new wallet with a fresh key. */
  static create(options: Omit<PhoneOptions, 'state'> & { displayName: string; relayUrl?: string }): Phone {
    const pair = generateKeyPair(options.random ? { random: options.random } : {});
    const relayUrl = options.relayUrl ?? options.relay?.baseUrl ?? null;
    const phone = new Phone({ ...options, state: newWalletState(bytesToHex(pair.secretKey), options.displayName, relayUrl) });
    phone.#commit();
    return phone;
  }

  get kid(): string {
    return bytesToHex(this.keyPair.kid);
  }

  get displayName(): string {
    return this.#state.displayName;
  }

  /** A copy of the wallet (what `save` receives). */
  get state(): WalletState {
    return copyWalletData(this.#state);
  }

  get activeContract(): ActiveContract | null {
    return copyWalletData(this.#state.active);
  }

  get voucher(): VoucherMemo | null {
    return copyWalletData(this.#state.voucher);
  }

  /** Signed records waiting for the relay. */
  get pendingRecords(): CarriedRecord[] {
    return this.#state.records.map((text) => {
      const read = readCarriedRecord(fromBase64url(text));
      if (!read.ok) throw new Error(`phone: held record does not decode (${read.reason})`);
      return read.value;
    });
  }

  /** POST /v1/users with this key (idempotent: an already registered key counts as done). */
  async register(): Promise<RegisteredUser | undefined> {
    const relay = this.#needRelay();
    await checkRelayKey(this.#state, relay);
    let registered: RegisteredUser | undefined;
    try {
      registered = await relay.registerUser(this.keyPair, this.#state.displayName);
    } catch (error) {
      if (!(error instanceof RelayError && error.code === 'already-registered')) throw error;
    }
    this.#state.registered = true;
    this.#commit();
    return registered;
  }

  /** Tap 1 (R3): who the pile is, a newer config written into it (the tap's one relay round trip), records and acks carried. */
  async tapHello(transport: IsoDepTransport): Promise<TapReport & { screen: PileScreen }> {
    const { meter, reader, hello, pileId } = await this.#beginTap(transport);
    const { relayInField, offer } = await this.#askRelayInField(hello, pileId);
    const pileKey = this.#state.piles[pileId]?.publicKey;
    if (pileKey) reader.trustPileKey(hexToBytes(pileKey));
    const phoneNonce = randomNonce(16, this.#random);
    const info = await reader.hello({ userKid: this.keyPair.kid, displayName: this.#state.displayName, phoneNonce });
    const screen: PileScreen = {
      pileId, label: info.message.label, state: info.message.state, configVersion: info.message.configVersion, tariff: info.message.tariff,
      modes: modesIn(info.message.state), verified: pileKey !== undefined, updatedTo: undefined,
    };
    if (offer && offer.configVersion > info.message.configVersion) {
      const update = openRelaySigned(this.#state, offer.pileUpdate, 'PileUpdate');
      if (bytesToHex(update.pileId) !== pileId) throw new PhoneError('relay-not-trusted', `the relay offered an update for pile ${bytesToHex(update.pileId)} to pile ${pileId}`);
      await reader.update(offer.pileUpdate);
      Object.assign(screen, { label: update.label, tariff: update.tariff, configVersion: update.configVersion, updatedTo: update.configVersion });
    }
    const memo = (this.#state.piles[pileId] ??= {});
    Object.assign(memo, { label: screen.label, configVersion: screen.configVersion, tariff: screen.tariff });
    this.#state.hello = { pileId, pileNonce: bytesToHex(hello.pileNonce), atMs: this.#nowMs() };
    this.#commit();
    const { fromPile, ackDelivered } = await this.#carry(meter, reader, pileId, hello.outboxCount, 'one-page');
    return { screen, air: meter.air, carried: { fromPile, ackDelivered }, relayInField };
  }

  /** Between taps: the relay checks the user's signed request and balance and issues a voucher for the tap-1 nonce. */
  async requestVoucher(limit: ChargeLimit): Promise<VoucherMemo> {
    const relay = this.#needRelay();
    const hello = this.#state.hello;
    if (!hello) throw new PhoneError('no-pile-nonce', 'tap the pile first (tap 1): a voucher is bound to the nonce the pile gave at that tap');
    if (!isNonceFresh(hello.atMs, this.#nowMs())) throw new PhoneError('pile-nonce-expired', 'the tap-1 nonce is older than 15 minutes; tap the pile again');
    await relayKey(this.#state, relay);
    const signed = await relay.requestVoucher(this.keyPair, { pileId: hexToBytes(hello.pileId), pileNonce: hexToBytes(hello.pileNonce), limit });
    const authorization = openRelaySigned(this.#state, signed, 'Authorization');
    const matches = bytesToHex(authorization.pileId) === hello.pileId && bytesToHex(authorization.pileNonce) === hello.pileNonce
      && bytesToHex(authorization.userKid) === this.kid && authorization.limit.mode === limit.mode && limitValue(authorization.limit) === limitValue(limit);
    if (!matches) throw new PhoneError('relay-not-trusted', 'the voucher the relay issued is not for this user, pile, nonce and limit');
    this.#state.voucher = {
      pileId: hello.pileId, pileNonce: hello.pileNonce, authorization: bytesToBase64url(signed), voucherId: bytesToHex(authorization.voucherId),
      limit: authorization.limit, capMinor: authorization.capMinor, expiresAtS: authorization.expiresAtS,
    };
    this.#commit();
    return copyWalletData(this.#state.voucher);
  }

  /**
   * Tap 2 (R4): START with the voucher; the pile's signed Contract is kept (`sync()` submits it).
   * A refused START that proves the voucher can never start a contract leaves it to cancel at the
   * relay (`voucherCancelled` on the error; the next `sync()` frees its cap).
   */
  async tapStart(transport: IsoDepTransport): Promise<TapReport & { contract: ActiveContract }> {
    const voucher = this.#state.voucher;
    if (!voucher) throw new PhoneError('no-voucher', 'no voucher: tap the pile (tap 1) and choose a mode first');
    if (Math.floor(this.#nowMs() / 1000) > voucher.expiresAtS) {
      this.#state.voucher = null;
      this.#commit();
      throw new PhoneError('voucher-expired', 'the voucher has expired; tap the pile again and choose a mode');
    }
    const { meter, reader, pileId, hello } = await this.#beginTap(transport);
    if (pileId !== voucher.pileId) throw new PhoneError('wrong-pile', `this voucher is for pile ${voucher.pileId}, not ${pileId}`);
    let signed;
    try {
      signed = await reader.start(fromBase64url(voucher.authorization));
    } catch (error) {
      if (!(error instanceof PileRefusedError)) throw error;
      const refusal = error.startRefusal;
      // 6982: this pile does not take the relay's signature on it, ever.
      const fate = error.sw === SW.securityNotSatisfied ? 'cancel' : refusal === undefined ? 'keep' : voucherAfter[refusal];
      if (fate === 'keep') throw error;
      this.#state.voucher = null;
      if (fate === 'cancel') this.#state.vouchersToCancel = [...(this.#state.vouchersToCancel ?? []), voucher.voucherId];
      this.#commit();
      if (fate === 'drop') throw error;
      throw new PileRefusedError('START', error.sw, { refusal, voucherCancelled: true });
    }
    const record = mustRead(signed.signed);
    const m = signed.message;
    this.#state.active = { pileId, seq: m.seq, contract: record.text, limit: m.limit, capMinor: m.capMinor, startAtS: m.startAtS };
    this.#state.voucher = null;
    this.#state.hello = null;
    holdRecords(this.#state, [record]);
    this.#commit();
    const contract = copyWalletData(this.#state.active);
    const { fromPile, ackDelivered } = await this.#carry(meter, reader, pileId, hello.outboxCount, 'none');
    return { contract, air: meter.air, carried: { fromPile, ackDelivered }, relayInField: NO_RELAY_IN_FIELD };
  }

  /**
   * Cancels the voucher this phone holds (the driver will not tap 2 after all): the relay no longer
   * reserves its cap. Refused by the relay once a contract used it (409 voucher-used: the START
   * answer was lost; the contract comes with the pile's outbox); the voucher is dropped then too.
   */
  async cancelVoucher(): Promise<CancelledVoucher> {
    const voucher = this.#state.voucher;
    if (!voucher) throw new PhoneError('no-voucher', 'no voucher to cancel');
    const relay = this.#needRelay();
    let cancelled: CancelledVoucher;
    try {
      cancelled = await relay.cancelVoucher(this.keyPair, hexToBytes(voucher.voucherId));
    } catch (error) {
      if (error instanceof RelayError && (error.code === 'voucher-used' || error.code === 'unknown-voucher')) {
        this.#state.voucher = null;
        this.#commit();
      }
      throw error;
    }
    this.#state.voucher = null;
    this.#commit();
    return cancelled;
  }

  /** User stop (R6): a StopRequest signed by the user over the fresh nonce of this tap; the Receipt is kept (`sync()` submits it). */
  async tapStop(transport: IsoDepTransport): Promise<TapReport & { receipt: CarriedRecord & { kind: 'receipt' } }> {
    const active = this.#state.active;
    if (!active) throw new PhoneError('no-active-contract', 'no running contract on this phone');
    const { meter, reader, pileId, hello } = await this.#beginTap(transport);
    if (pileId !== active.pileId) throw new PhoneError('wrong-pile', `the running contract is at pile ${active.pileId}, not ${pileId}`);
    const request = encodeStopRequest({ pileId: hello.pileId, contractSeq: active.seq, pileNonce: hello.pileNonce, atS: Math.floor(this.#nowMs() / 1000) });
    const signed = await reader.stop(signMessage(request, this.keyPair.secretKey), this.keyPair.publicKey);
    const record = mustRead(signed.signed);
    if (record.kind !== 'receipt') throw new Error('phone: STOP answered a record that is not a Receipt');
    holdRecords(this.#state, [record]);
    this.#commit();
    const { fromPile, ackDelivered } = await this.#carry(meter, reader, pileId, hello.outboxCount, 'none');
    return { receipt: record, air: meter.air, carried: { fromPile, ackDelivered }, relayInField: NO_RELAY_IN_FIELD };
  }

  /**
   * Final tap / any tap (R6–R8): hand the pile the relay's Ack the wallet holds for it, take what
   * its outbox holds. Records of a pile whose key this phone does not know yet are carried
   * unverified; the relay checks them at upload.
   */
  async tapCollect(transport: IsoDepTransport): Promise<TapReport & PileLeft> {
    const { meter, reader, hello, pileId } = await this.#beginTap(transport);
    const { fromPile, ackDelivered, pileStillHolds, outboxLeft } = await this.#carry(meter, reader, pileId, hello.outboxCount, 'all');
    return { pileStillHolds, outboxLeft, air: meter.air, carried: { fromPile, ackDelivered }, relayInField: NO_RELAY_IN_FIELD };
  }

  /**
   * After a tap, once the field is released: uploads every carried record and keeps the relay's
   * Acks (this phone hands each to its pile at its next tap there), cancels the vouchers a refused
   * START left to cancel, and closes the active contract if any phone's upload settled it.
   */
  async sync(): Promise<SyncReport> {
    return syncWallet(this.#state, this.#needRelay(), () => this.#commit(), this.keyPair);
  }

  /**
   * Networked mode (R9): a channel through the relay to a pile connected over OCPP, from its id
   * alone (read by one tap, or off the pile's display code). See channel-session.ts.
   */
  async openChannel(pileId: Uint8Array): Promise<ChannelSession> {
    const wallet = { state: this.#state, commit: () => this.#commit() };
    return ChannelSession.open({ relay: this.#needRelay(), keyPair: this.keyPair, wallet, ...(this.#random && { random: this.#random }) }, pileId);
  }

  /** Balance and contracts as the relay (and its ledger) sees them. */
  async account(): Promise<{ account: UserAccount; contracts: UserContract[] }> {
    const relay = this.#needRelay();
    const [account, contracts] = await Promise.all([relay.user(this.keyPair), relay.userContracts(this.keyPair)]);
    return { account, contracts };
  }

  async #beginTap(transport: IsoDepTransport): Promise<{ meter: TapMeter; reader: PileReader; hello: PileHello; pileId: string }> {
    const meter = new TapMeter(transport, this.#budget);
    const reader = new PileReader(meter);
    const hello = await reader.select();
    const pileId = bytesToHex(hello.pileId);
    const known = this.#state.piles[pileId]?.publicKey;
    if (known) reader.trustPileKey(hexToBytes(known));
    return { meter, reader, hello, pileId };
  }

  // R3's round trip, its answers checked and kept: the relay key pinned, the pile key, the pile's Ack. Answers the update offer.
  async #askRelayInField(hello: PileHello, pileId: string): Promise<{ relayInField: RelayInField; offer: PileUpdateOffer | undefined }> {
    if (!this.relay) return { relayInField: NO_RELAY_IN_FIELD, offer: undefined };
    const ask = { relayKey: !this.#state.relayPublicKey, pileKey: !this.#state.piles[pileId]?.publicKey, pileAck: hello.outboxCount > 0 };
    const { relayInField, answers } = await askRelayInField(this.relay, hello, ask, { timeoutMs: this.#fieldRelayTimeoutMs, nowMs: this.#nowMs });
    if (!answers) return { relayInField, offer: undefined };
    if (answers.relayPublicKey) this.#state.relayPublicKey = bytesToHex(answers.relayPublicKey);
    if (answers.pilePublicKey) (this.#state.piles[pileId] ??= {}).publicKey = bytesToHex(answers.pilePublicKey);
    if (answers.pileAck) {
      const ack = openRelaySigned(this.#state, answers.pileAck, 'Ack');
      if (bytesToHex(ack.pileId) === pileId) noteAck(this.#state, pileId, ack, bytesToBase64url(answers.pileAck));
    }
    this.#commit();
    return { relayInField, offer: answers.offer };
  }

  // ACK first (it may shrink what the outbox holds), then OUTBOX pages as the mode and budget allow.
  async #carry(meter: TapMeter, reader: PileReader, pileId: string, outboxCount: number, outbox: 'none' | 'one-page' | 'all'): Promise<Carried & PileLeft> {
    let ackDelivered = false;
    let unacknowledged = outboxCount;
    const ack = this.#state.acks[pileId];
    if (ack !== undefined && meter.fits(commandCost(fromBase64url(ack).length, 2))) {
      try {
        unacknowledged = await reader.ack(fromBase64url(ack));
        ackDelivered = true;
      } catch (error) {
        if (!(error instanceof PileRefusedError)) throw error;
      }
      delete this.#state.acks[pileId]; // delivered, or refused by the pile for good: either way not again
      this.#commit();
    }
    let fromPile = 0;
    let left = unacknowledged;
    let cursor = outboxCursor(this.#state, pileId);
    for (let pages = 0; outbox !== 'none' && left > 0 && meter.fits(outboxPageCost(left)); pages++) {
      if (outbox === 'one-page' && pages === 1) break;
      const page = await reader.outbox(cursor);
      fromPile += holdRecords(this.#state, page.records.map((r) => mustRead(r.signed)));
      this.#commit();
      left = page.remaining;
      if (page.records.length === 0) break;
      cursor = page.records[page.records.length - 1]!.seq;
    }
    return { fromPile, ackDelivered, pileStillHolds: unacknowledged, outboxLeft: left };
  }

  #needRelay(): RelayClient {
    if (!this.relay) throw new PhoneError('not-registered', 'this wallet has no relay URL');
    return this.relay;
  }

  #commit(): void {
    this.#save(copyWalletData(this.#state));
  }
}

function mustRead(signed: Uint8Array): CarriedRecord {
  const read = readCarriedRecord(signed);
  if (!read.ok) throw new Error(`phone: a record the reader accepted does not decode (${read.reason})`);
  return read.value;
}

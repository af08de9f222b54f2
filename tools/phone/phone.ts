// The driver's wallet app (design §1 R3–R8, §6): a user key and name, a relay client, and the
// records it carries. Each flow is one tap over an IsoDep transport; the caller opens the tap
// (field on), calls the flow, and ends the tap when it returns. No prompts: a script or the CLI
// drives it. Every change to the wallet is handed to `save` before the phone acts on it, so a
// contract or receipt once received is never lost by a crash of the phone.
//
// What each tap sends (budget design §6: ≤ 6 APDUs, ≤ 1 KiB; see tap-meter.ts):
//   tapHello   SELECT, HELLO, [UPDATE when the relay has a newer config], [ACK], [one OUTBOX page]
//   tapStart   SELECT, START, [ACK]                      (no OUTBOX: tap 2 stays short)
//   tapStop    SELECT, STOP, [ACK]
//   tapCollect SELECT, [ACK], [OUTBOX pages while they fit]
// then, in every flow, the upload to the relay and [ACK of what the relay now holds].
// Bracketed commands are sent only when their worst case fits what is left of the budget; what
// does not fit waits for the next tap (records stay in the pile, acks in the phone). The relay is
// asked while the phone is still held to the pile; when it cannot be reached the tap goes on
// offline and `sync()` uploads later.
import { base64urlToBytes as fromBase64url, bytesToBase64url, bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { type KeyPair, type RandomSource, generateKeyPair, keyPairFromSecret, randomNonce } from '../../contracts-offline/keys.ts';
import type { PileState, Tariff } from '../../contracts-offline/messages/fields.ts';
import { type ChargeLimit, type ChargeMode, limitValue } from '../../contracts-offline/charge-limit.ts';
import { DISPLAY_NAME_MAX_BYTES } from '../../contracts-offline/messages/fields.ts';
import type { PileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodeStopRequest } from '../../contracts-offline/messages/stop-request.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { SW } from '../../contracts-offline/apdu.ts';
import type { StartRefusal } from '../../contracts-offline/display-text.ts';
import { isNonceFresh } from '../../contracts-offline/voucher-lifetime.ts';
import { type CarriedRecord, readCarriedRecord } from './carried-record.ts';
import { PhoneError } from './errors.ts';
import { type SyncReport, fetchPileAck, syncWallet } from './phone-sync.ts';
import { type IsoDepTransport, PileReader } from './pile-reader.ts';
import { PileRefusedError } from './errors.ts';
import { RelayClient } from './relay-client.ts';
import { RelayError, RelayUnreachableError } from './errors.ts';
import type { RegisteredUser, UserAccount, UserContract } from './relay-client.ts';
import type { Answer } from '../relay-api/routes.ts';
import { checkRelayKey, openRelaySigned, relayKey } from './relay-trust.ts';
import { DEFAULT_TAP_BUDGET, type TapAir, type TapBudget, TapMeter, commandCost, outboxPageCost } from './tap-meter.ts';
import { holdRecords, outboxCursor } from './wallet-records.ts';
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
};

/** What the phone screen shows after tap 1. */
export type PileScreen = {
  pileId: string;
  label: string;
  state: PileState;
  configVersion: number;
  tariff: Tariff;
  /** Modes the user may choose now (none while the pile is busy or faulted). */
  modes: ChargeMode[];
  /** PileInfo verified with the pile key the relay registered (false only when offline and never seen). */
  verified: boolean;
  /** The config version this tap wrote into the pile, if it did. */
  updatedTo: number | undefined;
};

export type Carried = {
  /** Records taken from the pile's outbox in this tap (new to this phone). */
  fromPile: number;
  ackDelivered: boolean;
  /** Upload after the tap: the relay's answer, or why it could not be reached. */
  upload: SyncReport | { offline: string };
};

export type TapReport = { air: TapAir; carried: Carried };

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
/** A vehicle still plugged after a session ('finishing') can start a new one: the pile takes it and its display invites the tap. */
const offeredInStates: readonly PileState[] = ['available', 'preparing', 'finishing'];
const allModes: ChargeMode[] = ['amount', 'time', 'energy', 'full'];

export class Phone {
  readonly keyPair: KeyPair;
  readonly relay: RelayClient | undefined;
  readonly #state: WalletState;
  readonly #save: (state: WalletState) => void;
  readonly #nowMs: () => number;
  readonly #random: RandomSource | undefined;
  readonly #budget: TapBudget;

  constructor(options: PhoneOptions) {
    const o = { save: () => {}, nowMs: () => Date.now(), tapBudget: DEFAULT_TAP_BUDGET, ...options };
    const nameBytes = utf8Encode(o.state.displayName).length;
    if (nameBytes < 1 || nameBytes > DISPLAY_NAME_MAX_BYTES) throw new RangeError(`phone: "displayName" expected 1..${DISPLAY_NAME_MAX_BYTES} UTF-8 bytes, got ${nameBytes}`);
    this.#state = copyWalletData(o.state);
    this.keyPair = keyPairFromSecret(hexToBytes(o.state.secretKey));
    this.relay = o.relay ?? (o.state.relayUrl ? new RelayClient({ baseUrl: o.state.relayUrl, nowMs: o.nowMs, ...(o.random && { random: o.random }) }) : undefined);
    this.#save = o.save;
    this.#nowMs = o.nowMs;
    this.#random = o.random;
    this.#budget = o.tapBudget;
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

  /** Tap 1 (R3): who the pile is, a newer config written into it, records and acks carried. */
  async tapHello(transport: IsoDepTransport): Promise<TapReport & { screen: PileScreen }> {
    const { meter, reader, hello, pileId } = await this.#beginTap(transport);
    const online = await this.#online(async (relay) => {
      await relayKey(this.#state, relay);
      const key = await this.#learnPileKey(relay, pileId);
      const [offer] = await Promise.all([relay.pileUpdate(hello.pileId, hello.configVersion), hello.outboxCount > 0 ? fetchPileAck(this.#state, relay, pileId) : false]);
      return { key, offer };
    });
    if (online.ok && online.value.key) reader.trustPileKey(online.value.key);
    const phoneNonce = randomNonce(16, this.#random);
    const info = await reader.hello({ userKid: this.keyPair.kid, displayName: this.#state.displayName, phoneNonce });
    const screen: PileScreen = {
      pileId, label: info.message.label, state: info.message.state, configVersion: info.message.configVersion, tariff: info.message.tariff,
      modes: offeredInStates.includes(info.message.state) ? [...allModes] : [], verified: this.#state.piles[pileId]?.publicKey !== undefined, updatedTo: undefined,
    };
    const offer = online.ok ? online.value.offer : undefined;
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
    const { carried } = await this.#carryAndUpload(meter, reader, pileId, hello.outboxCount, 'one-page');
    return { screen, air: meter.air, carried };
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

  /** Tap 2 (R4): START with the voucher; the pile's signed Contract is kept, then submitted. */
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
      this.#commit();
      if (fate === 'drop' || !(await this.#cancelAtRelay(voucher))) throw error;
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
    const { carried } = await this.#carryAndUpload(meter, reader, pileId, hello.outboxCount, 'none');
    return { contract, air: meter.air, carried };
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

  /** User stop (R6): a StopRequest signed by the user over the fresh nonce of this tap; the Receipt is kept, then submitted. */
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
    const { carried } = await this.#carryAndUpload(meter, reader, pileId, hello.outboxCount, 'none');
    return { receipt: record, air: meter.air, carried };
  }

  /** Final tap / any tap (R6–R8): take what the pile's outbox holds, upload it, hand the relay's Ack back. */
  async tapCollect(transport: IsoDepTransport): Promise<TapReport & { pileStillHolds: number }> {
    const { meter, reader, hello, pileId } = await this.#beginTap(transport);
    const online = await this.#online(async (relay) => {
      const key = await this.#learnPileKey(relay, pileId);
      if (hello.outboxCount > 0) await fetchPileAck(this.#state, relay, pileId);
      return key;
    });
    if (online.ok && online.value) reader.trustPileKey(online.value);
    const { carried, pileStillHolds } = await this.#carryAndUpload(meter, reader, pileId, hello.outboxCount, 'all');
    return { pileStillHolds, air: meter.air, carried };
  }

  /** Uploads every carried record and takes the relay's Acks (for the next tap at each pile). */
  async sync(): Promise<SyncReport> {
    return syncWallet(this.#state, this.#needRelay(), () => this.#commit(), this.keyPair);
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

  // Carrying, then the upload (the relay is asked while the phone is still at the pile), then the
  // relay's fresh Ack for this pile when it still fits the tap, so the pile may prune at once.
  async #carryAndUpload(meter: TapMeter, reader: PileReader, pileId: string, pending: number, outbox: 'none' | 'one-page' | 'all'): Promise<{ carried: Carried; pileStillHolds: number }> {
    const first = await this.#carry(meter, reader, pileId, pending, outbox);
    const upload = await this.#uploadQuietly();
    let { pileStillHolds, ackDelivered } = first;
    if (!('offline' in upload) && upload.acksFor.includes(pileId)) {
      const second = await this.#carry(meter, reader, pileId, first.pileStillHolds, 'none');
      if (second.ackDelivered) ({ pileStillHolds, ackDelivered } = { pileStillHolds: second.pileStillHolds, ackDelivered: true });
    }
    return { carried: { fromPile: first.fromPile, ackDelivered, upload }, pileStillHolds };
  }

  // ACK first (it may shrink what the outbox holds), then OUTBOX pages as the mode and budget allow.
  async #carry(meter: TapMeter, reader: PileReader, pileId: string, pending: number, outbox: 'none' | 'one-page' | 'all'): Promise<{ fromPile: number; ackDelivered: boolean; pileStillHolds: number }> {
    let ackDelivered = false;
    const ack = this.#state.acks[pileId];
    if (ack !== undefined && meter.fits(commandCost(fromBase64url(ack).length, 2))) {
      try {
        pending = await reader.ack(fromBase64url(ack));
        ackDelivered = true;
      } catch (error) {
        if (!(error instanceof PileRefusedError)) throw error;
      }
      delete this.#state.acks[pileId]; // delivered, or refused by the pile for good: either way not again
      this.#commit();
    }
    let fromPile = 0;
    let cursor = outboxCursor(this.#state, pileId);
    for (let pages = 0; outbox !== 'none' && pending > 0 && meter.fits(outboxPageCost(pending)); pages++) {
      if (outbox === 'one-page' && pages === 1) break;
      const page = await reader.outbox(cursor);
      fromPile += holdRecords(this.#state, page.records.map((r) => mustRead(r.signed)));
      this.#commit();
      pending = page.remaining;
      if (page.records.length === 0) break;
      cursor = page.records[page.records.length - 1]!.seq;
    }
    return { fromPile, ackDelivered, pileStillHolds: pending };
  }

  async #learnPileKey(relay: RelayClient, pileId: string): Promise<Uint8Array> {
    const memo = (this.#state.piles[pileId] ??= {});
    if (memo.publicKey) return hexToBytes(memo.publicKey);
    try {
      const entry = await relay.pile(hexToBytes(pileId));
      memo.publicKey = entry.publicKey.toLowerCase();
      this.#commit();
      return hexToBytes(entry.publicKey);
    } catch (error) {
      if (error instanceof RelayError && error.code === 'unknown-pile') throw new PhoneError('pile-not-genuine', `pile ${pileId} is not registered at the relay`);
      throw error;
    }
  }

  // Relay work during a tap: an unreachable relay is not an error (the tap goes on offline).
  async #online<T>(work: (relay: RelayClient) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
    if (!this.relay) return { ok: false, reason: 'no relay configured' };
    try {
      return { ok: true, value: await work(this.relay) };
    } catch (error) {
      if (error instanceof RelayUnreachableError) return { ok: false, reason: error.message };
      throw error;
    }
  }

  async #uploadQuietly(): Promise<SyncReport | { offline: string }> {
    const done = await this.#online(() => this.sync());
    return done.ok ? done.value : { offline: done.reason };
  }

  // After a START refusal: an unreachable or refusing relay leaves the reservation to end at the voucher's expiresAtS.
  async #cancelAtRelay(voucher: VoucherMemo): Promise<boolean> {
    if (!this.relay) return false;
    try {
      await this.relay.cancelVoucher(this.keyPair, hexToBytes(voucher.voucherId));
      return true;
    } catch (error) {
      if (error instanceof RelayError) return false;
      throw error;
    }
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

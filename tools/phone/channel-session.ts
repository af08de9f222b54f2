// Networked mode (R9): the phone reaches a pile connected over OCPP through the relay's virtual
// channel instead of the NFC field — open (the pile greets the user, the phone shows the pile),
// start (a mode chosen on the phone), watch (live status pushed by the relay), stop. What crosses
// the relay is checked as a tap's answers are: the PileHello and PileInfo (signed over this
// phone's fresh nonce) with the pile key the relay registered, the voucher with the pinned relay
// key, the Contract against the voucher and the Receipt against the contract, both with the pile's
// key. The Contract and Receipt are kept in the wallet as a tap's are (committed before the phone
// goes on), so `sync()` still carries them if the relay lost anything.
import { base64urlToBytes, bytesToHex, equalBytes, hexToBytes } from '../../contracts-offline/bytes.ts';
import { type ChargeLimit, limitValue } from '../../contracts-offline/charge-limit.ts';
import { type KeyPair, type RandomSource, randomNonce } from '../../contracts-offline/keys.ts';
import { decodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { contractVoucherDifferences } from '../../contracts-offline/voucher-match.ts';
import type { ChannelEvent } from '../relay-api/routes.ts';
import { type CarriedRecord, openCarriedRecord } from './carried-record.ts';
import { PhoneError, PileRefusedError, RelayError, startRefusalOf } from './errors.ts';
import { type PileScreen, modesIn } from './pile-screen.ts';
import type { RelayClient } from './relay-client.ts';
import { openRelaySigned, relayKey } from './relay-trust.ts';
import { holdRecords } from './wallet-records.ts';
import { type ActiveContract, type WalletState, copyWalletData } from './wallet-state.ts';

/** The phone's wallet, live: the session changes `state` and calls `commit` before going on. */
export type ChannelWallet = { state: WalletState; commit(): void };
export type ChannelSessionDeps = { relay: RelayClient; keyPair: KeyPair; wallet: ChannelWallet; random?: RandomSource };

export type ReceiptRecord = CarriedRecord & { kind: 'receipt' };

const genuine = (condition: boolean, what: string): void => {
  if (!condition) throw new PhoneError('pile-not-genuine', what);
};

export class ChannelSession {
  readonly channelId: string;
  readonly pileId: string;
  /** What the pile showed when the channel opened (its PileInfo, verified). */
  readonly screen: PileScreen;
  readonly #deps: ChannelSessionDeps;
  readonly #pileKey: Uint8Array;
  #contractSeq: number | undefined;

  private constructor(deps: ChannelSessionDeps, channelId: string, screen: PileScreen, pileKey: Uint8Array) {
    this.#deps = deps;
    this.channelId = channelId;
    this.pileId = screen.pileId;
    this.screen = screen;
    this.#pileKey = pileKey;
  }

  /** Opens a channel to `pileId` (Phone.openChannel): the relay checks the user may charge, the pile greets the user. */
  static async open(deps: ChannelSessionDeps, pileId: Uint8Array): Promise<ChannelSession> {
    const { relay, keyPair, wallet } = deps;
    const pileIdHex = bytesToHex(pileId);
    await relayKey(wallet.state, relay);
    const memo = (wallet.state.piles[pileIdHex] ??= {});
    memo.publicKey ??= bytesToHex(hexToBytes((await relay.pile(pileId)).publicKey));
    const pileKey = hexToBytes(memo.publicKey);
    const phoneNonce = randomNonce(16, deps.random);
    const hello = encodeUserHello({ userKid: keyPair.kid, displayName: wallet.state.displayName, phoneNonce });
    const opened = await relay.openChannel(keyPair, { pileId, hello });
    const pileHello = decodePileHello(opened.pileHello);
    genuine(pileHello.ok && equalBytes(pileHello.value.pileId, pileId), `the channel's PileHello is not pile ${pileIdHex}'s`);
    const info = openSigned(opened.pileInfo, { publicKey: pileKey, expectType: 'PileInfo' });
    if (!info.ok) throw new PhoneError('pile-not-genuine', `PileInfo through the channel does not verify with pile ${pileIdHex}'s key: ${info.reason}`);
    const m = info.value.message;
    genuine(equalBytes(m.pileId, pileId) && equalBytes(m.phoneNonce, phoneNonce), 'PileInfo through the channel is not for this pile and this phone\'s nonce');
    Object.assign(memo, { label: m.label, configVersion: m.configVersion, tariff: m.tariff });
    wallet.commit();
    const screen: PileScreen = { pileId: pileIdHex, label: m.label, state: m.state, configVersion: m.configVersion, tariff: m.tariff, modes: modesIn(m.state), verified: true, updatedTo: undefined };
    return new ChannelSession(deps, opened.channelId, screen, pileKey);
  }

  /**
   * Starts charging in the chosen mode: the relay's voucher goes to the pile, whose Contract is
   * kept as the wallet's active contract. A pile's refusal is a PileRefusedError naming the
   * condition, as at a tap.
   */
  async start(limit: ChargeLimit): Promise<ActiveContract> {
    const { relay, keyPair, wallet } = this.#deps;
    let answer;
    try {
      answer = await relay.startChannel(keyPair, this.channelId, limit);
    } catch (error) {
      const sw = error instanceof RelayError && error.code === 'pile-refused' ? /status word ([0-9A-F]{4})/.exec(error.message)?.[1] : undefined;
      if (sw === undefined) throw error;
      const code = Number.parseInt(sw, 16);
      throw new PileRefusedError('START', code, { refusal: startRefusalOf(code, this.screen.state) });
    }
    const record = this.#holdPileRecord(answer.contract, 'contract');
    const voucher = openRelaySigned(wallet.state, answer.authorization, 'Authorization');
    const forUs = bytesToHex(voucher.pileId) === this.pileId && equalBytes(voucher.userKid, keyPair.kid) && voucher.limit.mode === limit.mode && limitValue(voucher.limit) === limitValue(limit);
    if (!forUs) throw new PhoneError('relay-not-trusted', 'the voucher the relay sent the pile is not for this user, pile and limit');
    const differs = contractVoucherDifferences(record.message, voucher);
    genuine(differs.length === 0, `the Contract differs from the voucher in ${differs.join(', ')}`);
    const m = record.message;
    wallet.state.active = { pileId: this.pileId, seq: m.seq, contract: record.text, limit: m.limit, capMinor: m.capMinor, startAtS: m.startAtS };
    wallet.commit();
    this.#contractSeq = m.seq;
    return copyWalletData(wallet.state.active);
  }

  /** User stop: the relay asks the pile to stop; its Receipt ends the active contract in the wallet. */
  async stop(): Promise<ReceiptRecord> {
    const seq = this.#needContract();
    return this.#keepReceipt(await this.#deps.relay.stopChannel(this.#deps.keyPair, this.channelId), seq);
  }

  /**
   * The channel's live events (status, meter, uplink-lost), ending with `ended` once the session's
   * Receipt is held — verified and kept before it is yielded — or when `signal` aborts.
   */
  async *watch(options: { signal?: AbortSignal } = {}): AsyncGenerator<ChannelEvent> {
    for await (const event of this.#deps.relay.channelEvents(this.#deps.keyPair, this.channelId, options)) {
      if (event.event === 'meter' && event.data.contractSeq !== this.#contractSeq) continue;
      if (event.event === 'ended') {
        const seq = this.#needContract();
        const receipt = this.#keepReceipt(base64urlToBytes(event.data.receipt), seq);
        const r = receipt.message;
        genuine(r.endReason === event.data.endReason && r.energyWh === event.data.energyWh && r.durationS === event.data.durationS, 'the ended event does not say what its Receipt says');
        yield event;
        return;
      }
      yield event;
    }
  }

  #needContract(): number {
    if (this.#contractSeq === undefined) throw new PhoneError('no-active-contract', `channel ${this.channelId} has started no contract`);
    return this.#contractSeq;
  }

  #keepReceipt(bytes: Uint8Array, contractSeq: number): ReceiptRecord {
    const record = this.#holdPileRecord(bytes, 'receipt');
    genuine(record.message.contractSeq === contractSeq, `the Receipt is for contract ${record.message.contractSeq}, not ${contractSeq}`);
    return record;
  }

  // A record signed by the pile is billable whatever else is wrong: it is kept (and committed) as
  // soon as its signature verifies, before the phone checks what it says.
  #holdPileRecord<K extends CarriedRecord['kind']>(bytes: Uint8Array, kind: K): Extract<CarriedRecord, { kind: K }> {
    const opened = openCarriedRecord(bytes, this.#pileKey);
    if (!opened.ok) throw new PhoneError('pile-not-genuine', `the ${kind} through the channel does not verify with pile ${this.pileId}'s key: ${opened.reason}`);
    genuine(opened.value.pileId === this.pileId, `a record of pile ${opened.value.pileId} came through the channel to pile ${this.pileId}`);
    holdRecords(this.#deps.wallet.state, [opened.value]);
    this.#deps.wallet.commit();
    genuine(opened.value.kind === kind, `expected a ${kind}, got a ${opened.value.kind}`);
    return opened.value as Extract<CarriedRecord, { kind: K }>;
  }
}

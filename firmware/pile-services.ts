// What the NFC application (firmware/nfc) asks of the rest of the pile (session engine, config,
// outbox, display). The NFC layer decodes, checks signatures, pile ids, nonces and tariff versions;
// these calls then apply the pile's own rules and journal before they answer (commit before act).
import type { StartRefusal } from '../contracts-offline/display-text.ts';
import type { Authorization } from '../contracts-offline/messages/authorization.ts';
import type { PileUpdate } from '../contracts-offline/messages/pile-update.ts';
import type { UserHello } from '../contracts-offline/messages/user-hello.ts';
import type { SeqRange } from '../contracts-offline/messages/ack.ts';
import type { PileState, Tariff } from '../contracts-offline/messages/fields.ts';
import type { BadSignature, Result } from '../contracts-offline/result.ts';

/** Why the pile refused; the NFC layer maps each to its status word (README.md). */
export type PileRefusalStatus =
  | 'unusable' // 6984: authentic but not for now (older config, wrong tariff version)
  | 'conditions' // 6985: the pile's state does not allow it
  | 'full' // 6A84: no journal room for a new contract and its receipt
  | 'device'; // 6F00: a device fault; nothing changed

export type PileOutcome<T> = Result<T, PileRefusalStatus>;

/**
 * The signature check of what a tap brought (a voucher, a StopRequest), read but not verified yet.
 * The services call it once: while the key store signs the answer, or before any other refusal.
 */
export type SignatureCheck = () => boolean;

/** A PileOutcome for a signed request: 'bad-signature' when its check failed (nothing changed, nothing answered). */
export type SignedOutcome<T> = Result<T, PileRefusalStatus | BadSignature>;

/** How the user reached the pile: a phone's tap, or the relay's virtual channel (no second tap follows). */
export type UserArrival = 'tap' | 'channel';

export type PileConfig = { configVersion: number; tariff: Tariff; label: string; maxPowerW: number };

/** The signing key of the pile, as a COSE signer (`signMessageWith`); `signWhile` as `KeyStore.signWhile`. */
export type PileSigner = { kid: Uint8Array; sign(toBeSigned: Uint8Array): Uint8Array; signWhile(toBeSigned: Uint8Array, work: () => void): Uint8Array };

export interface PileServices {
  readonly pileId: Uint8Array;
  readonly firmwareVersion: string;
  /** The relay's Ed25519 public key, from the provisioning record. */
  readonly relayPublicKey: Uint8Array;
  readonly signer: PileSigner;
  state(): PileState;
  config(): PileConfig;

  /** HELLO (tap 1, or a channel opened): show the welcome, the tariff and the mode prompt as `arrival` asks for it (or this user's running session). */
  greet(user: UserHello, arrival: UserArrival): void;
  /** A verified update for this pile: journal it if its version is newer, then apply it. */
  applyUpdate(update: PileUpdate, signedBytes: Uint8Array): PileOutcome<void>;
  /**
   * A fresh voucher for this pile, read: `checkSignature` verifies it while the key store signs
   * the Contract; only a verified voucher's contract is journaled, then charging starts. A refusal
   * (of the pile's state) follows the check; nothing is shown or changed for a forged voucher.
   */
  startSession(voucher: Authorization, displayName: string | undefined, checkSignature: SignatureCheck): SignedOutcome<Uint8Array>;
  /** A START refused for its voucher (changes nothing): say why on the display. */
  showStartRefusal(reason: StartRefusal): void;
  /**
   * A stop for `contractSeq`, read: end the running session (reason user) and answer the signed
   * Receipt, `checkSignature` verifying the stop while the key store signs the receipt (the
   * contactor opens once it says yes); for an ended session whose receipt is still held, answer
   * that receipt again after the check. Nothing changes for a forged stop.
   */
  stopSession(contractSeq: number, by: 'user' | 'relay', checkSignature: SignatureCheck): SignedOutcome<Uint8Array>;
  /** The contract's user key id, when `contractSeq` is the running session or an ended one still held. */
  contractUserKid(contractSeq: number): Uint8Array | undefined;
  /** Signed contracts and receipts not yet acknowledged with seq > `afterSeq`, oldest first. */
  outbox(afterSeq: number, maxRecords: number): { records: { seq: number; bytes: Uint8Array }[]; remaining: number };
  /** A verified Ack for this pile: mark the covered records acknowledged; answers the count still unacknowledged. */
  acknowledge(ranges: readonly SeqRange[]): PileOutcome<number>;
}

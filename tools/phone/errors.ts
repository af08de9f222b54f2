// Every way a phone flow can fail, in one place: the phone's own refusals (PhoneError, with a code),
// the relay's (RelayError: its HTTP status and error code; RelayUnreachableError when no answer
// came, so records stay in the wallet for a later sync), the pile's (PileRefusedError: a status word
// other than 9000 — for START also which condition, in the words the pile's display shows;
// PileAnswerError: an answer that breaks the protocol), the link to the pile
// (PileLinkError: TCP bridge or PC/SC reader), a command APDU too long for the link
// (ApduTooLongError) and the wallet file (WalletFileError).
import { SW, swHex } from '../../contracts-offline/apdu.ts';
import { type StartRefusal, startRefusalText } from '../../contracts-offline/display-text.ts';
import type { PileState } from '../../contracts-offline/messages/fields.ts';
import { CodedError } from '../coded-error.ts';

export type PhoneErrorCode =
  | 'no-pile-nonce' // a voucher needs the nonce of a tap 1 at that pile
  | 'pile-nonce-expired' // the tap-1 nonce is older than the pile keeps it
  | 'no-voucher' // tap 2 without a voucher
  | 'voucher-expired'
  | 'wrong-pile' // the tapped pile is not the one the voucher / contract is for
  | 'no-active-contract' // stop without a running contract
  | 'pile-not-genuine' // PileInfo or a record does not verify with the pile key the relay registered
  | 'relay-not-trusted' // a relay-signed message does not verify with the pinned relay key
  | 'not-registered';

export class PhoneError extends CodedError<PhoneErrorCode> {}

/** The relay's `error` code (e.g. "insufficient-funds"), or "bad-response" / "unreachable" / "http-NNN". */
export class RelayError extends CodedError<string> {
  /** HTTP status; 0 when no answer came (see RelayUnreachableError). */
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** No HTTP answer: connection refused, DNS, timeout. Records stay on the phone for a later sync. */
export class RelayUnreachableError extends RelayError {
  constructor(message: string) {
    super(0, 'unreachable', message);
  }
}

export type PileCommandName = 'SELECT' | 'HELLO' | 'UPDATE' | 'START' | 'STOP' | 'OUTBOX' | 'ACK';

const swMeanings: ReadonlyMap<number, string> = new Map([
  [SW.wrongLength, 'wrong length (a command, its data or its chain has the wrong size)'],
  [SW.chainBroken, 'command chain broken, or no answer left to fetch'],
  [SW.securityNotSatisfied, 'signature or signer refused'],
  [SW.referenceNotUsable, 'authentic but unusable here (its tap nonce already used; another pile; config not newer)'],
  [SW.referenceNotFound, 'the tap nonce is not one the pile holds (the pile restarted, or 8 later taps pushed it out)'],
  [SW.nonceExpired, "the tap nonce is older than 15 minutes on the pile's clock"],
  [SW.tariffChanged, 'the voucher is for another tariff version than the pile applies'],
  [SW.conditionsNotSatisfied, "the pile's state does not allow it (no vehicle, busy, no such session, fault, not provisioned)"],
  [SW.notAllowed, 'the tapcharge application is not selected in this tap'],
  [SW.wrongData, 'malformed data'],
  [SW.appNotFound, 'no tapcharge application on this card'],
  [SW.memoryFull, "the pile's journal is full"],
  [SW.wrongP1P2, 'wrong P1/P2'],
  [SW.insNotSupported, 'command not supported'],
  [SW.claNotSupported, 'class byte not supported'],
  [SW.deviceFault, 'device fault inside the pile (nothing changed)'],
]);

/** What status word `sw` means in the tapcharge protocol. */
export function describeStatusWord(sw: number): string {
  return swMeanings.get(sw) ?? 'unexpected status word';
}

/**
 * Which condition refused a START (firmware/nfc/README.md "START"), from its status word and the
 * pile's state at this tap's SELECT (6985 covers no vehicle, a session running and a fault).
 * 6984 also answers a voucher for another pile, which the phone never sends (it checks the pile
 * id first): at START it means the voucher's tap nonce was used.
 */
export function startRefusalOf(sw: number, pileState: PileState | undefined): StartRefusal | undefined {
  switch (sw) {
    case SW.referenceNotFound: return 'nonce-unknown';
    case SW.referenceNotUsable: return 'nonce-used';
    case SW.nonceExpired: return 'nonce-expired';
    case SW.tariffChanged: return 'tariff-changed';
    case SW.memoryFull: return 'journal-full';
    case SW.deviceFault: return 'pile-fault';
    case SW.conditionsNotSatisfied:
      if (pileState === 'available') return 'no-vehicle';
      if (pileState === 'charging' || pileState === 'suspended') return 'busy';
      return pileState === 'faulted' ? 'out-of-service' : undefined;
    default: return undefined;
  }
}

/** The pile answered a status word other than 9000 / 61xx: it refused the command and changed nothing. */
export class PileRefusedError extends Error {
  override readonly name = 'PileRefusedError';
  readonly command: PileCommandName;
  readonly sw: number;
  /** START: the condition that refused it, in the words the pile's display shows (undefined when the status word does not say). */
  readonly startRefusal: StartRefusal | undefined;
  /** START: the voucher could never start a contract: the phone dropped it and cancels it at the relay with its next `sync()`, which frees its cap. */
  readonly voucherCancelled: boolean;
  constructor(command: PileCommandName, sw: number, start: { refusal?: StartRefusal | undefined; voucherCancelled?: boolean } = {}) {
    const why = start.refusal ? startRefusalText(start.refusal) : describeStatusWord(sw);
    super(`${command} refused by the pile: ${swHex(sw)} ${why}${start.voucherCancelled ? ' (the voucher is cancelled: the next sync frees its cap)' : ''}`);
    this.command = command;
    this.sw = sw;
    this.startRefusal = start.refusal;
    this.voucherCancelled = start.voucherCancelled ?? false;
  }
}

/** The pile answered 9000 with data that breaks the protocol (malformed, wrong record, bad signature). */
export class PileAnswerError extends Error {
  override readonly name = 'PileAnswerError';
  readonly command: PileCommandName;
  constructor(command: PileCommandName, reason: string) {
    super(`${command}: the pile's answer is not usable: ${reason}`);
    this.command = command;
  }
}

/** The link to the pile failed: refused, closed, timed out, the pile answered ERROR, or the PC/SC reader failed. */
export class PileLinkError extends Error {
  override readonly name = 'PileLinkError';
}

/** The phone was about to send a command APDU longer than an ISO-DEP link carries; nothing was sent. */
export class ApduTooLongError extends Error {
  override readonly name = 'ApduTooLongError';
  readonly byteLength: number;
  readonly maxBytes: number;
  constructor(byteLength: number, maxBytes: number) {
    super(`command APDU of ${byteLength} bytes refused: the link carries at most ${maxBytes} (a short APDU; Android's default IsoDep transceive limit)`);
    this.byteLength = byteLength;
    this.maxBytes = maxBytes;
  }
}

export class WalletFileError extends Error {
  override readonly name = 'WalletFileError';
}

// Why a phone flow stopped before or instead of talking to the pile. Pile refusals are
// PileRefusedError / PileAnswerError (pile-reader.ts); relay failures are RelayError.

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

export class PhoneError extends Error {
  readonly code: PhoneErrorCode;
  constructor(code: PhoneErrorCode, message: string) {
    super(message);
    this.name = 'PhoneError';
    this.code = code;
  }
}

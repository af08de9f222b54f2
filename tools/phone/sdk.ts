// The phone SDK as an app embeds it (README.md "Embedding the SDK"): the wallet app `Phone`, the
// pile reader, the relay client, the wallet's JSON state and every error they throw. Platform
// neutral — no Node, DOM or React Native API: the app injects the NFC link (an object with
// `transceive(apdu)`), the wallet storage (`save`), randomness (`random`) where there is no
// crypto.getRandomValues, and `fetch` if it has no global one. The Node adapters (TCP bridge,
// PC/SC reader, wallet file) stay outside this entry. This file is the bundlers' entry point
// (test/phone/neutral-bundle.test.ts builds it with esbuild for platform "neutral").
export { TAPCHARGE_AID } from '../../contracts-offline/apdu.ts';
export type { ChargeLimit, ChargeMode } from '../../contracts-offline/charge-limit.ts';
export type { RandomSource } from '../../contracts-offline/keys.ts';
export type { CarriedRecord } from './carried-record.ts';
export { ChannelSession, type ReceiptRecord } from './channel-session.ts';
export type { ChannelEvent } from '../relay-api/routes.ts';
export {
  ApduTooLongError, PhoneError, type PhoneErrorCode, PileAnswerError, type PileCommandName, PileLinkError, PileRefusedError,
  RelayError, RelayUnreachableError, describeStatusWord,
} from './errors.ts';
export { type Carried, PILE_NONCE_LIFETIME_MS, Phone, type PhoneOptions, type PileLeft, type PileScreen, type RelayInField, type TapReport } from './phone.ts';
export type { SyncReport } from './phone-sync.ts';
export {
  COMMAND_APDU_MAX_BYTES, type IsoDepTransport, type OutboxPage, type OutboxRecord, PileReader, type SignedRecord,
} from './pile-reader.ts';
export { RelayClient, type RelayClientOptions, type UserAccount, type UserContract } from './relay-client.ts';
export { DEFAULT_TAP_BUDGET, type TapAir, type TapBudget } from './tap-meter.ts';
export { type ActiveContract, type VoucherMemo, WALLET_FORMAT, type WalletState, parseWalletState } from './wallet-state.ts';

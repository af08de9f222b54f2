// What a command handler returns, and what every handler is given.
import { SW } from '../../contracts-offline/apdu.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import type { BadSignature, Malformed } from '../../contracts-offline/result.ts';
import type { PileRefusalStatus, PileServices } from '../pile-services.ts';
import type { NonceBook, NonceStatus } from './nonce-book.ts';

/** Response data and status word; data only with 9000 (the framing pages it when over 256 bytes). */
export type Answer = { data: Uint8Array; sw: number };

export type TapContext = {
  services: PileServices;
  /** Checks every signature a tap brings. */
  crypto: Ed25519Provider;
  nonces: NonceBook;
  /** The user of the last HELLO (RAM only), whose display name START shows. */
  lastGreeting: { userKid: Uint8Array; displayName: string } | undefined;
};

export type CommandHandler = (context: TapContext, data: Uint8Array) => Answer;

const EMPTY = new Uint8Array(0);

export function done(data: Uint8Array = EMPTY): Answer {
  return { data, sw: SW.ok };
}

export function refused(sw: number): Answer {
  return { data: EMPTY, sw };
}

/** Why a command is refused: its signed input (malformed, bad signature) or the pile's services. */
export type Refusal = Malformed | BadSignature | PileRefusalStatus;

const refusalSw: Readonly<Record<Refusal, number>> = Object.freeze({
  malformed: SW.wrongData,
  'bad-signature': SW.securityNotSatisfied,
  unusable: SW.referenceNotUsable,
  conditions: SW.conditionsNotSatisfied,
  full: SW.memoryFull,
  device: SW.deviceFault,
});

/** The status word of a refusal (README.md "Status words"). */
export function refusalAnswer(code: Refusal): Answer {
  return refused(refusalSw[code] ?? SW.deviceFault);
}

/** A START or STOP whose nonce is not outstanding: the status word that says why (README.md "Nonces"). */
export const nonceRefusalSw: Readonly<Record<Exclude<NonceStatus, 'outstanding'>, number>> = Object.freeze({
  unknown: SW.referenceNotFound,
  used: SW.referenceNotUsable,
  expired: SW.nonceExpired,
});

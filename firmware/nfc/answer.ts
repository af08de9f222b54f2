// What a command handler returns, and what every handler is given.
import { SW } from '../../contracts-offline/apdu.ts';
import type { PileRefusalStatus, PileServices } from '../pile-services.ts';
import type { NonceBook } from './nonce-book.ts';

/** Response data and status word; data only with 9000 (the framing pages it when over 256 bytes). */
export type Answer = { data: Uint8Array; sw: number };

export type TapContext = {
  services: PileServices;
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

const refusalSw: Readonly<Record<PileRefusalStatus, number>> = Object.freeze({
  unusable: SW.referenceNotUsable,
  conditions: SW.conditionsNotSatisfied,
  full: SW.memoryFull,
  device: SW.deviceFault,
});

/** The status word for a refusal from the pile's services (README.md "Status words"). */
export function refusalAnswer(status: PileRefusalStatus): Answer {
  return refused(refusalSw[status] ?? SW.deviceFault);
}

// What the console's commands see of the pile, and the rules several of them share.
import type { PileHal } from '../../hal/types.ts';
import type { Ed25519Provider } from '../../contracts-offline/crypto.ts';
import { asciiText } from '../../contracts-offline/display-text.ts';
import { type Failure, type Result, fail } from '../../contracts-offline/result.ts';
import type { ConsoleAnswerMap, ConsoleCommand, ConsoleErrorCode, ConsoleRequestMap } from '../../contracts-offline/console/messages.ts';
import type { PileHandle } from '../pile.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Challenge } from './challenge.ts';

export type ConsoleContext = {
  readonly hal: PileHal;
  readonly board: string;
  readonly firmwareVersion: string;
  readonly log: EventLog;
  readonly challenge: Challenge;
  readonly crypto: Ed25519Provider;
  /** The pile as booted now (read it fresh: a reboot replaces it). */
  pile(): PileHandle;
  /** Shut the pile down and boot it again (after Provision and FactoryReset). */
  reboot(): void;
  /** Whole seconds since power-on. */
  uptimeS(): number;
  /** The wall clock was set from `previousMs` to `nowMs` (uptime does not jump with it). */
  clockSet(previousMs: number, nowMs: number): void;
};

/** A command's answer without its request id, or the Error code and reason. */
export type Outcome<C extends ConsoleCommand> = Result<Omit<ConsoleAnswerMap[C], 'requestId'>, ConsoleErrorCode>;

/** Runs one request; calls `reply` exactly once (at once, or later from a timer: SelfTest). */
export type CommandHandler<C extends ConsoleCommand> = (context: ConsoleContext, request: ConsoleRequestMap[C], reply: (outcome: Outcome<C>) => void) => void;

/** A handler that answers at once. */
export function answerNow<C extends ConsoleCommand>(run: (context: ConsoleContext, request: ConsoleRequestMap[C]) => Outcome<C>): CommandHandler<C> {
  return (context, request, reply) => reply(run(context, request));
}

/** 'busy' while an NFC tap is in progress (a changing command waits for the tap to end). */
export function tapInProgress(context: ConsoleContext): Failure<'busy'> | undefined {
  return context.pile().tapInProgress() ? fail('busy', 'an NFC tap is in progress; try again when it ends') : undefined;
}

/** 'refused' while a charging session runs. */
export function sessionRunning(context: ConsoleContext): Failure<'refused'> | undefined {
  const running = context.pile().services?.session;
  return running ? fail('refused', `charging session ${running.contract.seq} is running`) : undefined;
}

/** The key store's public key, undefined when it holds none; throws on a device fault. */
export function pilePublicKey(context: ConsoleContext): Uint8Array | undefined {
  return context.hal.keyStore.hasKey() ? context.hal.keyStore.publicKey : undefined;
}

/** Printable ASCII, at most `maxChars` (answer text fields are bounded). */
export function shortText(text: string, maxChars: number): string {
  return asciiText(text).slice(0, maxChars);
}

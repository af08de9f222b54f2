// The technician's end of the service console (firmware/console/README.md): one request at a
// time over a serial link, each with the next request id, answered by the frame echoing that id.
// Whatever else arrives (garbled frames, answers to other ids, frame-level errors with id 0) is
// not this request's answer and is skipped. No answer in time is ConsoleLinkError 'no-answer'; the
// pile's Error answer is ConsoleRefusalError carrying the console's code and the pile's reason.
import { FrameReader, encodeFrame } from '../../contracts-offline/console/frame.ts';
import { REQUEST_ID_MAX } from '../../contracts-offline/console/fields.ts';
import {
  type ConsoleAnswer, type ConsoleAnswerMap, type ConsoleCommand, type ConsoleErrorCode, type ConsoleRequestMap, decodeConsoleAnswer, encodeConsoleRequest,
} from '../../contracts-offline/console/messages.ts';
import { CodedError } from '../coded-error.ts';
import { ConsoleLinkError } from './errors.ts';
import { type SerialLink, openSerialLink } from './serial-link.ts';

/** How long the pile may take to answer one request. */
export const CONSOLE_ANSWER_TIMEOUT_MS = 3000;

/** The pile answered a request with the console's Error answer. */
export class ConsoleRefusalError extends CodedError<ConsoleErrorCode> {
  readonly command: ConsoleCommand;
  /** The pile's own words. */
  readonly reason: string;
  constructor(command: ConsoleCommand, code: ConsoleErrorCode, reason: string) {
    super(code, `the pile refused ${command}: ${code}${reason ? ` (${reason})` : ''}`);
    this.command = command;
    this.reason = reason;
  }
}

type Fields<C extends ConsoleCommand> = Omit<ConsoleRequestMap[C], 'requestId'>;
type Waiting = { requestId: number; command: ConsoleCommand; settle(answer: ConsoleAnswer | Error): void };

export type ConsoleClientOptions = { timeoutMs?: number; random?: () => number };

export class ConsoleClient {
  readonly path: string;
  readonly #link: SerialLink;
  readonly #timeoutMs: number;
  readonly #reader = new FrameReader();
  #nextRequestId: number;
  #waiting: Waiting | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #lost: ConsoleLinkError | undefined;
  #resynced = false;

  /** Opens `path` (ConsoleLinkError when the port cannot be opened). */
  static async open(path: string, options: ConsoleClientOptions = {}): Promise<ConsoleClient> {
    return new ConsoleClient(await openSerialLink(path), options);
  }

  constructor(link: SerialLink, options: ConsoleClientOptions = {}) {
    this.path = link.path;
    this.#link = link;
    this.#timeoutMs = options.timeoutMs ?? CONSOLE_ANSWER_TIMEOUT_MS;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new RangeError(`console-client: "timeoutMs" expected a positive integer, got ${this.#timeoutMs}`);
    // a random first id: a late answer to an earlier session's request is not taken for this one's
    this.#nextRequestId = 1 + Math.floor((options.random ?? Math.random)() * REQUEST_ID_MAX);
    link.setReceiver((bytes) => this.#received(bytes));
    link.onLost((error) => {
      this.#lost = error;
      this.#waiting?.settle(error);
    });
  }

  /** Sends one request and answers its answer; requests made meanwhile wait their turn. */
  request<C extends ConsoleCommand>(command: C, fields: Fields<C>): Promise<ConsoleAnswerMap[C]> {
    const turn = this.#queue.then(() => this.#exchange(command, fields));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  close(): Promise<void> {
    return this.#link.close();
  }

  #exchange<C extends ConsoleCommand>(command: C, fields: Fields<C>): Promise<ConsoleAnswerMap[C]> {
    if (this.#lost) return Promise.reject(this.#lost);
    const requestId = this.#nextRequestId;
    this.#nextRequestId = requestId === REQUEST_ID_MAX ? 1 : requestId + 1;
    const frame = encodeFrame(encodeConsoleRequest(command, { ...fields, requestId } as ConsoleRequestMap[C]));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new ConsoleLinkError('no-answer', `the pile does not answer on ${this.path} (is it a tapcharge pile, and powered?)`));
      }, this.#timeoutMs);
      this.#waiting = {
        requestId,
        command,
        settle: (answer) => {
          clearTimeout(timer);
          this.#waiting = undefined;
          if (answer instanceof Error) reject(answer);
          else if (answer.command === 'Error') reject(new ConsoleRefusalError(command, answer.error.code, answer.error.reason));
          else if (answer.command !== command) reject(new ConsoleLinkError('bad-answer', `the pile on ${this.path} answered ${command} with a ${answer.command} answer`));
          else resolve(answer.answer as ConsoleAnswerMap[C]);
        },
      };
      try {
        // a leading delimiter ends whatever partial frame the pile's reader holds from before
        this.#link.write(this.#resynced ? frame : Uint8Array.of(0, ...frame));
        this.#resynced = true;
      } catch (error) {
        this.#waiting.settle(error as Error);
      }
    });
  }

  #received(bytes: Uint8Array): void {
    for (const event of this.#reader.push(bytes)) {
      if (!event.ok) continue;
      const answer = decodeConsoleAnswer(event.body);
      if (!answer.ok) continue;
      const id = answer.value.command === 'Error' ? answer.value.error.requestId : answer.value.answer.requestId;
      if (this.#waiting && id === this.#waiting.requestId) this.#waiting.settle(answer.value);
    }
  }
}

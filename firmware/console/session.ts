// The service console on the board's service port (README.md): frames in (FrameReader), one
// answer per request, in order; frame errors answered with request id 0. Nothing a host sends
// throws out of the receiver: a command's device fault answers 'device', a write the port refuses
// is logged and dropped. Requests arriving while a command answers later (SelfTest waits for the
// contactor) queue, at most `queuedFramesMax`; past that they are dropped and one 'busy' error
// with request id 0 says how many once the queue has drained.
import type { ServicePort } from '../../hal/types.ts';
import { type FrameEvent, FrameReader, encodeFrame } from '../../contracts-offline/console/frame.ts';
import {
  type ConsoleCommand, type ConsoleErrorCode, type ConsoleRequest, decodeConsoleRequest, encodeConsoleAnswer, encodeConsoleError,
} from '../../contracts-offline/console/messages.ts';
import type { ConsoleAnswerMap } from '../../contracts-offline/console/messages.ts';
import { commandHandlers } from './commands.ts';
import type { CommandHandler, ConsoleContext, Outcome } from './context.ts';

const queuedFramesMax = 32;

export type ServiceConsole = { stop(): void };

export function startServiceConsole(port: ServicePort, context: ConsoleContext): ServiceConsole {
  const reader = new FrameReader();
  const queue: FrameEvent[] = [];
  let dropped = 0;
  let answering = false;

  function send(body: Uint8Array): void {
    try {
      port.write(encodeFrame(body));
    } catch (error) {
      context.log.record('warning', `service port write failed: ${(error as Error).message}`);
    }
  }

  function sendError(requestId: number, code: ConsoleErrorCode, reason: string): void {
    send(encodeConsoleError({ requestId, code, reason }));
  }

  function answer<C extends ConsoleCommand>(command: C, requestId: number, outcome: Outcome<C>): void {
    if (!outcome.ok) return sendError(requestId, outcome.code, outcome.reason);
    let body: Uint8Array;
    try {
      body = encodeConsoleAnswer(command, { ...outcome.value, requestId } as ConsoleAnswerMap[C]);
    } catch (error) {
      return sendError(requestId, 'device', `answer not encodable: ${(error as Error).message}`);
    }
    send(body);
  }

  /** Run one request; `done` once it has been answered (at once, or later). */
  function run({ command, request }: ConsoleRequest, done: () => void): void {
    let replied = false;
    const reply = (outcome: Outcome<ConsoleCommand>): void => {
      if (replied) return;
      replied = true;
      answer(command, request.requestId, outcome as Outcome<typeof command>);
      done();
    };
    try {
      (commandHandlers[command] as CommandHandler<ConsoleCommand>)(context, request as never, reply);
    } catch (error) {
      reply({ ok: false, code: 'device', reason: `device fault: ${(error as Error).message}` });
    }
  }

  function drain(): void {
    while (!answering && queue.length > 0) {
      const event = queue.shift()!;
      if (!event.ok) {
        sendError(0, event.code, event.reason);
        continue;
      }
      const decoded = decodeConsoleRequest(event.body);
      if (!decoded.ok) {
        sendError(decoded.requestId, decoded.code, decoded.reason);
        continue;
      }
      answering = true;
      let sync = true;
      run(decoded.value, () => {
        answering = false;
        if (!sync) drain();
      });
      sync = false;
    }
    if (!answering && dropped > 0) {
      sendError(0, 'busy', `${dropped} frames dropped while a command was answering`);
      dropped = 0;
    }
  }

  port.setReceiver((bytes) => {
    try {
      for (const event of reader.push(bytes)) {
        if (queue.length < queuedFramesMax) queue.push(event);
        else dropped++;
        drain();
      }
    } catch (error) {
      context.log.record('fault', `service console: ${(error as Error).message}`);
    }
  });
  return { stop: () => port.setReceiver(undefined) };
}

// Test rig for the service console: a simulated board with a USB service port (hal/sim
// ServicePortSim loopback) running the real firmware runtime (firmware/pile-runtime.ts runPile),
// a relay key pair made here, and a host that frames requests and reads answers. Deterministic:
// fixed keys, seeded RNG and flash, virtual time.
import { FrameReader, encodeFrame } from '../../../contracts-offline/console/frame.ts';
import {
  type ConsoleAnswer, type ConsoleCommand, type ConsoleRequestMap, decodeConsoleAnswer, encodeConsoleRequest,
} from '../../../contracts-offline/console/messages.ts';
import type { ConsoleAnswerMap, ConsoleError } from '../../../contracts-offline/console/answers.ts';
import { type SimulatedPile, createSimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import type { ServicePortHost } from '../../../hal/sim/service-port.ts';
import { type PileRuntime, runPile } from '../../../firmware/pile-runtime.ts';
import { consolePileId, relay, signedAuthorization, signedPileUpdate, startMs } from '../../support/console-signing.ts';

export const board = 'sim-board';

/** The host end: sends frames, collects every answer frame the pile wrote. */
export class ConsoleHost {
  readonly #host: ServicePortHost;
  readonly #sim: SimulatedPile;
  readonly #reader = new FrameReader();
  readonly answers: ConsoleAnswer[] = [];
  #nextId = 1;

  constructor(sim: SimulatedPile) {
    this.#sim = sim;
    this.#host = sim.servicePort!.host;
    this.#host.onData((bytes) => {
      for (const event of this.#reader.push(bytes)) {
        if (!event.ok) throw new Error(`rig: the pile sent a bad frame: ${event.reason}`);
        const answer = decodeConsoleAnswer(event.body);
        if (!answer.ok) throw new Error(`rig: the pile sent an undecodable answer: ${answer.reason}`);
        this.answers.push(answer.value);
      }
    });
  }

  /** Write raw bytes to the pile and let its event loop deliver them (`advanceMs` of virtual time). */
  sendBytes(bytes: Uint8Array, advanceMs = 0): void {
    this.#host.write(bytes);
    this.#sim.clock.advance(advanceMs);
  }

  /** One request; answers the pile's answer (or its Error). */
  ask<C extends ConsoleCommand>(command: C, request: Omit<ConsoleRequestMap[C], 'requestId'>, advanceMs = 0): ConsoleAnswerMap[C] | ConsoleError {
    const requestId = this.#nextId++;
    const before = this.answers.length;
    this.sendBytes(encodeFrame(encodeConsoleRequest(command, { ...request, requestId } as ConsoleRequestMap[C])), advanceMs);
    if (this.answers.length !== before + 1) throw new Error(`rig: expected one answer to ${command}, got ${this.answers.length - before}`);
    const answer = this.answers[before]!;
    const echoed = answer.command === 'Error' ? answer.error.requestId : answer.answer.requestId;
    if (echoed !== requestId) throw new Error(`rig: answer to request ${echoed}, expected ${requestId}`);
    if (answer.command === 'Error') return answer.error;
    if (answer.command !== command) throw new Error(`rig: ${command} answered with ${answer.command}`);
    return answer.answer as ConsoleAnswerMap[C];
  }

  /** A request the pile must answer (not with an Error). */
  expect<C extends ConsoleCommand>(command: C, request: Omit<ConsoleRequestMap[C], 'requestId'>, advanceMs = 0): ConsoleAnswerMap[C] {
    const answer = this.ask(command, request, advanceMs);
    if ('code' in answer) throw new Error(`rig: ${command} refused (${answer.code}: ${answer.reason})`);
    return answer;
  }

  /** The current challenge (Identify renews it). */
  challenge(): Uint8Array {
    return this.expect('Identify', {}).challenge;
  }
}

export type ConsoleRig = { sim: SimulatedPile; runtime: PileRuntime; host: ConsoleHost };

/** A blank board (blank key store unless `secretKey`) with a service port, running the firmware. */
export function blankConsoleRig(options: { secretKey?: Uint8Array; seed?: number } = {}): ConsoleRig {
  const sim = createSimulatedPile({ ...options, servicePort: true, startMs, meterEnergyWh: 1_000_000, meterSerialNumber: 4_242_001 });
  const runtime = runPile(sim.hal, { board });
  return { sim, runtime, host: new ConsoleHost(sim) };
}

/** Provision a blank rig through the console, as `tapcharge provision` does. */
export function provisionThroughConsole(rig: ConsoleRig): void {
  const { host } = rig;
  const pilePublicKey = host.expect('CreateKey', {}).pilePublicKey;
  const challenge = host.challenge();
  host.expect('Provision', {
    pileId: consolePileId, relayPublicKey: relay.publicKey, pilePublicKey, pileUpdate: signedPileUpdate(consolePileId), firstBillingSeq: 1,
    authorization: signedAuthorization({ pileId: consolePileId, pilePublicKey, challenge, scope: 'provision' }),
  });
}

/** A provisioned pile, through the console. */
export function provisionedConsoleRig(options: { seed?: number } = {}): ConsoleRig {
  const rig = blankConsoleRig(options);
  provisionThroughConsole(rig);
  return rig;
}

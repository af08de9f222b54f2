// The pile from power-on: boots it (firmware/pile.ts), keeps the event log of what happened since
// power-on, runs the service console on the board's service port (when it has one) across
// reboots, and reboots the pile after the console provisioned or reset it. Callers read
// `runtime.handle` fresh each time: a reboot replaces it.
import type { PileHal } from '../hal/types.ts';
import { nobleEd25519 } from '../contracts-offline/crypto.ts';
import { endDetailText } from '../contracts-offline/display-text.ts';
import { type BootOptions, type PileHandle, bootPile, defaultPileSettings } from './pile.ts';
import { EventLog } from './events/event-log.ts';
import { Challenge } from './console/challenge.ts';
import { type ServiceConsole, startServiceConsole } from './console/session.ts';

export type PileRuntime = {
  readonly handle: PileHandle;
  readonly log: EventLog;
  /** Shut the pile down and boot it again from its journal (the console keeps running). */
  reboot(): void;
  /** Stop the console and the pile (the board is going down). */
  shutdown(): void;
};

export type RuntimeOptions = BootOptions & {
  /** The board's name, as Identify reports it (≤ 32 characters). */
  board: string;
};

export function runPile(hal: PileHal, options: RuntimeOptions): PileRuntime {
  const { board, ...bootOptions } = options;
  const log = new EventLog(hal.clock);
  let powerOnMs = hal.clock.nowMs();
  const boot = (): PileHandle => {
    const handle = bootPile(hal, { ...bootOptions, reboot: () => runtime.reboot() }, (level, text) => log.record(level, text));
    if (handle.fault) log.record(handle.fault === 'not provisioned' ? 'warning' : 'fault', `boot: ${handle.fault}`);
    else log.record('info', `boot: running, state ${handle.services?.state()}`);
    for (const receipt of handle.recovered) log.record('warning', `session ${receipt.contractSeq} ended at boot: ${endDetailText(receipt.endDetail)}`);
    return handle;
  };
  let handle = boot();
  const runtime: PileRuntime = {
    get handle() {
      return handle;
    },
    log,
    reboot() {
      handle.shutdown();
      handle = boot();
    },
    shutdown() {
      serviceConsole?.stop();
      handle.shutdown();
    },
  };
  const serviceConsole: ServiceConsole | undefined = hal.servicePort && startServiceConsole(hal.servicePort, {
    hal,
    board,
    firmwareVersion: bootOptions.firmwareVersion ?? defaultPileSettings.firmwareVersion,
    log,
    challenge: new Challenge(hal.random),
    crypto: hal.crypto ?? nobleEd25519,
    pile: () => handle,
    reboot: () => runtime.reboot(),
    uptimeS: () => Math.max(0, Math.floor((hal.clock.nowMs() - powerOnMs) / 1000)),
    clockSet: (previousMs, nowMs) => {
      powerOnMs += nowMs - previousMs;
    },
  });
  return runtime;
}

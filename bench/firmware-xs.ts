// Runs inside xsnap (bundled by bench/firmware.bench.ts): the scripted pile day
// (test/firmware/day/) with the pile's work metered in XS metering units. Input global BENCH_MODE:
//   'meter'          — the whole day; every APDU the card handler answers and every supervision
//                      tick is metered (resetMeter around the firmware's own call), plus an Ed25519
//                      sign and verify of the day's first Contract measured in the same run.
//                      Output: one line `BENCH-FW {json}`.
//   'meter-host'     — the same day on the host board (boards/host: the five drivers over the bus
//                      simulations); each supervision tick metered twice: everything, and without
//                      the bus simulations (metering paused inside every embedded:io call, which is
//                      native code on a board), with the bus time the tick's IO took.
//                      Output: one line `BENCH-FW-HOST {json}`.
//   'heap-1-booted' / 'heap-2-booted'   — one pile booted beside a second simulated board that is
//                      not provisioned or booted / that is booted too.
//   'heap-1-session' / 'heap-2-session' — likewise, each booted pile 30 s into its first session.
// The heap modes keep only the simulated boards and the piles' handles reachable (the day's
// phones, test relay and logs are garbage by then); the bench writes the XS snapshot at exit. The
// difference between a '2-' and its '1-' run is one pile's own data: the code every run holds alike.
import { parseSign1, sigStructure } from '../contracts-offline/cose-sign1.ts';
import { nobleEd25519 } from '../contracts-offline/crypto.ts';
import type { NfcCardHandler } from '../hal/types.ts';
import { pileKey, pileSecretKey } from '../test/support/pile-rig.ts';
import { type DayBoard, runScriptedDay } from '../test/support/day/scripted-day.ts';
import type { HostBoard } from '../boards/host/hal.ts';
import { meteredRuns } from './xs-meter.ts';

declare function print(...values: unknown[]): void;
declare function resetMeter(limit: number, index: number): number;
declare const BENCH_MODE: 'meter' | 'meter-host' | 'heap-1-booted' | 'heap-2-booted' | 'heap-1-session' | 'heap-2-session';

export type MeteredApdu = { tap: number; command: string; units: number };
export type TickKind = 'idle' | 'charging' | 'checkpoint' | 'session end';
export type MeteredTick = { kind: TickKind; units: number };
/** A tick on the host board: `units` all of it, `withoutBusUnits` without the bus simulations, `busUs` its bus time. */
export type MeteredHostTick = MeteredTick & { withoutBusUnits: number; busUs: number };

const commandByIns: Record<number, string> = { 0xa4: 'SELECT', 0xc0: 'GET RESPONSE', 0x10: 'HELLO', 0x12: 'UPDATE', 0x14: 'START', 0x16: 'STOP', 0x18: 'OUTBOX', 0x1a: 'ACK' };
const runs = 3;
type Kept = { sim: DayBoard['sim']; handle: DayBoard['handle'] };
const keep = globalThis as { benchKept?: Kept[] };

const metered = (work: () => unknown): number[] => meteredRuns(work, runs);

/** Meter each APDU the pile answers (GET RESPONSE is booked to the command it continues). */
function meterNfc(board: DayBoard, apdus: MeteredApdu[]): void {
  const field = board.sim.nfc;
  let tap = -1;
  let command = '';
  board.sim.hal.nfc = {
    setHandler(handler: NfcCardHandler | undefined) {
      field.setHandler(handler && {
        onFieldOn() {
          tap++;
          handler.onFieldOn();
        },
        onFieldOff: () => handler.onFieldOff(),
        onApdu(apdu: Uint8Array): Uint8Array {
          const name = commandByIns[apdu[1]!] ?? 'other';
          if (name !== 'GET RESPONSE') command = name;
          resetMeter(0, 0);
          const response = handler.onApdu(apdu);
          apdus.push({ tap, command, units: resetMeter(0, 0) });
          return response;
        },
      });
    },
  };
}

/** In a tick on the host board: the firmware's units counted up to each embedded:io call, and the bus simulations' inside them. */
const split = { firmwareUnits: 0, busUnits: 0, inBus: false };

/**
 * Pause the meter's count for the firmware inside every method of the board's IO classes: the
 * units before the call are kept, the simulation's own are booked to `busUnits`.
 */
function meterBusSeparately(host: HostBoard): void {
  // The IO classes, and the bus clock their simulations and the drivers' blocking waits advance.
  const prototypes = [host.io.Serial, host.io.Digital, host.io.PWM, host.io.Analog, host.io.I2C].map((io) => io.prototype as object);
  for (const prototype of [...prototypes, Object.getPrototypeOf(host.time) as object] as Record<string, unknown>[]) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)!.value;
      if (name === 'constructor' || typeof method !== 'function') continue;
      prototype[name] = function (this: unknown, ...args: unknown[]): unknown {
        if (split.inBus) return method.apply(this, args);
        split.firmwareUnits += resetMeter(0, 0);
        split.inBus = true;
        try {
          return method.apply(this, args);
        } finally {
          split.inBus = false;
          split.busUnits += resetMeter(0, 0);
        }
      };
    }
  }
}

/** Meter the supervision tick (the firmware's only timer), classified by what it did. */
function meterTicks(board: DayBoard, ticks: MeteredTick[] | MeteredHostTick[]): void {
  const clock = board.sim.hal.clock;
  const host = board.host;
  board.sim.hal.clock = {
    nowMs: () => clock.nowMs(),
    clearTimer: (id) => clock.clearTimer(id),
    setTimer(callback, delayMs, repeatMs) {
      return clock.setTimer(() => {
        const running = board.pile?.session !== undefined;
        const ops = board.flash.operationCount;
        const signatures = board.sim.keyStore.signatures;
        const busStartUs = host?.time.nowUs() ?? 0;
        split.firmwareUnits = 0;
        split.busUnits = 0;
        resetMeter(0, 0);
        callback();
        const last = resetMeter(0, 0);
        const { firmwareUnits, busUnits } = split;
        const kind: TickKind = board.sim.keyStore.signatures > signatures ? 'session end' : !running ? 'idle' : board.flash.operationCount > ops ? 'checkpoint' : 'charging';
        if (!host) (ticks as MeteredTick[]).push({ kind, units: last });
        else {
          (ticks as MeteredHostTick[]).push({ kind, units: firmwareUnits + last + busUnits, withoutBusUnits: firmwareUnits + last, busUs: host.time.nowUs() - busStartUs });
        }
      }, delayMs, repeatMs);
    },
  };
}

async function meterDay(): Promise<void> {
  const apdus: MeteredApdu[] = [];
  const ticks: MeteredTick[] = [];
  const day = await runScriptedDay({
    instrument(board) {
      meterNfc(board, apdus);
      meterTicks(board, ticks);
    },
  });
  const parsed = parseSign1(day.records[0]!.signed);
  if (!parsed.ok) throw new Error(`bench: the first record does not parse: ${parsed.reason}`);
  const toBeSigned = sigStructure(parsed.value.protectedBytes, new Uint8Array(0), parsed.value.payload);
  const signature = parsed.value.signature;
  const sign = metered(() => nobleEd25519.sign(toBeSigned, pileSecretKey));
  const verify = metered(() => {
    if (!nobleEd25519.verify(signature, toBeSigned, pileKey.publicKey)) throw new Error('bench: verify failed');
  });
  print(`BENCH-FW ${JSON.stringify({ sign, verify, apdus, ticks, taps: day.taps, sessions: day.sessions, records: day.records.length, flashStats: day.flashStats })}`);
}

async function meterHostDay(): Promise<void> {
  const ticks: MeteredHostTick[] = [];
  const day = await runScriptedDay({
    board: 'host',
    instrument(board) {
      meterBusSeparately(board.host!);
      meterTicks(board, ticks);
    },
  });
  print(`BENCH-FW-HOST ${JSON.stringify({ ticks, records: day.records.length })}`);
}

class StopHere extends Error {}

/** A simulated board, its pile not booted, booted, or 30 s into its first session (charging). */
async function pileAt(point: 'unbooted' | 'booted' | 'session'): Promise<Kept> {
  let kept: Kept | undefined;
  if (point === 'unbooted') {
    try {
      await runScriptedDay({
        instrument(board) {
          kept = { sim: board.sim, handle: undefined };
          throw new StopHere();
        },
      });
    } catch (error) {
      if (!(error instanceof StopHere)) throw error;
    }
    return kept!;
  }
  let board: DayBoard | undefined;
  await runScriptedDay({ stepLimit: point === 'booted' ? 0 : 2, onBooted: (b) => void (board = b) });
  if (point === 'session') {
    board!.sim.clock.advance(30_000);
    if (!board!.pile?.session?.delivering) throw new Error('bench: the first session is not charging');
  }
  return { sim: board!.sim, handle: board!.handle };
}

async function heapPoint(): Promise<void> {
  const point = BENCH_MODE.endsWith('session') ? 'session' : 'booted';
  keep.benchKept = [await pileAt(point), await pileAt(BENCH_MODE.startsWith('heap-2') ? point : 'unbooted')];
  print(`BENCH-HEAP ${BENCH_MODE}`);
}

(BENCH_MODE === 'meter' ? meterDay() : BENCH_MODE === 'meter-host' ? meterHostDay() : heapPoint()).catch((error: unknown) => {
  print(`BENCH-ERROR ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`);
});

// Runs inside xsnap (bundled by bench/firmware.bench.ts): the scripted pile day
// (test/firmware/day/) with the pile's work metered in XS metering units. Input global BENCH_MODE:
//   'meter'          — the whole day; every APDU the card handler answers and every supervision
//                      tick is metered (resetMeter around the firmware's own call), plus an Ed25519
//                      sign and verify of the day's first Contract measured in the same run.
//                      Output: one line `BENCH-FW {json}`.
//   'meter-host'     — the same day on the host board (boards/host: the drivers over the bus
//                      simulations); every APDU and supervision tick metered with its units split
//                      (the firmware and drivers; the bus simulations and simulated flash inside
//                      every embedded:io call, native code on a board; the Ed25519 and SHA-256
//                      calls), the bus time its IO took, and what ran while the SE050 signed (the
//                      overlapped work, the driver's polls, the polling's bus time: Overlap).
//                      Output: one line `BENCH-FW-HOST {json}`.
//   'pace'           — this host's milliseconds per million XS units on two kinds of work: the
//                      whole scripted day (mostly noble's bigint arithmetic) and the firmware's
//                      CBOR/COSE decoding of the day's records (no crypto). Output: `BENCH-PACE {json}`.
//   'ocpp'           — a networked pile on a loopback uplink (test/support/ocpp-day.ts, metered by
//                      bench/ocpp-day-xs.ts): the pile's handling of each OCPP frame the central
//                      system delivers and each timer that sent a frame, metered as above (the simulated board: hal/sim parts in the
//                      pile's units) with the Ed25519 and SHA-256 calls apart. Output: `BENCH-OCPP {json}`.
//   'heap-1-booted' / 'heap-2-booted'   — one pile booted beside a second simulated board that is
//                      not provisioned or booted / that is booted too.
//   'heap-1-session' / 'heap-2-session' — likewise, each booted pile 30 s into its first session.
// The heap modes keep only the simulated boards and the piles' handles reachable (the day's
// phones, test relay and logs are garbage by then); the bench writes the XS snapshot at exit. The
// difference between a '2-' and its '1-' run is one pile's own data: the code every run holds alike.
import { parseSign1, sigStructure } from '../contracts-offline/cose-sign1.ts';
import { nobleEd25519, setSha256 } from '../contracts-offline/crypto.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import type { NfcCardHandler } from '../hal/types.ts';
import { pileKey, pileSecretKey } from '../test/support/pile-rig.ts';
import { type DayBoard, runScriptedDay } from '../test/support/day/scripted-day.ts';
import type { HostBoard } from '../boards/host/hal.ts';
import { meteredRuns } from './xs-meter.ts';
import { meterOcppDay } from './ocpp-day-xs.ts';

declare function print(...values: unknown[]): void;
declare function resetMeter(limit: number, index: number): number;
declare const BENCH_MODE: 'meter' | 'meter-host' | 'pace' | 'ocpp' | 'heap-1-booted' | 'heap-2-booted' | 'heap-1-session' | 'heap-2-session';

/**
 * What one metered piece of the pile's work spent, by where its XS units went. `pileUnits` is the
 * firmware and drivers (JavaScript on the device too); `busUnits` the bus simulations and the
 * simulated flash (native code or chips on a board); `verify`/`sign`/`sha256` noble in XS, which
 * is native code (verify, SHA-256) or the SE050 (the pile's signature) on the device. `busUs`: the
 * time the work's IO took on the simulated buses (host board only). `overlap`: the part of it run
 * while the SE050 signed (host board only).
 */
export type Spent = {
  units: number; pileUnits: number; busUnits: number; verifyUnits: number; signUnits: number; sha256Units: number;
  verify: number; sign: number; sha256: number; busUs: number; overlap: Overlap;
};

/**
 * What the pile did while the SE050 signed (`KeyStore.signWhile`), counted in its Spent as well:
 * the work's firmware and driver units, verifications and SHA-256 calls; `pollUnits`, the driver's
 * units polling the chip after the work until it answered (each refused poll runs inside the
 * chip's busy time); `idleUs`, the bus time of that polling (the chip's busy time the work left
 * unused on the simulated bus, where XS time takes no bus time).
 */
export type Overlap = { pileUnits: number; verify: number; sha256: number; pollUnits: number; idleUs: number };
export type MeteredApdu = { tap: number; command: string } & Spent;
export type TickKind = 'idle' | 'charging' | 'checkpoint' | 'session end';
export type MeteredTick = { kind: TickKind } & Spent;
export type MeteredOcppMessage = { message: string } & Spent;
export type Pace = { dayUnits: number; dayMs: number; coseUnits: number; coseMs: number };

const commandByIns: Record<number, string> = { 0xa4: 'SELECT', 0xc0: 'GET RESPONSE', 0x10: 'HELLO', 0x12: 'UPDATE', 0x14: 'START', 0x16: 'STOP', 0x18: 'OUTBOX', 0x1a: 'ACK' };
const runs = 3;
type Kept = { sim: DayBoard['sim']; handle: DayBoard['handle'] };
const keep = globalThis as { benchKept?: Kept[] };

const metered = (work: () => unknown): number[] => meteredRuns(work, runs);

type Category = 'pile' | 'bus' | 'verify' | 'sign' | 'sha256';
const nothingSpent = (): Spent => ({
  units: 0, pileUnits: 0, busUnits: 0, verifyUnits: 0, signUnits: 0, sha256Units: 0, verify: 0, sign: 0, sha256: 0, busUs: 0,
  overlap: { pileUnits: 0, verify: 0, sha256: 0, pollUnits: 0, idleUs: 0 },
});
/** Where the units counted now go; undefined when nothing is metered. */
let booking: Category | undefined;
let spent = nothingSpent();

/**
 * Run `work` with its units booked to `category` (while a call of the pile is metered), then go
 * back to the enclosing category: a simulation calling back into a driver books 'pile' inside 'bus'.
 */
function book<T>(category: Category, work: () => T): T {
  const outer = booking;
  if (outer === undefined || outer === category) return work();
  spent[`${outer}Units`] += resetMeter(0, 0);
  booking = category;
  try {
    return work();
  } finally {
    spent[`${category}Units`] += resetMeter(0, 0);
    if (category === 'verify' || category === 'sign' || category === 'sha256') spent[category]++;
    booking = outer;
  }
}

/** One call into the pile, metered, with what it spent where. */
function meterPileCall<T>(host: HostBoard | undefined, work: () => T): { result: T; spent: Spent } {
  spent = nothingSpent();
  polling = undefined;
  const busStartUs = host?.time.nowUs() ?? 0;
  booking = 'pile';
  resetMeter(0, 0);
  let result: T;
  try {
    result = work();
  } finally {
    spent.pileUnits += resetMeter(0, 0);
    booking = undefined;
  }
  spent.units = spent.pileUnits + spent.busUnits + spent.verifyUnits + spent.signUnits + spent.sha256Units;
  spent.busUs = host ? host.time.nowUs() - busStartUs : 0;
  return { result, spent };
}

/** noble as the pile's crypto provider (and its key store's), each call booked. */
const bookedEd25519 = Object.freeze({
  sign: (message: Uint8Array, secretKey: Uint8Array) => book('sign', () => nobleEd25519.sign(message, secretKey)),
  verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => book('verify', () => nobleEd25519.verify(signature, message, publicKey)),
  publicKey: (secretKey: Uint8Array) => nobleEd25519.publicKey(secretKey),
});

/** Meter each APDU the pile answers (GET RESPONSE is booked to the command it continues). */
function meterNfc(board: DayBoard, apdus: MeteredApdu[]): void {
  const field = board.sim.nfc;
  let tap = -1;
  let command = '';
  const metered = (handler: NfcCardHandler, inPile: boolean): NfcCardHandler => ({
    onFieldOn() {
      tap++;
      handler.onFieldOn();
    },
    onFieldOff: () => handler.onFieldOff(),
    onApdu(apdu: Uint8Array): Uint8Array {
      const name = commandByIns[apdu[1]!] ?? 'other';
      if (name !== 'GET RESPONSE') command = name;
      const answer = inPile ? () => handler.onApdu(apdu) : () => book('bus', () => handler.onApdu(apdu));
      const { result, spent } = meterPileCall(board.host, answer);
      apdus.push({ tap, command, ...spent });
      return result;
    },
  });
  const host = board.host;
  if (host) {
    // The air's card is the PN7160 simulation: the APDU is metered from the antenna, through the
    // driver's IRQ handler (booked to the pile), the NFC application, and back.
    field.setHandler(metered(host.chips.nfc.antenna, false));
    return;
  }
  board.sim.hal.nfc = { setHandler: (handler: NfcCardHandler | undefined) => field.setHandler(handler && metered(handler, true)), selfTest: () => field.selfTest() };
}

/** When the SE050 driver began polling for a signature after the overlapped work (bus time, its units so far); undefined otherwise. */
let polling: { fromUs: number; pileUnits: number } | undefined;

/**
 * Book the host board's simulations to 'bus': every method of its IO classes, its bus clock and
 * its flash partition. The PN7160's interrupt line calls the driver back: that is the pile's work,
 * so the drivers are rebuilt with their IRQ listener booked to 'pile'. The SE050 driver's
 * signatures are counted (the chip's time is on the bus clock), and what runs while it signs is
 * measured as an Overlap: the work, then the polling until the first I2C read the chip answers.
 */
function meterBusSeparately(host: HostBoard, board: DayBoard): void {
  const prototypes = [host.io.Serial, host.io.Digital, host.io.PWM, host.io.Analog, host.io.I2C].map((io) => io.prototype as object);
  for (const prototype of [...prototypes, Object.getPrototypeOf(host.time) as object, Object.getPrototypeOf(board.flash) as object] as Record<string, unknown>[]) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)!.value;
      if (name === 'constructor' || typeof method !== 'function') continue;
      prototype[name] = function (this: unknown, ...args: unknown[]): unknown {
        return book('bus', () => method.apply(this, args));
      };
    }
  }
  const irq = host.chips.nfc.irq as { watchEdges: (listener: (level: 0 | 1) => void) => () => void };
  const watch = irq.watchEdges;
  irq.watchEdges = (listener) => watch((level) => book('pile', () => listener(level)));
  host.restart();
  const secureElement = host.drivers.secureElement;
  // The first read the chip answers after the work ends the polling (inside the I2C read, booked
  // 'bus': the driver's units up to it are flushed).
  const chip = host.chips.secureElement;
  const chipRead = chip.read.bind(chip);
  chip.read = (byteLength: number, atUs: number) => {
    const bytes = chipRead(byteLength, atUs);
    if (polling) {
      spent.overlap.idleUs += atUs - polling.fromUs;
      spent.overlap.pollUnits += spent.pileUnits - polling.pileUnits;
      polling = undefined;
    }
    return bytes;
  };
  // A plain signature is signWhile with no work (the driver's sign), so its polling is measured too.
  secureElement.sign = (message: Uint8Array) => secureElement.signWhile(message, () => {});
  const signWhile = secureElement.signWhile.bind(secureElement);
  secureElement.signWhile = (message: Uint8Array, work: () => void) => {
    if (booking === undefined) return signWhile(message, work);
    spent.sign++;
    return signWhile(message, () => {
      spent[`${booking!}Units`] += resetMeter(0, 0);
      const before = { pileUnits: spent.pileUnits, verify: spent.verify, sha256: spent.sha256 };
      try {
        work();
      } finally {
        spent[`${booking!}Units`] += resetMeter(0, 0); // the driver's booking, 'pile'
        spent.overlap.pileUnits += spent.pileUnits - before.pileUnits;
        spent.overlap.verify += spent.verify - before.verify;
        spent.overlap.sha256 += spent.sha256 - before.sha256;
        polling = { fromUs: host.time.nowUs(), pileUnits: spent.pileUnits };
      }
    });
  };
}

/** Meter the supervision tick (the firmware's only timer), classified by what it did. */
function meterTicks(board: DayBoard, ticks: MeteredTick[]): void {
  const clock = board.sim.hal.clock;
  board.sim.hal.clock = {
    nowMs: () => clock.nowMs(),
    setNowMs: (nowMs) => clock.setNowMs(nowMs),
    clearTimer: (id) => clock.clearTimer(id),
    setTimer(callback, delayMs, repeatMs) {
      return clock.setTimer(() => {
        const running = board.pile?.session !== undefined;
        const ops = board.flash.operationCount;
        const { spent } = meterPileCall(board.host, callback);
        const kind: TickKind = spent.sign > 0 ? 'session end' : !running ? 'idle' : board.flash.operationCount > ops ? 'checkpoint' : 'charging';
        ticks.push({ kind, ...spent });
      }, delayMs, repeatMs);
    },
  };
}

async function meterDay(): Promise<void> {
  const apdus: MeteredApdu[] = [];
  const ticks: MeteredTick[] = [];
  const day = await runScriptedDay({
    crypto: bookedEd25519,
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
  setSha256((message) => book('sha256', () => sha256(message)));
  const apdus: MeteredApdu[] = [];
  const ticks: MeteredTick[] = [];
  const day = await runScriptedDay({
    board: 'host',
    crypto: bookedEd25519,
    instrument(board) {
      meterBusSeparately(board.host!, board);
      meterNfc(board, apdus);
      meterTicks(board, ticks);
    },
  });
  print(`BENCH-FW-HOST ${JSON.stringify({ apdus, ticks, taps: day.taps, records: day.records.length })}`);
}

/** Three sessions' OCPP traffic of a networked pile, every message metered. */
function meterOcpp(): void {
  setSha256((message) => book('sha256', () => sha256(message)));
  const messages: MeteredOcppMessage[] = meterOcppDay(bookedEd25519, (work) => meterPileCall(undefined, work).spent, 3);
  print(`BENCH-OCPP ${JSON.stringify({ messages })}`);
}

/** This host's pace in XS: the whole day (noble-heavy), then the COSE decoding of its records (no crypto). */
async function pace(): Promise<void> {
  resetMeter(0, 0);
  let started = Date.now();
  const day = await runScriptedDay({});
  const dayMs = Date.now() - started;
  const dayUnits = resetMeter(0, 0);
  let coseUnits = 0;
  started = Date.now();
  while (Date.now() - started < 1_000) {
    for (const record of day.records) {
      const parsed = parseSign1(record.signed);
      if (!parsed.ok) throw new Error(`bench: a record does not parse: ${parsed.reason}`);
      sigStructure(parsed.value.protectedBytes, new Uint8Array(0), parsed.value.payload);
    }
    coseUnits += resetMeter(0, 0);
  }
  const coseMs = Date.now() - started;
  print(`BENCH-PACE ${JSON.stringify({ dayUnits, dayMs, coseUnits, coseMs } satisfies Pace)}`);
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

(BENCH_MODE === 'meter' ? meterDay() : BENCH_MODE === 'meter-host' ? meterHostDay() : BENCH_MODE === 'pace' ? pace() : BENCH_MODE === 'ocpp' ? Promise.resolve().then(meterOcpp) : heapPoint()).catch((error: unknown) => {
  print(`BENCH-ERROR ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`);
});

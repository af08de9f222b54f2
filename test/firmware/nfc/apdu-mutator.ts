// Seeded generator of hostile APDU traffic for the NFC fuzz tests — random frames, and mutations of
// valid commands: bit flips, truncation, extension, wrong Lc, header bytes, chains split at random
// with parts dropped, swapped or interleaved, chains past 1024 bytes; deterministic for a seed —
// and the fuzz run that sends it to a real pile (bootPile) through the simulated field, checking
// every answer (`runApduFuzz`, used by apdu-fuzz.test.ts on the hal/sim parts and by
// nci-apdu-fuzz.test.ts on the host board, where every APDU crosses the PN7160).
import * as assert from 'uvu/assert';
import {
  CHAIN_MAX_BYTES, CLA_CHAINING_BIT, CLA_ISO, CLA_PROPRIETARY, INS, SHORT_LC_MAX, SW, chainCommand, encodeCommandApdu, encodeOutboxRequest,
  encodeStopData, getResponseCommand, parseResponseApdu, selectCommand,
} from '../../../contracts-offline/apdu.ts';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { type HostBoard, createHostBoard } from '../../../boards/host/hal.ts';
import { isCommandApdu } from '../../../drivers/pn7160/apdu.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { type NfcTap, NfcTagLostError } from '../../../hal/sim/nfc-field.ts';
import { SeededRandom } from '../../../hal/sim/seeded-random.ts';
import { type NfcPileRig, nfcPileRig, pileSecretKey, plugEv, testRelay, userStop } from './nfc-pile-rig.ts';
import { otherUserKeys, userKeys } from '../../support/tap-kit.ts';

/** One thing the reader does in a tap: send a frame, or move away (field off) right there. */
export type FuzzStep = { kind: 'apdu'; bytes: Uint8Array } | { kind: 'fieldLoss' };

/** What a reader can put on air: the simulated field carries 4..261 bytes (Android's limit). */
const FRAME_MIN = 4;
const FRAME_MAX = 261;

export class ApduMutator {
  readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  below(bound: number): number {
    return this.random.below(bound);
  }

  chance(perMille: number): boolean {
    return this.random.below(1000) < perMille;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.random.below(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.random.fill(out);
    return out;
  }

  /** A frame of random bytes, sometimes with our CLA/INS so it reaches the command decoders. */
  randomFrame(): Uint8Array {
    const frame = this.bytes(FRAME_MIN + this.below(this.chance(200) ? FRAME_MAX - FRAME_MIN + 1 : 40));
    if (this.chance(500)) {
      frame[0] = this.pick([0x00, 0x80, 0x90, 0x10]);
      frame[1] = this.pick([0xa4, 0xc0, 0x10, 0x12, 0x14, 0x16, 0x18, 0x1a]);
      frame[2] = this.chance(800) ? 0 : frame[2]!;
      frame[3] = 0;
      if (frame.length > 5 && this.chance(700)) frame[4] = frame.length - 5; // a consistent Lc
    }
    return frame;
  }

  /** Mutates command data (a message, usually signed). */
  mutateData(data: Uint8Array): Uint8Array {
    const out = data.slice();
    switch (this.below(6)) {
      case 0: // flip 1..3 bits
        for (let n = 1 + this.below(3); n > 0; n--) out[this.below(out.length)]! ^= 1 << this.below(8);
        return out;
      case 1: // overwrite one byte
        out[this.below(out.length)] = this.below(256);
        return out;
      case 2: // truncate
        return out.subarray(0, this.below(out.length));
      case 3: // extend
        return concat(out, this.bytes(1 + this.below(8)));
      case 4: // drop a byte in the middle
        return concat(out.subarray(0, this.below(out.length)), out.subarray(this.below(out.length)));
      default: // CBOR-sensitive bytes: the first few (tag, array and map heads)
        out[this.below(Math.min(8, out.length))]! ^= 1 << this.below(8);
        return out;
    }
  }

  /** Mutates the frame of a single command (header, Lc, Le, length). */
  mutateFrame(frame: Uint8Array): Uint8Array {
    const out = frame.slice();
    switch (this.below(5)) {
      case 0:
        out[this.below(Math.min(4, out.length))]! ^= 1 << this.below(8);
        return out;
      case 1: // wrong Lc
        if (out.length > 4) out[4] = this.below(256);
        return out;
      case 2: // cut
        return out.subarray(0, Math.max(FRAME_MIN, this.below(out.length)));
      case 3: // trailing bytes
        return out.length + 1 <= FRAME_MAX ? concat(out, this.bytes(1 + this.below(Math.min(4, FRAME_MAX - out.length)))) : out;
      default:
        out[this.below(out.length)]! ^= 1 << this.below(8);
        return out;
    }
  }

  /**
   * The steps sending `data` with this header: whole, or chained in random part sizes; in hostile
   * mode parts go missing, repeat, get another header, another command cuts in, the field drops.
   */
  chained(cla: number, ins: number, data: Uint8Array, hostile: boolean): FuzzStep[] {
    const parts: { cla: number; ins: number; p1: number; data: Uint8Array }[] = [];
    for (let at = 0; at < data.length || parts.length === 0; ) {
      const size = Math.min(data.length - at, 1 + this.below(this.chance(500) ? SHORT_LC_MAX : 64));
      parts.push({ cla: cla | CLA_CHAINING_BIT, ins, p1: 0, data: data.subarray(at, at + size) });
      at += size;
    }
    parts[parts.length - 1]!.cla = cla;
    const steps: FuzzStep[] = parts.map((p) => ({ kind: 'apdu', bytes: frameOf(p.cla, p.ins, p.p1, p.data) }));
    if (!hostile) return steps;
    const at = this.below(steps.length);
    switch (this.below(7)) {
      case 0: steps.splice(at, 1); break; // a part goes missing
      case 1: steps.splice(at, 0, steps[at]!); break; // a part twice
      case 2: steps.splice(at, 0, { kind: 'fieldLoss' }); break;
      case 3: steps.splice(at, 0, { kind: 'apdu', bytes: this.randomFrame() }); break; // another command cuts in
      case 4: steps.splice(at, 0, { kind: 'apdu', bytes: getResponseCommand(256) }); break;
      case 5: { // a part with another P1 or INS
        const p = parts[at]!;
        steps[at] = { kind: 'apdu', bytes: frameOf(p.cla, this.chance(500) ? p.ins ^ 2 : p.ins, this.chance(500) ? 1 : 0, p.data) };
        break;
      }
      default: { // past the 1024-byte chain limit
        const filler = Math.ceil((CHAIN_MAX_BYTES + 1 - data.length) / SHORT_LC_MAX) + 1;
        for (let i = 0; i < filler; i++) steps.unshift({ kind: 'apdu', bytes: frameOf(cla | CLA_CHAINING_BIT, ins, 0, this.bytes(SHORT_LC_MAX)) });
      }
    }
    return steps;
  }
}

function frameOf(cla: number, ins: number, p1: number, data: Uint8Array): Uint8Array {
  return encodeCommandApdu({ cla, ins, p1, p2: 0, data, le: (cla & CLA_CHAINING_BIT) === 0 ? 256 : undefined });
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const knownSw = new Set<number>([
  SW.ok, SW.wrongLength, SW.chainBroken, SW.securityNotSatisfied, SW.referenceNotUsable, SW.conditionsNotSatisfied, SW.notAllowed,
  SW.wrongData, SW.appNotFound, SW.memoryFull, SW.wrongP1P2, SW.insNotSupported, SW.claNotSupported, SW.deviceFault,
  SW.referenceNotFound, SW.nonceExpired, SW.tariffChanged,
]);
const effectful = new Set<number>([INS.update, INS.start, INS.stop, INS.ack]);

const frame = (ins: number, data: Uint8Array) => encodeCommandApdu({ cla: CLA_PROPRIETARY, ins, p1: 0, p2: 0, data, le: 256 });
/** A command as a reader sends it: one frame, or a chain when over 255 bytes. */
const framesOf = (ins: number, data: Uint8Array): FuzzStep[] => chainCommand(CLA_PROPRIETARY, ins, 0, 0, data).map((bytes) => ({ kind: 'apdu', bytes }));

class Fuzzer {
  readonly rig: NfcPileRig;
  readonly host: HostBoard | undefined;
  readonly m: ApduMutator;
  tap: NfcTap;
  nonce: Uint8Array | undefined;
  /** Genuine signed messages seen lately: the material mutations start from. */
  readonly pool: { ins: number; data: Uint8Array }[] = [];
  readonly swCounts = new Map<number, number>();
  apdus = 0;
  accepted = 0;
  /** Frames the PN7160 driver dropped unanswered: not shaped as a command APDU (host board only). */
  dropped = 0;

  constructor(seed: number, board: FuzzBoard) {
    let host: HostBoard | undefined;
    this.rig = nfcPileRig({ seed, instrument: board === 'host' ? (sim) => (sim.hal = (host = createHostBoard(sim, { pileSecretKey })).hal) : undefined });
    this.host = host;
    plugEv(this.rig);
    this.m = new ApduMutator(seed);
    this.tap = this.rig.sim.nfc.tap();
  }

  get services() {
    return this.rig.handle.services!;
  }

  #state(): string {
    const s = this.services;
    return `${this.rig.flashOperations()}|${this.rig.sim.contactor.commandedClosed}|${s.config().configVersion}`;
  }

  send(bytes: Uint8Array): void {
    const before = this.#state();
    let response: Uint8Array;
    try {
      response = this.tap.transceive(bytes); // an exception from the card fails the test here
    } catch (error) {
      // The PN7160 driver hands the application only whole command APDUs (ISO 7816-4 §5.1 lengths):
      // any other frame goes unanswered, and the reader sees a lost tag. The card stays active.
      if (!(error instanceof NfcTagLostError) || !this.host || isCommandApdu(bytes)) throw error;
      if (this.#state() !== before) assert.unreachable(`state changed by the dropped frame ${hex(bytes)}`);
      this.dropped++;
      return;
    }
    this.apdus++;
    const parsed = parseResponseApdu(response);
    assert.ok(parsed.ok);
    if (!parsed.ok) return;
    const { sw, data } = parsed.value;
    const shown = sw >> 8 === 0x61 ? 0x6100 : sw;
    this.swCounts.set(shown, (this.swCounts.get(shown) ?? 0) + 1);
    if (shown !== 0x6100 && !knownSw.has(sw)) assert.unreachable(`unknown status word ${sw.toString(16)} for ${hex(bytes)}`);
    if (sw !== SW.ok && shown !== 0x6100 && data.length > 0) assert.unreachable(`data with ${sw.toString(16)}`);
    if (this.#state() !== before) {
      const ins = bytes[1]!;
      if (sw !== SW.ok || !effectful.has(ins) || (bytes[0]! & 0x10) !== 0) {
        assert.unreachable(`state changed by ${hex(bytes)} answered ${sw.toString(16)}`);
      }
      this.accepted++;
    }
    if (bytes[1] === INS.select && sw === SW.ok) {
      const hello = decodePileHello(data);
      if (hello.ok) this.nonce = hello.value.pileNonce;
    }
  }

  newTap(): void {
    this.tap.end();
    this.tap = this.rig.sim.nfc.tap();
    this.nonce = undefined;
  }

  run(steps: FuzzStep[]): void {
    for (const step of steps) {
      if (step.kind === 'fieldLoss') this.newTap();
      else this.send(step.bytes);
    }
  }

  /** A genuine signed command for the pile's present state (signing costs: used sparingly). */
  genuine(): { ins: number; data: Uint8Array } | undefined {
    const m = this.m;
    const nowS = Math.floor(this.rig.sim.clock.nowMs() / 1000);
    const running = this.services.session;
    switch (m.below(4)) {
      case 0: {
        if (!this.nonce) return undefined;
        const limits: ChargeLimit[] = [
          { mode: 'time', durationS: 30 + m.below(600) }, { mode: 'energy', energyWh: 50 + m.below(1500) },
          { mode: 'amount', amountMinor: 60 + m.below(200) }, { mode: 'full' },
        ];
        return { ins: INS.start, data: testRelay.voucher(this.nonce, m.chance(500) ? userKeys : otherUserKeys, m.pick(limits), 1000, this.services.config().tariff.version) };
      }
      case 1: {
        if (!this.nonce || !running) return undefined;
        const seq = running.contract.seq;
        const byUser = m.chance(500);
        const signed = byUser ? userStop(userKeys, this.nonce, seq, nowS) : testRelay.stop(this.nonce, seq, nowS);
        return { ins: INS.stop, data: encodeStopData({ signedStopRequest: signed, userPublicKey: byUser ? userKeys.publicKey : undefined }) };
      }
      case 2: {
        const seqs = this.services.outbox(0, 1000).records.map((r) => r.seq);
        if (seqs.length === 0) return undefined;
        return { ins: INS.ack, data: testRelay.ack([{ fromSeq: seqs[0]!, toSeq: seqs[m.below(seqs.length)]! }], nowS) };
      }
      default:
        return { ins: INS.update, data: testRelay.update(this.services.config().configVersion + (m.chance(800) ? 1 : 0)) };
    }
  }

  /** One APDU-level step: mostly hostile, sometimes plain. */
  step(): FuzzStep[] {
    const m = this.m;
    const roll = m.below(1000);
    if (roll < 330) return [{ kind: 'apdu', bytes: m.randomFrame() }];
    const material = this.pool.length > 0 ? m.pick(this.pool) : undefined;
    if (roll < 560) { // frame mutations of plain and signed commands
      const steps = material && m.chance(200) ? framesOf(material.ins, material.data) : [{ kind: 'apdu', bytes: this.plainCommand() } as FuzzStep];
      const at = m.below(steps.length);
      steps[at] = { kind: 'apdu', bytes: m.mutateFrame((steps[at] as { bytes: Uint8Array }).bytes) };
      return steps;
    }
    if (roll < 620 && material) return framesOf(material.ins, m.mutateData(material.data));
    if (roll < 760) { // chaining, hostile or not, of plain or mutated material
      const kind = m.below(10);
      if (material && kind < 4) return m.chained(CLA_PROPRIETARY, material.ins, m.chance(400) ? m.mutateData(material.data) : material.data, m.chance(700));
      return m.chained(CLA_PROPRIETARY, m.pick([INS.hello, INS.update, INS.start, INS.stop, INS.ack]), kind < 7 ? this.plainData() : m.bytes(1 + m.below(600)), m.chance(700));
    }
    if (roll < 770 && material) return framesOf(material.ins, material.data); // replay
    if (roll < 800) return [{ kind: 'fieldLoss' }];
    if (roll < 812) {
      const genuine = this.genuine();
      if (genuine) {
        this.pool.push(genuine);
        if (this.pool.length > 16) this.pool.shift();
        return framesOf(genuine.ins, genuine.data);
      }
    }
    return [{ kind: 'apdu', bytes: this.plainCommand() }];
  }

  plainData(): Uint8Array {
    return encodeUserHello({ userKid: userKeys.kid, displayName: 'Fuzz', phoneNonce: this.m.bytes(8 + this.m.below(9)) });
  }

  plainCommand(): Uint8Array {
    const m = this.m;
    switch (m.below(6)) {
      case 0: return selectCommand();
      case 1: return getResponseCommand(1 + m.below(256));
      case 2: return frame(INS.outbox, encodeOutboxRequest(m.chance(700) ? 0 : m.below(40)));
      case 3: return m.chance(100) ? frame(INS.hello, this.plainData()) : encodeCommandApdu({ cla: CLA_ISO, ins: INS.select, p1: 4, p2: 0, data: m.bytes(m.below(16)), le: 256 });
      default: return frame(INS.outbox, encodeOutboxRequest(0));
    }
  }

  sequence(): void {
    if (this.m.chance(900)) this.send(selectCommand());
    const steps = 1 + this.m.below(4);
    for (let i = 0; i < steps; i++) this.run(this.step());
    if (this.m.chance(150)) this.newTap();
  }
}

function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes.subarray(0, 24)) + (bytes.length > 24 ? '…' : '');
}

/** What the pile runs on: the hal/sim parts themselves, or the host board's drivers over bus-level chip simulations. */
export type FuzzBoard = 'hal-sim' | 'host';

export type FuzzOptions = {
  board: FuzzBoard;
  sequences: number;
  seed: number;
  /** The run stops here even when sequences remain (the test then fails on `completed`). */
  wallTimeMs: number;
};

export type FuzzReport = {
  rig: NfcPileRig;
  host: HostBoard | undefined;
  /** Sequences run: `sequences` unless the wall-time bound stopped the run. */
  completed: number;
  /** APDUs answered by the pile's application. */
  apdus: number;
  /** Frames the PN7160 driver dropped unanswered (host board only). */
  dropped: number;
  accepted: number;
  swCounts: ReadonlyMap<number, number>;
  seconds: number;
  halted: string | undefined;
  /** The outbox at the end of the run, and whether a session was running. */
  outbox: { seq: number; bytes: Uint8Array }[];
  wasRunning: boolean;
};

/**
 * Fuzz a pile: `sequences` hostile tap sequences, time passing between taps (sessions run and
 * end; now and then the vehicle is unplugged). After every APDU: no exception escaped, the answer
 * is a status word of the README table, and the journal (flash program/erase count), contactor and
 * config changed only when an UPDATE/START/STOP/ACK answered 9000.
 */
export function runApduFuzz(options: FuzzOptions): FuzzReport {
  const fuzzer = new Fuzzer(options.seed, options.board);
  const { rig } = fuzzer;
  const started = Date.now();
  let completed = 0;
  for (let i = 0; i < options.sequences; i++) {
    fuzzer.sequence();
    completed++;
    if (i % 50 === 49) {
      fuzzer.tap.end();
      rig.sim.clock.advance(1000 * (1 + fuzzer.m.below(90))); // time passes between taps; sessions run and end
      if (fuzzer.m.chance(20)) {
        rig.sim.circuit.unplug();
        rig.sim.clock.advance(2000);
        plugEv(rig);
      }
      fuzzer.tap = rig.sim.nfc.tap();
      fuzzer.nonce = undefined;
      if (Date.now() - started > options.wallTimeMs) break;
    }
  }
  fuzzer.tap.end();
  const seconds = (Date.now() - started) / 1000;
  const histogram = [...fuzzer.swCounts].sort((a, b) => b[1] - a[1]).map(([sw, n]) => `${sw === 0x6100 ? '61xx' : sw.toString(16).toUpperCase()} ${n}`).join(', ');
  const dropped = options.board === 'host' ? `, ${fuzzer.dropped} frames dropped by the PN7160 driver` : '';
  console.log(`fuzz (${options.board}): ${completed} sequences, ${fuzzer.apdus} APDUs answered${dropped}, ${fuzzer.accepted} state-changing commands accepted, ${seconds.toFixed(1)} s`);
  console.log(`fuzz (${options.board}): status words: ${histogram}`);
  const services = rig.handle.services!;
  return {
    rig, host: fuzzer.host, completed, apdus: fuzzer.apdus, dropped: fuzzer.dropped, accepted: fuzzer.accepted, swCounts: fuzzer.swCounts, seconds,
    halted: services.halted, outbox: services.outbox(0, 10_000).records, wasRunning: services.session !== undefined,
  };
}

/** Status words the fuzz must reach (61xx counted as 0x6100). */
export const fuzzReachedSw: readonly number[] = [
  SW.wrongLength, SW.chainBroken, SW.securityNotSatisfied, SW.referenceNotUsable, SW.notAllowed, SW.wrongData, SW.insNotSupported, SW.claNotSupported, SW.wrongP1P2, 0x6100,
];

/**
 * The journal the fuzz left behind mounts again with the same records (plus the receipt of a
 * session the shutdown interrupted), and the pile still takes a genuine voucher. On the host board
 * the drivers start over, as at a reboot; the chips keep their state.
 */
export function checkFuzzAftermath(report: FuzzReport): void {
  const { rig, outbox, wasRunning } = report;
  rig.handle.shutdown();
  report.host?.restart();
  const rebooted = bootPile(rig.sim.hal);
  assert.ok(rebooted.services, rebooted.fault);
  const after = rebooted.services!.outbox(0, 10_000).records;
  assert.equal(after.slice(0, outbox.length), outbox);
  assert.is(after.length, outbox.length + (wasRunning ? 1 : 0));
  rig.sim.clock.advance(1000);
  const tap = rig.sim.nfc.tap();
  const hello = decodePileHello(parseResponse(tap.transceive(selectCommand())));
  assert.ok(hello.ok);
  if (!hello.ok) return;
  const nowS = Math.floor(rig.sim.clock.nowMs() / 1000);
  if (after.length > 0) {
    const ack = tap.transceive(frame(INS.ack, testRelay.ack([{ fromSeq: after[0]!.seq, toSeq: after[after.length - 1]!.seq }], nowS)));
    assert.equal(Array.from(ack), [0, 0, 0x90, 0x00]);
  }
  const voucher = testRelay.voucher(hello.value.pileNonce, userKeys, { mode: 'time', durationS: 60 }, 100, rebooted.services!.config().tariff.version);
  assert.is(parseResponseApdu(tap.transceive(frame(INS.start, voucher))).ok && rebooted.services!.session !== undefined, true);
  tap.end();
}

function parseResponse(response: Uint8Array): Uint8Array {
  const parsed = parseResponseApdu(response);
  if (!parsed.ok || parsed.value.sw !== SW.ok) throw new Error(`expected 9000, got ${bytesToHex(response.subarray(-2))}`);
  return parsed.value.data;
}

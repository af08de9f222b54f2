// Bounded, seeded fuzz of the real pile's NFC application (bootPile on the simulated board):
// 200,000 tap sequences of random frames and mutations of valid commands (bit flips, truncation,
// wrong Lc, header bytes, hostile chaining, field loss mid-chain and mid-answer), mixed with the
// occasional genuine command so the pile moves through its states (sessions start, end, get
// acknowledged; the clock runs between taps). After every APDU: no exception escaped, the answer
// is a status word of the README table, and the journal (flash program/erase count), contactor and
// config changed only when an UPDATE/START/STOP/ACK answered 9000. At the end the journal mounts
// again with the same outbox and the pile still starts a session for a genuine voucher.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CLA_ISO, CLA_PROPRIETARY, INS, SW, chainCommand, encodeOutboxRequest, encodeStopData, getResponseCommand, parseResponseApdu, selectCommand, encodeCommandApdu,
} from '../../../contracts-offline/apdu.ts';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { decodePileHello } from '../../../contracts-offline/messages/pile-hello.ts';
import { encodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { bootPile } from '../../../firmware/pile.ts';
import type { NfcTap } from '../../../hal/sim/nfc-field.ts';
import { ApduMutator, type FuzzStep } from './apdu-mutator.ts';
import { type NfcPileRig, nfcPileRig, plugEv, testRelay, userStop } from './nfc-pile-rig.ts';
import { otherUserKeys, userKeys } from '../../support/tap-kit.ts';

const SEQUENCES = Number(process.env.FUZZ_SEQUENCES ?? 200_000);
const SEED = 0x7a9c_2026;

const knownSw = new Set<number>([
  SW.ok, SW.wrongLength, SW.chainBroken, SW.securityNotSatisfied, SW.referenceNotUsable, SW.conditionsNotSatisfied, SW.notAllowed,
  SW.wrongData, SW.appNotFound, SW.memoryFull, SW.wrongP1P2, SW.insNotSupported, SW.claNotSupported, SW.deviceFault,
]);
const effectful = new Set<number>([INS.update, INS.start, INS.stop, INS.ack]);

const frame = (ins: number, data: Uint8Array) => encodeCommandApdu({ cla: CLA_PROPRIETARY, ins, p1: 0, p2: 0, data, le: 256 });
/** A command as a reader sends it: one frame, or a chain when over 255 bytes. */
const framesOf = (ins: number, data: Uint8Array): FuzzStep[] => chainCommand(CLA_PROPRIETARY, ins, 0, 0, data).map((bytes) => ({ kind: 'apdu', bytes }));

class Fuzzer {
  readonly rig: NfcPileRig;
  readonly m: ApduMutator;
  tap: NfcTap;
  nonce: Uint8Array | undefined;
  /** Genuine signed messages seen lately: the material mutations start from. */
  readonly pool: { ins: number; data: Uint8Array }[] = [];
  readonly swCounts = new Map<number, number>();
  apdus = 0;
  accepted = 0;

  constructor(seed: number) {
    this.rig = nfcPileRig({ seed });
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
    const response = this.tap.transceive(bytes); // an exception from the card fails the test here
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

test(`${SEQUENCES} hostile tap sequences: no exception, status words only, no state change from rejected input`, () => {
  const fuzzer = new Fuzzer(SEED);
  const { rig } = fuzzer;
  const started = Date.now();
  for (let i = 0; i < SEQUENCES; i++) {
    fuzzer.sequence();
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
    }
  }
  fuzzer.tap.end();
  const seconds = (Date.now() - started) / 1000;
  const histogram = [...fuzzer.swCounts].sort((a, b) => b[1] - a[1]).map(([sw, n]) => `${sw === 0x6100 ? '61xx' : sw.toString(16).toUpperCase()} ${n}`).join(', ');
  console.log(`fuzz: ${SEQUENCES} sequences, ${fuzzer.apdus} APDUs, ${fuzzer.accepted} state-changing commands accepted, ${seconds.toFixed(1)} s`);
  console.log(`fuzz: status words: ${histogram}`);
  assert.ok(fuzzer.apdus > SEQUENCES);
  for (const sw of [SW.wrongLength, SW.chainBroken, SW.securityNotSatisfied, SW.referenceNotUsable, SW.notAllowed, SW.wrongData, SW.insNotSupported, SW.claNotSupported, SW.wrongP1P2, 0x6100]) {
    assert.ok((fuzzer.swCounts.get(sw) ?? 0) > 0, `status word ${sw.toString(16)} was reached`);
  }
  assert.ok(fuzzer.accepted > 50, 'genuine commands kept the pile moving');
  assert.is(rig.handle.services!.halted, undefined, 'the pile never halted');

  // The journal the fuzz left behind mounts again with the same records (plus the receipt of a
  // session the shutdown interrupted), and the pile still takes a genuine voucher.
  const outbox = rig.handle.services!.outbox(0, 10_000).records;
  const wasRunning = rig.handle.services!.session !== undefined;
  rig.handle.shutdown();
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
});

function parseResponse(response: Uint8Array): Uint8Array {
  const parsed = parseResponseApdu(response);
  if (!parsed.ok || parsed.value.sw !== SW.ok) throw new Error(`expected 9000, got ${bytesToHex(response.subarray(-2))}`);
  return parsed.value.data;
}

test.run();

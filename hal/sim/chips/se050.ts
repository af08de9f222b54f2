// SIMULATION of an NXP EdgeLock SE050 secure element (an SE050C with IoT applet 3.1.0) as an I2C
// target, at the level of its bus traffic: T=1 over I2C blocks (NXP UM11225 on ISO/IEC 7816-3 §11:
// NAD 0x5A/0xA5, PCB, LEN ≤ 254, INF, CRC-16/X-25 low byte first), sequence numbers, chaining both
// ways, R-block retransmission, the S-blocks RESYNCH, IFS, ABORT, WTX, end of APDU session, chip
// reset, get ATR and interface soft reset, and the applet APDUs (AN12413) the SE050 driver uses:
// SELECT, CheckObjectExists, WriteECKey (Ed25519 key-pair generation), ReadObject and EdDSASign.
// Others are answered with the ISO 7816-4 status word: 6D00 unknown INS, 6E00 other CLA, 6A86 other
// P1/P2, 6700 malformed lengths or more than the SE050's 892 bytes of command data, 6A80 malformed
// TLVs, and TLVs or values this model does not implement (key import, read offsets, other curves).
// Key objects live in its (persistent) object store by identifier; the Ed25519 math is noble's
// (contracts-offline/crypto.ts), while keys and signatures are kept and answered in the chip's
// byte order (each RFC 8032 value reversed; R and S of a signature each on their own).
//
// Bus behaviour: the chip does not acknowledge its address while it is busy, booting or powered
// down, so a transfer throws and the host polls. A block the host writes replaces whatever the chip
// had left to send. Reads past the end of the block in hand return 0xFF (SDA released).
// Timing: the ATR is the one read from a real SE050 (Nitrokey se05x src/t1.rs: BWT 1000 ms, IFSC 254,
// MPOT 1 ms, SEGT 100 µs, "JCOP4 ATPO"). An EdDSA signature takes `signMs` (default
// SE050_MODEL_SIGN_MS, 100 ms: a model value; NXP publishes no EdDSA timing, and the one primary
// measurement found is wolfSSL's SE050 benchmark over T=1 over I2C from a Raspberry Pi, ECDSA P-256
// sign 100.953 ms on average (github.com/wolfSSL/wolfssl-examples, SE050/wolfcrypt_benchmark/
// README.md); a secondary, unverified source gives ~261 ms for Ed25519). The answer is ready at an
// absolute bus time, the end of the command's last block plus the processing time, so whatever
// the host does before it polls (its own work, other buses) overlaps the chip's processing rather
// than adding to it. A command that takes longer than BWT is covered by S(WTX request)s, as the
// chip must. `generateMs` (100 ms),
// `commandMs` (1 ms, every other command and S-block) and `resetMs` (5 ms) are model values too.
// The SELECT answer names applet 3.1.0 (Plug & Trust's PC/SC example reader is "NXP SE050C
// v03.01.00"), features 0x3FFF and secure box 1.0 (a model value).
// Model choices, not documented by NXP in the sources at hand: a missing object answers 6A82;
// generating onto an existing object answers 6985; after a reset no applet is selected and the card
// manager answers 6D00 to anything but SELECT; an interface soft reset deselects the applet.
//
// Faults, for the next `count` occasions (`inject(fault, count)`; 'silent' until `clear()`):
//   'crc'      — a block the chip sends carries a wrong CRC;   'len' — … a wrong LEN;
//   'cut'      — … stops half-way (the rest reads 0xFF);      'garbage' — … is replaced by noise;
//   'noise-in' — a block the host writes arrives corrupted (the chip answers R(CRC error));
//   'nack'     — a transfer is not acknowledged (busy);        'wtx' — one more S(WTX request) before
//                the next answer (the chip is busy half a BWT longer each time);
//   'reset'    — the chip resets while sending a block: T=1 state and applet selection lost, deaf for
//                `resetMs`;
//   'silent'   — no answer at all.
// `replaceNextBlocks(blocks)` puts arbitrary bytes on the bus instead of the next blocks (fuzzing).
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';
import type { DigitalLine, I2cDevice } from '../io/wiring.ts';
import { I2cNoAcknowledge } from '../io/wiring.ts';
import { SeededRandom } from '../seeded-random.ts';

/** The simulation's EdDSA signing time unless told otherwise (header: a model value). */
export const SE050_MODEL_SIGN_MS = 100;

export type Se050SimFault = 'crc' | 'len' | 'cut' | 'garbage' | 'noise-in' | 'nack' | 'wtx' | 'reset' | 'silent';

export type Se050SimOptions = {
  /** The I2C clock the board runs (for the time each byte takes). */
  hz: number;
  address?: number;
  /** 32-byte RFC 8032 secret key the first key generation produces (later ones use the seeded generator). */
  keySeed?: Uint8Array;
  /** A chip whose key was generated earlier: its identifier and 32-byte RFC 8032 secret key. */
  preloadedKey?: { objectId: number; secretKey: Uint8Array };
  signMs?: number;
  generateMs?: number;
  /** Processing time of every other command and S-block. */
  commandMs?: number;
  resetMs?: number;
  /** IFSC announced in the ATR (the largest INF the chip takes). */
  ifscBytes?: number;
  /** Largest INF the chip puts in one I-block it sends (the real chip fills blocks up to 254). */
  sendChunkBytes?: number;
  /** Applet feature bits in the SELECT answer (0x3FFF: all, as an SE050C; without 0x0004: no EdDSA). */
  appletFeatures?: number;
  seed?: number;
};

export type Se050SimCounters = {
  blocksReceived: number;
  blocksSent: number;
  /** Blocks from the host with a bad CRC, LEN or NAD (including injected noise). */
  badBlocksReceived: number;
  /** I-blocks from the host with the wrong N(S). */
  sequenceErrors: number;
  /** Blocks sent again because the host asked (R-block). */
  retransmissions: number;
  chainedBlocksReceived: number;
  chainedBlocksSent: number;
  resyncs: number;
  softResets: number;
  selects: number;
  wtxRequests: number;
  nacks: number;
  resets: number;
  apdus: number;
  keysGenerated: number;
  signatures: number;
};

type KeyObject = { secretKey: Uint8Array; publicKeyChipOrder: Uint8Array };
type Outgoing = { bytes: Uint8Array; pos: number; atUs: number; cutByReset: boolean };
type Answer = { response: Uint8Array; busyMs: number };

const NAD_HOST = 0x5a;
const NAD_CHIP = 0xa5;
const MAX_INF = 254;
const S = Object.freeze({ resync: 0x00, ifs: 0x01, abort: 0x02, wtx: 0x03, endApduSession: 0x05, chipReset: 0x06, getAtr: 0x07, interfaceSoftReset: 0x0f });
const R_ERROR = Object.freeze({ none: 0, crc: 1, other: 2 });
const AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00);
const SW = Object.freeze({ ok: 0x9000, wrongLength: 0x6700, conditions: 0x6985, wrongData: 0x6a80, notFound: 0x6a82, wrongP1P2: 0x6a86, ins: 0x6d00, cla: 0x6e00 });
/** SE050 MAX_APDU_PAYLOAD_LENGTH (AN12413, quoted by Plug & Trust se05x_const.h). */
const MAX_COMMAND_DATA = 892;
const FEATURE_EDDSA = 0x0004;
const CURVE_ED25519 = 0x40;
const SIG_ED25519_PURE = 0xa3;
const BWT_MS = 1000;

export class Se050Sim implements I2cDevice {
  /** The ENA pin: low powers the chip down (its T=1 state and selection are lost, its objects kept). */
  readonly enableLine: DigitalLine = { drive: (level, atUs) => this.#power(level === 1, atUs) };
  readonly #address: number;
  readonly #byteUs: number;
  readonly #signUs: number;
  readonly #generateUs: number;
  readonly #commandUs: number;
  readonly #resetUs: number;
  readonly #ifscBytes: number;
  readonly #sendChunkBytes: number;
  readonly #features: number;
  readonly #random: SeededRandom;
  readonly #keys = new Map<number, KeyObject>();
  #keySeed: Uint8Array | undefined;
  readonly #faults = new Map<Se050SimFault, number>();
  #replacements: Uint8Array[] = [];
  readonly #counters: Se050SimCounters = {
    blocksReceived: 0, blocksSent: 0, badBlocksReceived: 0, sequenceErrors: 0, retransmissions: 0, chainedBlocksReceived: 0, chainedBlocksSent: 0,
    resyncs: 0, softResets: 0, selects: 0, wtxRequests: 0, nacks: 0, resets: 0, apdus: 0, keysGenerated: 0, signatures: 0,
  };
  #powered = true;
  #deafUntilUs = 0;
  // T=1 state
  #hostSeq = 0;
  #chipSeq = 0;
  #hostIfsd = MAX_INF;
  #command: number[] = [];
  #responseChunks: Uint8Array[] = [];
  #lastSent: { block: Uint8Array; atUs: number } | undefined;
  #out: Outgoing | undefined;
  #deferred: { block: Uint8Array; readyAtUs: number; grantedUs: number } | undefined;
  // applet state
  #selected = false;

  constructor(options: Se050SimOptions) {
    const { hz, keySeed, preloadedKey } = options;
    if (!Number.isInteger(hz) || hz <= 0) throw new RangeError(`sim/se050: "hz" expected a positive integer, got ${hz}`);
    this.#address = options.address ?? 0x48;
    this.#byteUs = (9 * 1_000_000) / hz;
    this.#signUs = (options.signMs ?? SE050_MODEL_SIGN_MS) * 1000;
    this.#generateUs = (options.generateMs ?? 100) * 1000;
    this.#commandUs = (options.commandMs ?? 1) * 1000;
    this.#resetUs = (options.resetMs ?? 5) * 1000;
    this.#ifscBytes = options.ifscBytes ?? MAX_INF;
    this.#sendChunkBytes = options.sendChunkBytes ?? MAX_INF;
    this.#features = options.appletFeatures ?? 0x3fff;
    this.#random = new SeededRandom(options.seed ?? 0x5e050);
    for (const [name, value] of [['ifscBytes', this.#ifscBytes], ['sendChunkBytes', this.#sendChunkBytes]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_INF) throw new RangeError(`sim/se050: "${name}" expected an integer in 1..${MAX_INF}, got ${value}`);
    }
    if (keySeed !== undefined) this.#keySeed = secretKeyOption('keySeed', keySeed);
    if (preloadedKey) this.#store(preloadedKey.objectId, secretKeyOption('preloadedKey.secretKey', preloadedKey.secretKey));
  }

  get counters(): Readonly<Se050SimCounters> {
    return { ...this.#counters };
  }

  /** Whether the object store holds `objectId`. */
  hasObject(objectId: number): boolean {
    return this.#keys.has(objectId);
  }

  inject(fault: Se050SimFault, count = fault === 'silent' ? Infinity : 1): void {
    this.#faults.set(fault, (this.#faults.get(fault) ?? 0) + count);
  }

  /** The next blocks the chip sends are replaced, in order, by these bytes. */
  replaceNextBlocks(blocks: readonly Uint8Array[]): void {
    this.#replacements.push(...blocks.map((b) => b.slice()));
  }

  clear(): void {
    this.#faults.clear();
    this.#replacements = [];
  }

  write(bytes: Uint8Array, atUs: number): void {
    this.#acknowledge(atUs);
    if (this.#out && atUs < this.#out.atUs) this.#refuse(); // still working on the last block
    const endUs = atUs + bytes.length * this.#byteUs;
    this.#out = undefined;
    this.#counters.blocksReceived++;
    const noise = this.#take('noise-in');
    const problem = noise ? R_ERROR.crc : blockProblem(bytes);
    if (problem !== R_ERROR.none) {
      this.#counters.badBlocksReceived++;
      this.#emit(rBlock(this.#hostSeq, problem), endUs + this.#commandUs);
      return;
    }
    this.#onBlock(bytes[1]!, bytes.subarray(3, bytes.length - 2), endUs);
  }

  read(byteLength: number, atUs: number): Uint8Array {
    this.#acknowledge(atUs);
    const out = this.#out;
    if (!out || atUs < out.atUs) this.#refuse(); // nothing to send yet
    if (out.cutByReset && byteLength > out.bytes.length - out.pos) {
      this.#resetNow(atUs);
      this.#refuse();
    }
    const bytes = new Uint8Array(byteLength).fill(0xff);
    bytes.set(out.bytes.subarray(out.pos, out.pos + byteLength));
    out.pos += byteLength;
    if (out.pos >= out.bytes.length) this.#out = undefined;
    return bytes;
  }

  #acknowledge(atUs: number): void {
    if (!this.#powered || atUs < this.#deafUntilUs || this.#take('silent') || this.#take('nack')) this.#refuse();
  }

  #refuse(): never {
    this.#counters.nacks++;
    throw new I2cNoAcknowledge(this.#address);
  }

  #take(fault: Se050SimFault): boolean {
    const left = this.#faults.get(fault) ?? 0;
    if (left <= 0) return false;
    this.#faults.set(fault, left - 1);
    return true;
  }

  #onBlock(pcb: number, inf: Uint8Array, endUs: number): void {
    const readyUs = endUs + this.#commandUs;
    if ((pcb & 0x80) === 0 && (pcb & 0x1f) === 0) return this.#onIBlock((pcb >> 6) & 1, (pcb & 0x20) !== 0, inf, endUs);
    if ((pcb & 0xec) === 0x80 && (pcb & 3) !== 3 && inf.length === 0) return this.#onRBlock((pcb >> 4) & 1, pcb & 3, readyUs);
    if ((pcb & 0xe0) === 0xc0) return this.#onSRequest(pcb & 0x1f, inf, readyUs);
    if (pcb === (0xe0 | S.wtx) && this.#deferred && inf.length === 1) {
      const { block, readyAtUs, grantedUs } = this.#deferred;
      this.#deferred = undefined;
      return this.#schedule(block, readyAtUs, endUs, grantedUs);
    }
    this.#emit(rBlock(this.#hostSeq, R_ERROR.other), readyUs);
  }

  #onIBlock(ns: number, more: boolean, inf: Uint8Array, endUs: number): void {
    if (ns !== this.#hostSeq) {
      this.#counters.sequenceErrors++;
      return this.#emit(rBlock(this.#hostSeq, R_ERROR.other), endUs + this.#commandUs);
    }
    this.#hostSeq ^= 1;
    this.#deferred = undefined;
    this.#responseChunks = [];
    if (this.#command.length <= 4 + 3 + MAX_COMMAND_DATA + 2) this.#command.push(...inf);
    if (more) {
      this.#counters.chainedBlocksReceived++;
      return this.#emit(rBlock(this.#hostSeq, R_ERROR.none), endUs + this.#commandUs);
    }
    const apdu = Uint8Array.from(this.#command);
    this.#command = [];
    const { response, busyMs } = this.#execute(apdu);
    const chunkBytes = Math.min(this.#sendChunkBytes, this.#hostIfsd);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < response.length; at += chunkBytes) chunks.push(response.subarray(at, at + chunkBytes));
    this.#responseChunks = chunks.slice(1);
    this.#schedule(this.#iBlock(chunks[0]!), endUs + busyMs * 1000, endUs);
  }

  #onRBlock(nr: number, error: number, readyUs: number): void {
    if (error === R_ERROR.none && this.#responseChunks.length > 0 && nr === this.#chipSeq) {
      this.#counters.chainedBlocksSent++;
      return this.#emit(this.#iBlock(this.#responseChunks.shift()!), readyUs);
    }
    if (!this.#lastSent) return this.#emit(rBlock(this.#hostSeq, R_ERROR.other), readyUs);
    this.#counters.retransmissions++;
    this.#emit(this.#lastSent.block, Math.max(readyUs, this.#lastSent.atUs));
  }

  #onSRequest(type: number, inf: Uint8Array, readyUs: number): void {
    const answer = (body: Uint8Array = new Uint8Array(0)): void => this.#emit(block(0xe0 | type, body), readyUs);
    switch (type) {
      case S.resync:
        this.#counters.resyncs++;
        this.#resetLink();
        return answer();
      case S.interfaceSoftReset:
        this.#counters.softResets++;
        this.#resetLink();
        this.#selected = false;
        return answer(this.#atr());
      case S.getAtr:
        return answer(this.#atr());
      case S.endApduSession:
        return answer();
      case S.chipReset:
        this.#resetLink();
        this.#selected = false;
        return answer();
      case S.abort:
        this.#command = [];
        this.#responseChunks = [];
        this.#deferred = undefined;
        return answer();
      case S.ifs:
        if (inf.length === 1 && inf[0]! >= 1 && inf[0]! <= MAX_INF) {
          this.#hostIfsd = inf[0]!;
          return answer(inf);
        }
    }
    this.#emit(rBlock(this.#hostSeq, R_ERROR.other), readyUs);
  }

  /**
   * Send `answer` when ready: at once when it is ready within the host's waiting window (BWT, or what
   * the last WTX granted), else — and for each injected busy spell — after an S(WTX request).
   */
  #schedule(answer: Uint8Array, readyAtUs: number, fromUs: number, windowUs = BWT_MS * 1000): void {
    const bwtUs = BWT_MS * 1000;
    const busy = this.#take('wtx');
    if (!busy && readyAtUs - fromUs <= windowUs) return this.#emit(answer, Math.max(readyAtUs, fromUs));
    if (busy) readyAtUs += bwtUs / 2;
    const requestAtUs = fromUs + Math.min(bwtUs / 2, readyAtUs - fromUs);
    const multiplier = Math.max(1, Math.min(255, Math.ceil((readyAtUs - requestAtUs) / bwtUs)));
    this.#deferred = { block: answer, readyAtUs, grantedUs: multiplier * bwtUs };
    this.#counters.wtxRequests++;
    this.#emit(block(0xc0 | S.wtx, Uint8Array.of(multiplier)), requestAtUs);
  }

  #iBlock(inf: Uint8Array): Uint8Array {
    const more = this.#responseChunks.length > 0;
    const out = block((this.#chipSeq << 6) | (more ? 0x20 : 0), inf);
    this.#chipSeq ^= 1;
    return out;
  }

  /** Put `answer` on the bus from `atUs`, through whatever fault is armed. */
  #emit(answer: Uint8Array, atUs: number): void {
    this.#lastSent = { block: answer, atUs };
    this.#counters.blocksSent++;
    let bytes = answer;
    let cutByReset = false;
    const replacement = this.#replacements.shift();
    if (replacement) bytes = replacement;
    else if (this.#take('crc')) (bytes = answer.slice())[answer.length - 1]! ^= 0x5a;
    else if (this.#take('len')) (bytes = answer.slice())[2] = answer[2] === MAX_INF ? MAX_INF - 1 : answer[2]! + 1;
    else if (this.#take('cut')) bytes = answer.subarray(0, Math.max(3, answer.length >> 1));
    else if (this.#take('garbage')) this.#random.fill((bytes = new Uint8Array(answer.length)));
    else if (this.#take('reset')) {
      bytes = answer.subarray(0, 3 + ((answer.length - 5) >> 1));
      cutByReset = true;
    }
    this.#out = { bytes, pos: 0, atUs, cutByReset };
  }

  #resetLink(): void {
    this.#hostSeq = this.#chipSeq = 0;
    this.#hostIfsd = MAX_INF;
    this.#command = [];
    this.#responseChunks = [];
    this.#deferred = undefined;
    this.#lastSent = undefined;
  }

  /** Power-on state: the link and the applet selection are lost, the object store is kept. */
  #resetNow(atUs: number): void {
    this.#counters.resets++;
    this.#resetLink();
    this.#selected = false;
    this.#out = undefined;
    this.#deafUntilUs = atUs + this.#resetUs;
  }

  #power(on: boolean, atUs: number): void {
    if (on === this.#powered) return;
    this.#powered = on;
    if (on) this.#resetNow(atUs);
  }

  /** The ATR of a real SE050 (UM11225 layout), with this chip's IFSC. */
  #atr(): Uint8Array {
    const historical = Array.from('JCOP4 ATPO', (c) => c.charCodeAt(0));
    return Uint8Array.of(
      0x00, 0xa0, 0x00, 0x00, 0x03, 0x96, // PVER, VID
      0x04, BWT_MS >> 8, BWT_MS & 0xff, 0x00, this.#ifscBytes, // DLLP: BWT (ms), IFSC
      0x02, 0x0b, 0x03, 0xe8, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, // PLID, PLP: MCF 1000 kHz, CONFIG, MPOT 1 ms, RFU, SEGT 100 µs, WUT 0
      historical.length, ...historical,
    );
  }

  /** One command APDU of the applet (or, with no applet selected, of the card manager). */
  #execute(apdu: Uint8Array): Answer {
    this.#counters.apdus++;
    const command = parseCommand(apdu);
    if (!command || command.data.length > MAX_COMMAND_DATA) return this.#status(SW.wrongLength);
    const { cla, ins, p1, p2, data } = command;
    if (cla === 0x00 && ins === 0xa4) {
      if (p1 !== 0x04 || p2 !== 0x00) return this.#status(SW.wrongP1P2);
      if (!equalBytes(data, AID)) return this.#status(SW.notFound);
      this.#selected = true;
      this.#counters.selects++;
      return this.#ok(Uint8Array.of(3, 1, 0, this.#features >> 8, this.#features & 0xff, 1, 0));
    }
    if (!this.#selected) return this.#status(SW.ins);
    if (cla !== 0x80) return this.#status(SW.cla);
    if (![0x01, 0x02, 0x03, 0x04].includes(ins)) return this.#status(SW.ins);
    const tlvs = parseTlvs(data);
    if (!tlvs) return this.#status(SW.wrongData);
    const objectId = tlvs.get(0x41)?.length === 4 ? new DataView(tlvs.get(0x41)!.buffer, tlvs.get(0x41)!.byteOffset).getUint32(0) : undefined;
    const only = (...tags: number[]): boolean => objectId !== undefined && [...tlvs.keys()].every((tag) => tags.includes(tag));
    const key = objectId === undefined ? undefined : this.#keys.get(objectId);
    if (ins === 0x04) {
      if (p1 !== 0x00 || p2 !== 0x27) return this.#status(SW.wrongP1P2);
      if (!only(0x41)) return this.#status(SW.wrongData);
      return this.#ok(Uint8Array.of(0x41, 1, key ? 0x01 : 0x02));
    }
    if (ins === 0x01) {
      if (p1 !== 0x61 || p2 !== 0x00) return this.#status(SW.wrongP1P2);
      if (!only(0x41, 0x42) || !equalBytes(tlvs.get(0x42) ?? new Uint8Array(0), Uint8Array.of(CURVE_ED25519)) || !(this.#features & FEATURE_EDDSA)) return this.#status(SW.wrongData);
      if (key) return this.#status(SW.conditions);
      const secretKey = this.#keySeed ?? new Uint8Array(32);
      if (this.#keySeed) this.#keySeed = undefined;
      else this.#random.fill(secretKey);
      this.#store(objectId!, secretKey);
      this.#counters.keysGenerated++;
      return { response: Uint8Array.of(0x90, 0x00), busyMs: this.#generateUs / 1000 };
    }
    if (ins === 0x02) {
      if (p1 !== 0x00 || p2 !== 0x00) return this.#status(SW.wrongP1P2);
      if (!only(0x41)) return this.#status(SW.wrongData);
      if (!key) return this.#status(SW.notFound);
      return this.#ok(Uint8Array.of(0x41, 32, ...key.publicKeyChipOrder));
    }
    if (p1 !== 0x0c || p2 !== 0x09) return this.#status(SW.wrongP1P2);
    if (!only(0x41, 0x42, 0x43) || !equalBytes(tlvs.get(0x42) ?? new Uint8Array(0), Uint8Array.of(SIG_ED25519_PURE))) return this.#status(SW.wrongData);
    if (!key) return this.#status(SW.notFound);
    if (!(this.#features & FEATURE_EDDSA)) return this.#status(SW.conditions);
    const signature = nobleEd25519.sign(tlvs.get(0x43) ?? new Uint8Array(0), key.secretKey);
    this.#counters.signatures++;
    const chipOrder = Uint8Array.of(...signature.subarray(0, 32).reverse(), ...signature.subarray(32).reverse());
    return { response: Uint8Array.of(0x41, 64, ...chipOrder, 0x90, 0x00), busyMs: this.#signUs / 1000 };
  }

  #store(objectId: number, secretKey: Uint8Array): void {
    this.#keys.set(objectId, { secretKey: secretKey.slice(), publicKeyChipOrder: nobleEd25519.publicKey(secretKey).reverse() });
  }

  #ok(data: Uint8Array): Answer {
    return { response: Uint8Array.of(...data, 0x90, 0x00), busyMs: this.#commandUs / 1000 };
  }

  #status(sw: number): Answer {
    return { response: Uint8Array.of(sw >> 8, sw & 0xff), busyMs: this.#commandUs / 1000 };
  }
}

function secretKeyOption(name: string, value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    throw new RangeError(`sim/se050: "${name}" expected 32 bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`);
  }
  return value.slice();
}

/** The R-block error a received block earns: CRC (or LEN not matching the bytes), other (NAD), or none. */
function blockProblem(bytes: Uint8Array): number {
  if (bytes.length < 5 || bytes[2] !== bytes.length - 5 || bytes[2]! > MAX_INF || crcX25(bytes, bytes.length - 2) !== (bytes[bytes.length - 2]! | (bytes[bytes.length - 1]! << 8))) {
    return R_ERROR.crc;
  }
  return bytes[0] === NAD_HOST ? R_ERROR.none : R_ERROR.other;
}

function block(pcb: number, inf: Uint8Array): Uint8Array {
  const out = new Uint8Array(inf.length + 5);
  out.set([NAD_CHIP, pcb, inf.length]);
  out.set(inf, 3);
  const crc = crcX25(out, inf.length + 3);
  out[inf.length + 3] = crc & 0xff;
  out[inf.length + 4] = crc >>> 8;
  return out;
}

function rBlock(nr: number, error: number): Uint8Array {
  return block(0x80 | (nr << 4) | error, new Uint8Array(0));
}

/** CRC-16/X-25 (ISO/IEC 13239), computed here on the chip's side. */
function crcX25(bytes: Uint8Array, end: number): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) {
    crc ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc ^ 0xffff;
}

/** ISO 7816-4 §5.1 cases 1–4, short and extended; undefined when the lengths do not add up. */
function parseCommand(apdu: Uint8Array): { cla: number; ins: number; p1: number; p2: number; data: Uint8Array } | undefined {
  if (apdu.length < 4) return undefined;
  const head = { cla: apdu[0]!, ins: apdu[1]!, p1: apdu[2]!, p2: apdu[3]! };
  const none = new Uint8Array(0);
  if (apdu.length <= 5) return { ...head, data: none };
  if (apdu[4] !== 0) {
    const nc = apdu[4]!;
    return apdu.length === 5 + nc || apdu.length === 6 + nc ? { ...head, data: apdu.subarray(5, 5 + nc) } : undefined;
  }
  if (apdu.length === 7) return { ...head, data: none };
  const nc = (apdu[5]! << 8) | apdu[6]!;
  if (nc === 0) return undefined;
  return apdu.length === 7 + nc || apdu.length === 9 + nc ? { ...head, data: apdu.subarray(7, 7 + nc) } : undefined;
}

/** TLVs by tag (BER lengths: n < 0x80, 0x81 n, 0x82 nn); undefined when malformed or a tag repeats. */
function parseTlvs(data: Uint8Array): Map<number, Uint8Array> | undefined {
  const tlvs = new Map<number, Uint8Array>();
  for (let at = 0; at < data.length; ) {
    if (at + 2 > data.length) return undefined;
    const tag = data[at]!;
    let length = data[at + 1]!;
    at += 2;
    if (length === 0x81 || length === 0x82) {
      const extra = length - 0x80;
      if (at + extra > data.length) return undefined;
      length = extra === 1 ? data[at]! : (data[at]! << 8) | data[at + 1]!;
      at += extra;
    } else if (length > 0x7f) {
      return undefined;
    }
    if (at + length > data.length || tlvs.has(tag)) return undefined;
    tlvs.set(tag, data.subarray(at, at + length));
    at += length;
  }
  return tlvs;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// T=1 over I2C, the SE050's link layer: NXP UM11225 "SE05x T=1 over I2C", which carries the block
// protocol of ISO/IEC 7816-3 §11 over I2C. UM11225 itself was not at hand: its facts below are those
// NXP's Plug & Trust middleware implements (phNxpEseProto7816_3.c/.h, phNxpEse_Api.c, built with
// T1oI2C_UM11225) and the Nitrokey se05x crate (src/t1.rs, which cites UM11225's tables and holds an
// ATR read from a real SE050); no code is taken from either.
//   Block: NAD (1) | PCB (1) | LEN (1) | INF (LEN ≤ 254) | CRC-16/X-25 (2, low byte first).
//   NAD: 0x5A host → secure element, 0xA5 secure element → host (UM11225 table 4).
//   PCB, I-block: 0 N(S) M 00000 — N(S) the send sequence number, M "more data" (chaining).
//   PCB, R-block: 1 0 0 N(R) 0 0 e e — N(R) the N(S) of the I-block wanted next; ee = 00 no error,
//                 01 EDC (CRC) error, 10 other error.
//   PCB, S-block: 1 1 r ttttt — r = 1 for a response; types below (the UM11225 set; GlobalPlatform's
//                 T=1 over I2C numbers some of them differently and is not what the SE050 speaks).
// The host writes one whole block per I2C write. It reads a block as its 3-byte prologue, then INF and
// CRC. While the chip cannot answer (busy, asleep, booting) it does not acknowledge its address, so a
// transfer throws and the host polls every MPOT, for at most BWT (or the extension a WTX asked for).
// Recovery follows ISO 7816-3 §11.6.3: an invalid block or a time-out is answered with an R-block
// asking for the expected block again, an R-block from the chip makes the host send its last block
// again, and the caller resynchronises (S(RESYNCH)) when that does not help.
import { crc16X25, crcMatches } from './crc16-x25.ts';
import { Se050Error } from './se050-error.ts';

/** The part of ECMA-419 `embedded:io/i2c` the link uses. */
export interface I2cIo {
  write(buffer: ArrayBuffer, stop?: boolean): void;
  read(byteLength: number, stop?: boolean): ArrayBuffer;
  close?(): void;
}

export const Nad = Object.freeze({ hostToChip: 0x5a, chipToHost: 0xa5 });

/** S-block types (UM11225; PCB = 0xC0 | type for a request, 0xE0 | type for its response). */
export const SBlockType = Object.freeze({
  resync: 0x00,
  ifs: 0x01,
  abort: 0x02,
  wtx: 0x03,
  endApduSession: 0x05,
  chipReset: 0x06,
  getAtr: 0x07,
  interfaceSoftReset: 0x0f,
});

/** R-block error bits (ISO 7816-3 §11.3.2.2). */
export const RBlockError = Object.freeze({ none: 0, crc: 1, other: 2 });

/** UM11225: LEN is one byte and INF at most 254 bytes (also the SE050's IFSC in its ATR). */
export const MAX_INF_BYTES = 254;
const prologueBytes = 3;
const crcBytes = 2;

export type Pcb =
  | { kind: 'I'; ns: 0 | 1; more: boolean }
  | { kind: 'R'; nr: 0 | 1; error: number }
  | { kind: 'S'; type: number; response: boolean };

export function iBlockPcb(ns: number, more: boolean): number {
  return ((ns & 1) << 6) | (more ? 0x20 : 0);
}

export function rBlockPcb(nr: number, error: number): number {
  return 0x80 | ((nr & 1) << 4) | (error & 3);
}

export function sBlockPcb(type: number, response: boolean): number {
  return (response ? 0xe0 : 0xc0) | type;
}

const sBlockTypes: ReadonlySet<number> = new Set(Object.values(SBlockType));

/** A PCB taken apart; undefined for a byte no block may carry (reserved bits, unknown S type). */
export function decodePcb(pcb: number): Pcb | undefined {
  if ((pcb & 0x80) === 0) return (pcb & 0x1f) === 0 ? { kind: 'I', ns: ((pcb >> 6) & 1) as 0 | 1, more: (pcb & 0x20) !== 0 } : undefined;
  if ((pcb & 0xc0) === 0x80) {
    if ((pcb & 0x2c) !== 0 || (pcb & 3) === 3) return undefined;
    return { kind: 'R', nr: ((pcb >> 4) & 1) as 0 | 1, error: pcb & 3 };
  }
  return sBlockTypes.has(pcb & 0x1f) ? { kind: 'S', type: pcb & 0x1f, response: (pcb & 0x20) !== 0 } : undefined;
}

/** NAD, PCB, LEN, INF and the CRC (low byte first). */
export function encodeBlock(nad: number, pcb: number, inf: Uint8Array = new Uint8Array(0)): Uint8Array<ArrayBuffer> {
  if (inf.length > MAX_INF_BYTES) throw new RangeError(`se050/t1: INF expected at most ${MAX_INF_BYTES} bytes, got ${inf.length}`);
  const block = new Uint8Array(prologueBytes + inf.length + crcBytes);
  block[0] = nad;
  block[1] = pcb;
  block[2] = inf.length;
  block.set(inf, prologueBytes);
  const crc = crc16X25(block, prologueBytes + inf.length);
  block[prologueBytes + inf.length] = crc & 0xff;
  block[prologueBytes + inf.length + 1] = crc >>> 8;
  return block;
}

/** The link parameters a chip announces in its ATR (UM11225 "ATR": DLLP and PLP fields). */
export type Atr = {
  /** Block waiting time, ms: the longest the chip takes to start its answer to a block. */
  bwtMs: number;
  /** Largest INF the chip accepts. */
  ifscBytes: number;
  /** Minimum polling time, ms: how often to poll a chip that does not acknowledge. */
  mpotMs: number;
  /** Guard time, µs, between the end of a block the host writes and its first read. */
  segtUs: number;
  /** Highest I2C clock, kHz. */
  maxClockKhz: number;
  /** Historical bytes (e.g. "JCOP4 ATPO"). */
  historical: Uint8Array;
};

/**
 * The ATR as UM11225 lays it out: PVER (1), VID (5), DLLP length (1), DLLP = BWT (2, ms), IFSC (2);
 * PLID (1), PLP length (1), PLP = MCF (2, kHz), CONFIG (1), MPOT (1, ms), RFU (3), SEGT (2, µs),
 * WUT (2, µs); HB length (1), historical bytes. Undefined when the bytes do not have that shape.
 */
export function parseAtr(bytes: Uint8Array): Atr | undefined {
  let at = 6;
  const field = (length: number): Uint8Array | undefined => {
    if (at + 1 > bytes.length) return undefined;
    const declared = bytes[at]!;
    if (declared < length || at + 1 + declared > bytes.length) return undefined;
    const value = bytes.subarray(at + 1, at + 1 + declared);
    at += 1 + declared;
    return value;
  };
  const dllp = field(4);
  if (!dllp) return undefined;
  at += 1; // PLID
  const plp = field(11);
  const historical = field(0);
  if (!plp || !historical || at !== bytes.length) return undefined;
  const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
  return {
    bwtMs: u16(dllp, 0),
    ifscBytes: u16(dllp, 2),
    maxClockKhz: u16(plp, 0),
    mpotMs: plp[3]!,
    segtUs: u16(plp, 7),
    historical: historical.slice(),
  };
}

/** Link parameters in use: the real SE050's ATR values until the chip's own ATR is read. */
type Timing = { bwtMs: number; ifscBytes: number; mpotMs: number; guardMs: number };
const se050Timing: Readonly<Timing> = Object.freeze({ bwtMs: 1000, ifscBytes: MAX_INF_BYTES, mpotMs: 1, guardMs: 1 });

/** Consecutive invalid blocks, time-outs or rejections of ours before the link gives up on a block. */
const maxBlockFailures = 3;
/** Requests of an S-block exchange (ISO 7816-3 rule 6.4 allows three S(RESYNCH) requests). */
const sBlockTries = 3;
/** How long a write may be refused (address not acknowledged) before the chip counts as absent. */
const writePollMs = 20;
/**
 * The most waiting-time extension (WTX) the host grants one command: the SE050's Ed25519 operations
 * take a fraction of a second, so a chip still asking after 5 s is stuck, not busy.
 */
const maxWtxWaitMs = 5_000;

type Received = { ok: true; pcb: number; inf: Uint8Array } | { ok: false; code: 'no-answer' | 'bad-crc' | 'protocol'; detail: string };
type Failure = { code: 'no-answer' | 'bad-crc' | 'protocol'; detail: string };

export class T1OverI2c {
  readonly #i2c: I2cIo;
  readonly #wait: (ms: number) => void;
  #timing: Timing = { ...se050Timing };
  /** N(S) of the host's next I-block. */
  #sendSeq = 0;
  /** N(S) the chip's next I-block must carry. */
  #receiveSeq = 0;
  #lastSent: Uint8Array<ArrayBuffer> | undefined;

  constructor(i2c: I2cIo, wait: (ms: number) => void) {
    this.#i2c = i2c;
    this.#wait = wait;
  }

  /** S(interface soft reset): the chip's T=1 state back to its start, and its ATR. */
  softReset(): Atr {
    const inf = this.#exchangeS(SBlockType.interfaceSoftReset, 'interface soft reset');
    const atr = parseAtr(inf);
    if (!atr) throw new Se050Error('protocol', `the ATR ${hex(inf)} does not have the UM11225 layout`);
    this.#timing = {
      bwtMs: atr.bwtMs > 0 ? atr.bwtMs : se050Timing.bwtMs,
      ifscBytes: Math.min(Math.max(atr.ifscBytes, 1), MAX_INF_BYTES),
      mpotMs: Math.max(atr.mpotMs, 1),
      guardMs: Math.ceil(atr.segtUs / 1000),
    };
    this.#sendSeq = this.#receiveSeq = 0;
    return atr;
  }

  /** S(RESYNCH): both sequence numbers back to 0 (ISO 7816-3 rule 6.4); the chip keeps its session. */
  resync(): void {
    const inf = this.#exchangeS(SBlockType.resync, 'RESYNCH');
    if (inf.length !== 0) throw new Se050Error('protocol', `S(RESYNCH response) carries ${inf.length} bytes`);
    this.#sendSeq = this.#receiveSeq = 0;
  }

  /** S(end of APDU session) (UM11225): the host is done for now; the chip may power down. */
  endApduSession(): void {
    this.#exchangeS(SBlockType.endApduSession, 'end of APDU session');
  }

  /**
   * One command APDU out, chained in I-blocks of at most IFSC bytes; its answer back, chained the
   * same way. `whileBusy` (it must not throw or use this bus) runs once, as soon as the command's
   * last I-block is out, before the first poll for the answer: it overlaps the chip's processing.
   */
  transceive(command: Uint8Array, whileBusy?: () => void): Uint8Array {
    if (command.length === 0) throw new TypeError('se050/t1: "command" expected at least one byte');
    const { bwtMs, ifscBytes } = this.#timing;
    let sent = 0;
    const sendNextChunk = (): boolean => {
      const end = Math.min(sent + ifscBytes, command.length);
      const more = end < command.length;
      this.#send(encodeBlock(Nad.hostToChip, iBlockPcb(this.#sendSeq, more), command.subarray(sent, end)));
      sent = end;
      if (!more) whileBusy?.();
      return more;
    };
    /** Whether our last I-block had M set (we wait for its R-block acknowledgement). */
    let chaining = sendNextChunk();
    const parts: Uint8Array[] = [];
    let failures = 0;
    let waitMs = bwtMs;
    let extendedMs = 0;
    const fail = (failure: Failure): void => {
      if (++failures >= maxBlockFailures) throw new Se050Error(failure.code, `${failure.detail} (${failures} times in a row)`);
    };
    for (;;) {
      const block = this.#receive(waitMs);
      waitMs = bwtMs;
      const pcb = block.ok ? decodePcb(block.pcb) : undefined;
      if (block.ok && pcb) {
        if (pcb.kind === 'I' && !chaining && pcb.ns === this.#receiveSeq) {
          if (parts.length === 0) this.#sendSeq ^= 1; // the answer acknowledges our last I-block
          this.#receiveSeq ^= 1;
          parts.push(block.inf);
          failures = 0;
          if (!pcb.more) return concat(parts);
          this.#send(encodeBlock(Nad.hostToChip, rBlockPcb(this.#receiveSeq, RBlockError.none)));
          continue;
        }
        if (pcb.kind === 'R' && chaining && pcb.error === RBlockError.none && pcb.nr !== this.#sendSeq) {
          this.#sendSeq ^= 1;
          failures = 0;
          chaining = sendNextChunk();
          continue;
        }
        if (pcb.kind === 'R') {
          // The chip did not take our last block (a CRC error on its side, a lost block): send it again.
          fail({ code: 'protocol', detail: `the chip keeps asking for our last block again (${describePcb(block.pcb)})` });
          this.#send(this.#lastSent!);
          continue;
        }
        if (pcb.kind === 'S' && pcb.type === SBlockType.wtx && !pcb.response && block.inf.length === 1 && block.inf[0]! > 0) {
          waitMs = block.inf[0]! * bwtMs;
          extendedMs += waitMs;
          if (extendedMs > maxWtxWaitMs) throw new Se050Error('no-answer', `the chip asked for more than ${maxWtxWaitMs} ms of waiting-time extensions for one command`);
          this.#send(encodeBlock(Nad.hostToChip, sBlockPcb(SBlockType.wtx, true), block.inf));
          continue;
        }
      }
      // An invalid, unexpected or missing block: ask for the expected one again (ISO 7816-3 rules 7.1, 7.2).
      const failure: Failure = block.ok ? { code: 'protocol', detail: `unexpected ${describePcb(block.pcb)} from the chip` } : block;
      fail(failure);
      const error = failure.code === 'bad-crc' ? RBlockError.crc : RBlockError.other;
      this.#send(encodeBlock(Nad.hostToChip, rBlockPcb(this.#receiveSeq, error)));
    }
  }

  close(): void {
    this.#i2c.close?.();
  }

  /** An S-block request and its response's INF, asked up to three times. */
  #exchangeS(type: number, name: string): Uint8Array {
    let failure: Failure = { code: 'no-answer', detail: '' };
    for (let attempt = 1; attempt <= sBlockTries; attempt++) {
      this.#send(encodeBlock(Nad.hostToChip, sBlockPcb(type, false)));
      const block = this.#receive(this.#timing.bwtMs);
      if (block.ok && block.pcb === sBlockPcb(type, true)) return block.inf;
      failure = block.ok ? { code: 'protocol', detail: `${describePcb(block.pcb)} instead` } : block;
    }
    throw new Se050Error(failure.code, `no S(${name} response) to ${sBlockTries} requests: ${failure.detail}`);
  }

  /** Write one block, polling while the chip does not acknowledge its address. */
  #send(block: Uint8Array<ArrayBuffer>): void {
    const { mpotMs } = this.#timing;
    for (let waitedMs = 0; ; waitedMs += mpotMs) {
      try {
        this.#i2c.write(block.buffer);
        this.#lastSent = block;
        return;
      } catch (error) {
        if (waitedMs >= writePollMs) {
          throw new Se050Error('no-answer', `the chip refuses a ${describePcb(block[1]!)} block for ${waitedMs} ms (${(error as Error).message})`);
        }
        this.#wait(mpotMs);
      }
    }
  }

  /** Read the chip's next block: poll its prologue every MPOT for `waitMs`, then INF and CRC. */
  #receive(waitMs: number): Received {
    const { mpotMs, guardMs } = this.#timing;
    this.#wait(guardMs);
    let prologue: Uint8Array | undefined;
    for (let waitedMs = 0; !prologue; waitedMs += mpotMs) {
      try {
        prologue = new Uint8Array(this.#i2c.read(prologueBytes));
      } catch {
        if (waitedMs >= waitMs) return { ok: false, code: 'no-answer', detail: `no block from the chip within ${waitMs} ms` };
        this.#wait(mpotMs);
      }
    }
    if (prologue.length !== prologueBytes) return { ok: false, code: 'protocol', detail: `a ${prologue.length}-byte prologue` };
    if (prologue[0] !== Nad.chipToHost) return { ok: false, code: 'protocol', detail: `a block from the chip cannot begin ${hex(prologue)}` };
    const length = prologue[2]!;
    if (length > MAX_INF_BYTES) return { ok: false, code: 'protocol', detail: `a block from the chip announces LEN ${length}` };
    let rest: Uint8Array;
    try {
      rest = new Uint8Array(this.#i2c.read(length + crcBytes));
    } catch (error) {
      return { ok: false, code: 'protocol', detail: `the chip stopped answering inside a block begun ${hex(prologue)} (${(error as Error).message})` };
    }
    const block = concat([prologue, rest]);
    if (rest.length !== length + crcBytes || !crcMatches(block)) return { ok: false, code: 'bad-crc', detail: `block ${hex(block)} fails its CRC` };
    return { ok: true, pcb: prologue[1]!, inf: rest.subarray(0, length) };
  }
}

function describePcb(pcb: number): string {
  const decoded = decodePcb(pcb);
  if (!decoded) return `block with invalid PCB 0x${hex(Uint8Array.of(pcb))}`;
  if (decoded.kind === 'I') return `I(N(S)=${decoded.ns}${decoded.more ? ', M' : ''})`;
  if (decoded.kind === 'R') return `R(N(R)=${decoded.nr}${['', ', CRC error', ', other error'][decoded.error]})`;
  const name = Object.keys(SBlockType).find((key) => SBlockType[key as keyof typeof SBlockType] === decoded.type);
  return `S(${name} ${decoded.response ? 'response' : 'request'})`;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, at), (at += part.length);
  return out;
}

/** Hex of at most the first 24 bytes. */
export function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes.subarray(0, 24)) text += (byte < 16 ? '0' : '') + byte.toString(16);
  return bytes.length > 24 ? `${text}… (${bytes.length} bytes)` : text;
}

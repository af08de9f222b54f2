// Durable append-only journal of the raw transactions submitted to the embedded chain.
// Frame: u32 BE payload length ‖ u32 BE CRC-32 of the payload ‖ payload, where
// payload = u64 BE block timestamp (s) ‖ signed raw transaction. Each append is fsync'd before
// the transaction is sent. On open, a torn tail — a frame cut short, a bad CRC on the very last
// frame, or a zero-filled tail (a crash mid-append) — is cut off; a bad length or a bad CRC
// followed by more data is corruption and fails without touching the file.
// A state snapshot names the journal position it stands for (`JournalPosition`); opening from
// that position reads only the frames after it.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { LedgerError } from './errors.ts';

export type JournalRecord = { timestampS: bigint; raw: Uint8Array };
/** The end of a frame: `bytes` = journal length up to it, plus where that frame starts and its CRC. */
export type JournalPosition = { bytes: number; lastFrameAt: number; lastFrameCrc: number };

export const journalStart: JournalPosition = Object.freeze({ bytes: 0, lastFrameAt: -1, lastFrameCrc: 0 });

const headerBytes = 8;
const maxPayloadBytes = 1 << 24;

const corrupt = (path: string, offset: number, why: string): LedgerError => new LedgerError('journal-corrupt', `ledger journal ${path} corrupt at byte ${offset}: ${why}`);

function readRange(fd: number, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(0, to - from));
  let at = 0;
  while (at < bytes.length) {
    const n = readSync(fd, bytes, at, bytes.length - at, from + at);
    if (n === 0) break;
    at += n;
  }
  return bytes.subarray(0, at);
}

/** Why `position` is not the end of a frame of the journal at `path` (undefined: it is). */
export function journalMismatch(path: string, position: JournalPosition): string | undefined {
  if (position.bytes === 0) return undefined;
  if (!existsSync(path)) return 'the journal is missing';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < position.bytes) return `the journal has ${size} bytes, the snapshot stands for ${position.bytes}`;
    const header = readRange(fd, position.lastFrameAt, position.lastFrameAt + headerBytes);
    if (header.length < headerBytes) return `no frame at byte ${position.lastFrameAt}`;
    const view = new DataView(header.buffer, header.byteOffset);
    if (position.lastFrameAt + headerBytes + view.getUint32(0) !== position.bytes) return `the frame at byte ${position.lastFrameAt} does not end at byte ${position.bytes}`;
    if (view.getUint32(4) !== position.lastFrameCrc) return `the frame at byte ${position.lastFrameAt} has another CRC`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export class TxJournal {
  readonly path: string;
  readonly #fd: number;
  #position: JournalPosition;
  /** Bytes cut off as a torn tail when the journal was opened (0 = clean). */
  readonly tornBytes: number;

  private constructor(path: string, fd: number, position: JournalPosition, tornBytes: number) {
    this.path = path;
    this.#fd = fd;
    this.#position = position;
    this.tornBytes = tornBytes;
  }

  /**
   * Opens (creating if missing) and returns the journal with every complete record after `from`
   * (default: the start), which must be a frame end (`journalMismatch` checks that).
   */
  static open(path: string, from: JournalPosition = journalStart): { journal: TxJournal; records: JournalRecord[] } {
    const fd = openSync(path, 'a+');
    try {
      const bytes = readRange(fd, from.bytes, fstatSync(fd).size);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const records: JournalRecord[] = [];
      let last = from;
      let at = 0;
      while (at < bytes.length) {
        if (bytes.length - at < headerBytes || bytes.subarray(at).every((b) => b === 0)) break;
        const length = view.getUint32(at);
        if (length < 8 || length > maxPayloadBytes) throw corrupt(path, from.bytes + at, `frame length ${length}`);
        const end = at + headerBytes + length;
        if (end > bytes.length) break;
        const payload = bytes.subarray(at + headerBytes, end);
        const crc = view.getUint32(at + 4);
        if (crc32(payload) !== crc) {
          if (end === bytes.length) break;
          throw corrupt(path, from.bytes + at, 'CRC mismatch before the last frame');
        }
        records.push({ timestampS: new DataView(payload.buffer, payload.byteOffset).getBigUint64(0), raw: payload.slice(8) });
        last = { bytes: from.bytes + end, lastFrameAt: from.bytes + at, lastFrameCrc: crc };
        at = end;
      }
      if (at < bytes.length) {
        ftruncateSync(fd, from.bytes + at);
        fsyncSync(fd);
      }
      return { journal: new TxJournal(path, fd, last, bytes.length - at), records };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The end of the last frame appended (or read on open). */
  get position(): JournalPosition {
    return this.#position;
  }

  append(record: JournalRecord): void {
    const frame = new Uint8Array(headerBytes + 8 + record.raw.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 8 + record.raw.length);
    view.setBigUint64(headerBytes, record.timestampS);
    frame.set(record.raw, headerBytes + 8);
    const crc = crc32(frame.subarray(headerBytes));
    view.setUint32(4, crc);
    let written = 0;
    while (written < frame.length) written += writeSync(this.#fd, frame, written, frame.length - written);
    fsyncSync(this.#fd);
    const at = this.#position.bytes;
    this.#position = { bytes: at + frame.length, lastFrameAt: at, lastFrameCrc: crc };
  }

  close(): void {
    closeSync(this.#fd);
  }
}

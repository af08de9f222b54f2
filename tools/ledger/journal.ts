// Durable append-only journal of the raw transactions submitted to the embedded chain.
// Frame: u32 BE payload length ‖ u32 BE CRC-32 of the payload ‖ payload, where
// payload = u64 BE block timestamp (s) ‖ signed raw transaction. Each append is fsync'd before
// the transaction is sent. On open, a torn tail — a frame cut short, a bad CRC on the very last
// frame, or a zero-filled tail (a crash mid-append) — is cut off; a bad length or a bad CRC
// followed by more data is corruption and fails without touching the file.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { LedgerError } from './errors.ts';

export type JournalRecord = { timestampS: bigint; raw: Uint8Array };

const headerBytes = 8;
const maxPayloadBytes = 1 << 24;

const corrupt = (path: string, offset: number, why: string): LedgerError => new LedgerError('journal-corrupt', `ledger journal ${path} corrupt at byte ${offset}: ${why}`);

function readAll(fd: number): Uint8Array {
  const size = fstatSync(fd).size;
  const bytes = new Uint8Array(size);
  let at = 0;
  while (at < size) at += readSync(fd, bytes, at, size - at, at);
  return bytes;
}

export class TxJournal {
  readonly path: string;
  readonly #fd: number;
  #size: number;
  /** Bytes cut off as a torn tail when the journal was opened (0 = clean). */
  readonly tornBytes: number;

  private constructor(path: string, fd: number, size: number, tornBytes: number) {
    this.path = path;
    this.#fd = fd;
    this.#size = size;
    this.tornBytes = tornBytes;
  }

  /** Opens (creating if missing) and returns the journal with every complete record in it. */
  static open(path: string): { journal: TxJournal; records: JournalRecord[] } {
    const fd = openSync(path, 'a+');
    try {
      const bytes = readAll(fd);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const records: JournalRecord[] = [];
      let at = 0;
      while (at < bytes.length) {
        if (bytes.length - at < headerBytes || bytes.subarray(at).every((b) => b === 0)) break;
        const length = view.getUint32(at);
        if (length < 8 || length > maxPayloadBytes) throw corrupt(path, at, `frame length ${length}`);
        const end = at + headerBytes + length;
        if (end > bytes.length) break;
        const payload = bytes.subarray(at + headerBytes, end);
        if (crc32(payload) !== view.getUint32(at + 4)) {
          if (end === bytes.length) break;
          throw corrupt(path, at, 'CRC mismatch before the last frame');
        }
        records.push({ timestampS: new DataView(payload.buffer, payload.byteOffset).getBigUint64(0), raw: payload.slice(8) });
        at = end;
      }
      if (at < bytes.length) {
        ftruncateSync(fd, at);
        fsyncSync(fd);
      }
      return { journal: new TxJournal(path, fd, at, bytes.length - at), records };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get sizeBytes(): number {
    return this.#size;
  }

  append(record: JournalRecord): void {
    const frame = new Uint8Array(headerBytes + 8 + record.raw.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 8 + record.raw.length);
    view.setBigUint64(headerBytes, record.timestampS);
    frame.set(record.raw, headerBytes + 8);
    view.setUint32(4, crc32(frame.subarray(headerBytes)));
    let written = 0;
    while (written < frame.length) written += writeSync(this.#fd, frame, written, frame.length - written);
    fsyncSync(this.#fd);
    this.#size += frame.length;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

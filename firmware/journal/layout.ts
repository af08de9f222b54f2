// On-flash layout of the journal (all integers little-endian).
//
// Block header, at offset 0 of every block in use (16 bytes):
//   0  magic      4  "TCJ1"
//   4  blockSeq   u32  order of the block in the log (each newly started block gets max + 1)
//   8  seqFloor   u32  the next record sequence when the block was started (keeps sequences
//                      increasing after every record below it has been pruned)
//  12  crc        u32  CRC-32 of bytes 0..11
//
// Record, packed after the header and after each other (13 bytes of framing):
//   0  magic      u8   0xA5 (an erased byte reads 0xFF: the end of the records)
//   1  flags      u8   NOT covered by the CRC: programmed in place after the write, only 1 → 0.
//                      bit 0 clear = acknowledged by the relay, bit 1 clear = settled.
//   2  kindByte   u8   bits 0..6 kind (0..127), bit 7 set = 'state' retention, clear = 'billing'
//   3  length     u16  payload length
//   5  seq        u32  journal sequence (1, 2, 3 … strictly increasing per append; copies made by
//                      compaction keep their sequence)
//   9  payload    length bytes
//   9+length crc  u32  CRC-32 of byte 0 and bytes 2 .. 9+length-1
import { crc32 } from '../../contracts-offline/crc32.ts';

export const blockHeaderLength = 16;
export const recordFramingLength = 13;
const blockMagic = Object.freeze([0x54, 0x43, 0x4a, 0x31]); // "TCJ1"
const recordMagic = 0xa5;
export const flagAcknowledged = 0x01;
export const flagSettled = 0x02;
const stateBit = 0x80;

export type Retention = 'billing' | 'state';

export type BlockHeader = { blockSeq: number; seqFloor: number };

export type RecordHeader = {
  /** 0..127, chosen by the journal's user. */
  kind: number;
  retention: Retention;
  /** Raw flags byte (see flagAcknowledged / flagSettled: a clear bit means set). */
  flags: number;
  seq: number;
  payloadLength: number;
};

export function encodeBlockHeader(header: BlockHeader): Uint8Array {
  const bytes = new Uint8Array(blockHeaderLength);
  const view = new DataView(bytes.buffer);
  bytes.set(blockMagic, 0);
  view.setUint32(4, header.blockSeq, true);
  view.setUint32(8, header.seqFloor, true);
  view.setUint32(12, crc32(bytes, 0, 12), true);
  return bytes;
}

/** The header of the block starting at `bytes[0]`, or undefined if it is not a valid one. */
export function decodeBlockHeader(bytes: Uint8Array): BlockHeader | undefined {
  if (bytes.length < blockHeaderLength) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== blockMagic[i]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, blockHeaderLength);
  if (view.getUint32(12, true) !== crc32(bytes, 0, 12)) return undefined;
  return { blockSeq: view.getUint32(4, true), seqFloor: view.getUint32(8, true) };
}

export function encodeRecord(header: RecordHeader, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(recordFramingLength + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = recordMagic;
  bytes[1] = header.flags;
  bytes[2] = header.kind | (header.retention === 'state' ? stateBit : 0);
  view.setUint16(3, payload.length, true);
  view.setUint32(5, header.seq, true);
  bytes.set(payload, 9);
  view.setUint32(9 + payload.length, recordCrc(bytes, payload.length), true);
  return bytes;
}

/**
 * The record starting at `bytes[offset]`: 'end' when the byte there is erased (0xFF), the header
 * when the record is whole and its CRC matches, 'invalid' otherwise (torn or not a record).
 */
export function decodeRecord(bytes: Uint8Array, offset: number): RecordHeader | 'end' | 'invalid' {
  if (offset >= bytes.length) return 'end';
  if (bytes[offset] === 0xff) return 'end';
  if (bytes[offset] !== recordMagic || offset + recordFramingLength > bytes.length) return 'invalid';
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.length - offset);
  const payloadLength = view.getUint16(3, true);
  if (offset + recordFramingLength + payloadLength > bytes.length) return 'invalid';
  const record = bytes.subarray(offset, offset + recordFramingLength + payloadLength);
  if (view.getUint32(9 + payloadLength, true) !== recordCrc(record, payloadLength)) return 'invalid';
  const kindByte = record[2]!;
  return {
    kind: kindByte & 0x7f,
    retention: kindByte & stateBit ? 'state' : 'billing',
    flags: record[1]!,
    seq: view.getUint32(5, true),
    payloadLength,
  };
}

function recordCrc(record: Uint8Array, payloadLength: number): number {
  // CRC over byte 0 and bytes 2.. (the flags byte is excluded: it changes in place).
  const covered = new Uint8Array(8 + payloadLength);
  covered[0] = record[0]!;
  covered.set(record.subarray(2, 9 + payloadLength), 1);
  return crc32(covered);
}

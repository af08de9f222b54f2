// Boot-time recovery of the journal, and the explicit `formatJournal` (never called by mount).
//
// Mount only reads. It takes every block with a valid header, in block-sequence order, and every
// record whose CRC checks, stopping in each block at the first erased or invalid byte. A torn
// record is ignored; the block holding it receives nothing more (its tail is not clean). A record
// found in two blocks (a compaction was cut before its erase) is taken once, at its older copy,
// with the flags of both copies combined; the block with the newer copy is marked stale (the
// journal erases it before any other compaction) and, if it is the newest, receives nothing more.
//
// A partition with no valid block header is refused: 'blank' when it holds nothing billable — every
// byte erased (factory-new), or at most one block with other bytes and no whole unacknowledged
// billing record anywhere in it (what an interrupted provisioning or factory reset leaves:
// firmware/console/README.md "Atomic provisioning"); 'unrecognized' otherwise, never formatted.
import type { Flash } from '../../hal/types.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import { Journal, type BlockState, type Entry, type JournalResult, type MountedState } from './journal.ts';
import {
  blockHeaderLength, decodeBlockHeader, decodeRecord, encodeBlockHeader, flagAcknowledged, recordFramingLength,
} from './layout.ts';

const minimumBlocks = 2; // one in use and one erased reserve for compaction

function checkGeometry(flash: Flash): number {
  const { byteLength, blockLength } = flash;
  if (!Number.isInteger(blockLength) || blockLength < 256 || !Number.isInteger(byteLength) || byteLength % blockLength !== 0) {
    throw new RangeError(`journal: flash geometry ${byteLength}/${blockLength} is not whole blocks of ≥ 256 bytes`);
  }
  const count = byteLength / blockLength;
  if (count < minimumBlocks) throw new RangeError(`journal: expected at least ${minimumBlocks} blocks, got ${count}`);
  return count;
}

type ScannedBlock = { index: number; blockSeq: number; seqFloor: number; endOffset: number; cleanTail: boolean; records: { header: Entry; crc: number }[] };

export function mountJournal(flash: Flash): JournalResult<Journal> {
  const blockCount = checkGeometry(flash);
  const blockLength = flash.blockLength;
  const scanned: ScannedBlock[] = [];
  const touched: Uint8Array[] = [];
  for (let index = 0; index < blockCount; index++) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(flash.read(blockLength, index * blockLength));
    } catch (error) {
      return fail('device', `journal: flash read failed (${(error as Error).message})`);
    }
    const header = decodeBlockHeader(bytes);
    if (!header) {
      if (touched.length < 2 && !bytes.every((b) => b === 0xff)) touched.push(bytes);
      continue;
    }
    scanned.push(scanBlock(bytes, index, header.blockSeq, header.seqFloor));
  }
  if (scanned.length === 0) {
    if (touched.length === 0) return fail('blank', 'journal: the partition is erased (no journal yet)');
    if (touched.length === 1 && !holdsUnacknowledgedBilling(touched[0]!)) {
      return fail('blank', 'journal: no journal, only the remains of an interrupted provisioning or factory reset');
    }
    return fail('unrecognized', 'journal: no valid journal block; refusing to mount (not formatting)');
  }
  scanned.sort((a, b) => a.blockSeq - b.blockSeq);
  const entries = new Map<number, Entry>();
  const crcs = new Map<number, number>();
  const staleBlocks = new Set<number>();
  const blocks: (BlockState | undefined)[] = new Array<BlockState | undefined>(blockCount).fill(undefined);
  let nextSeq = 1;
  for (let i = 0; i < scanned.length; i++) {
    const block = scanned[i]!;
    if (i > 0 && scanned[i - 1]!.blockSeq === block.blockSeq) {
      return fail('corrupt', `journal: blocks ${scanned[i - 1]!.index} and ${block.index} share block sequence ${block.blockSeq}`);
    }
    blocks[block.index] = { blockSeq: block.blockSeq, endOffset: block.endOffset, dirtyTail: !block.cleanTail };
    nextSeq = Math.max(nextSeq, block.seqFloor);
    for (const { header, crc } of block.records) {
      const older = entries.get(header.seq);
      if (older) {
        if (crcs.get(header.seq) !== crc || older.kind !== header.kind || older.retention !== header.retention) {
          return fail('corrupt', `journal: two different records carry sequence ${header.seq}`);
        }
        staleBlocks.add(block.index);
        older.flags &= header.flags; // copies are made with the flags known then: keep every mark
        continue;
      }
      entries.set(header.seq, header);
      crcs.set(header.seq, crc);
      nextSeq = Math.max(nextSeq, header.seq + 1);
    }
  }
  const newest = scanned[scanned.length - 1]!;
  const state: MountedState = {
    blocks,
    entries,
    active: newest.cleanTail && !staleBlocks.has(newest.index) ? newest.index : -1,
    nextSeq,
    nextBlockSeq: newest.blockSeq + 1,
    staleBlocks,
  };
  return ok(new Journal(flash, state));
}

function scanBlock(bytes: Uint8Array, index: number, blockSeq: number, seqFloor: number): ScannedBlock {
  const records: ScannedBlock['records'] = [];
  let offset = blockHeaderLength;
  for (;;) {
    const header = decodeRecord(bytes, offset);
    if (header === 'end' || header === 'invalid') break;
    const end = offset + recordFramingLength + header.payloadLength;
    const crc = new DataView(bytes.buffer, bytes.byteOffset).getUint32(end - 4, true);
    records.push({ header: { ...header, block: index, offset }, crc });
    offset = end;
  }
  let cleanTail = true;
  for (let i = offset; i < bytes.length && cleanTail; i++) if (bytes[i] !== 0xff) cleanTail = false;
  return { index, blockSeq, seqFloor, endOffset: offset, cleanTail, records };
}

/**
 * A whole unacknowledged billing record anywhere past the header area of a block without a valid
 * header. Every offset is tried, not only the record chain from offset 16: a torn erase leaves old
 * records behind an erased prefix.
 */
function holdsUnacknowledgedBilling(bytes: Uint8Array): boolean {
  for (let offset = blockHeaderLength; offset < bytes.length; offset++) {
    if (bytes[offset] === 0xff) continue;
    const record = decodeRecord(bytes, offset);
    if (record !== 'end' && record !== 'invalid' && record.retention === 'billing' && (record.flags & flagAcknowledged) !== 0) return true;
  }
  return false;
}

/**
 * Erase the whole partition and start an empty journal. Only for a 'blank' mount result or an
 * explicit wipe ordered by a technician — never as a reaction to a failed mount.
 */
export function formatJournal(flash: Flash): JournalResult<void> {
  const blockCount = checkGeometry(flash);
  try {
    for (let index = 0; index < blockCount; index++) flash.eraseBlock(index);
    flash.write(encodeBlockHeader({ blockSeq: 1, seqFloor: 1 }), 0);
  } catch (error) {
    return fail('device', `journal: format failed (${(error as Error).message})`);
  }
  return ok(undefined);
}

// The pile's journal: an append-only log of records on NOR flash (layout in ./layout.ts).
//
// Retention decides what compaction may drop:
//   'billing' records (contracts, receipts) stay until they are both acknowledged (a relay-signed
//   Ack covers them) and settled (the session they belong to is closed); they are never
//   overwritten — when there is no room, `append` answers 'full';
//   'state' records (provisioning, tariff, session checkpoints) stay while they are the latest
//   record of their kind.
// Compaction copies the live records of a block (keeping their sequence and flags) to the end of
// the log, then erases the block. One erased block is always held in reserve so compaction can
// run. A power cut at any point leaves a log that mounts: a torn record fails its CRC and is
// ignored; a record present twice (a compaction was cut before its erase) is taken once, at its
// older copy, and the blocks holding the newer copies are erased before any other compaction (so
// no pruned record can come back from a leftover copy, and a cut compaction can always resume).
// Device errors never throw out of the journal: the call answers 'device' and the journal refuses
// every later call until it is mounted again.
import type { Flash } from '../../hal/types.ts';
import { type Failure, type Result, fail, ok } from '../../contracts-offline/result.ts';
import {
  blockHeaderLength, decodeRecord, encodeBlockHeader, encodeRecord, flagAcknowledged, flagSettled,
  recordFramingLength, type Retention,
} from './layout.ts';

export type JournalErrorCode =
  | 'blank' // mount: the partition is erased; nothing to mount (`formatJournal` makes a journal)
  | 'unrecognized' // mount: no valid journal block, and not blank — refused, never formatted
  | 'corrupt' // mount/read: records contradict each other or a record no longer checks
  | 'full' // append: no room without dropping an unacknowledged record
  | 'unknown-seq' // mark*/read: no live record with that sequence
  | 'not-billing' // mark*: the record is a 'state' record
  | 'device'; // the flash failed; remount before anything else

export type JournalResult<T> = Result<T, JournalErrorCode>;

export type JournalRecord = {
  seq: number;
  kind: number;
  retention: Retention;
  acknowledged: boolean;
  settled: boolean;
  payloadLength: number;
};

export type AppendOptions = {
  retention: Retention;
  /** Write the record already settled (e.g. a receipt, which closes its own session). */
  settled?: boolean;
  /** Refuse ('full') unless this many bytes stay available after the record (room for the receipt). */
  headroomBytes?: number;
};

export type JournalStats = {
  blockCount: number;
  blockLength: number;
  freeBlocks: number;
  liveRecords: number;
  liveBytes: number;
  /** Bytes held by records compaction may drop. */
  deadBytes: number;
  /** Bytes a new record can use now, without compaction, keeping the reserve block. */
  availableBytes: number;
  nextSeq: number;
};

/** Index entry: where the record's copy of reference lives, and its flags. */
export type Entry = { seq: number; kind: number; retention: Retention; flags: number; payloadLength: number; block: number; offset: number };
/** A block in use: its header fields, the offset just past its last record, and whether torn bytes follow it. */
export type BlockState = { blockSeq: number; endOffset: number; dirtyTail: boolean };
export type MountedState = {
  blocks: (BlockState | undefined)[];
  entries: Map<number, Entry>;
  /** Block receiving appends, or -1 (the next append starts a new block). */
  active: number;
  nextSeq: number;
  nextBlockSeq: number;
  /** Blocks holding a second, newer copy of some record (a compaction was cut before its erase). */
  staleBlocks: Set<number>;
};


export class Journal {
  readonly #flash: Flash;
  readonly #blockLength: number;
  readonly #blocks: (BlockState | undefined)[];
  readonly #entries: Map<number, Entry>;
  readonly #latestState = new Map<number, number>();
  #active: number;
  #nextSeq: number;
  #nextBlockSeq: number;
  readonly #staleBlocks: Set<number>;
  #failure: Failure<JournalErrorCode> | undefined;

  /** Use `mountJournal(flash)`; this constructor takes an already scanned log. */
  constructor(flash: Flash, state: MountedState) {
    this.#flash = flash;
    this.#blockLength = flash.blockLength;
    this.#blocks = state.blocks;
    this.#entries = state.entries;
    this.#active = state.active;
    this.#nextSeq = state.nextSeq;
    this.#nextBlockSeq = state.nextBlockSeq;
    this.#staleBlocks = state.staleBlocks;
    for (const entry of state.entries.values()) this.#noteState(entry);
  }

  /** The sequence the next `append` will get (so a record can carry its own sequence). */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Largest payload one record can hold. */
  get maxPayloadLength(): number {
    return Math.min(0xffff, this.#blockLength - blockHeaderLength - recordFramingLength);
  }

  append(kind: number, payload: Uint8Array, options: AppendOptions): JournalResult<number> {
    if (!Number.isInteger(kind) || kind < 0 || kind > 127) throw new RangeError(`journal: "kind" expected an integer in 0..127, got ${kind}`);
    if (!(payload instanceof Uint8Array)) throw new TypeError('journal: "payload" expected a Uint8Array');
    if (payload.length > this.maxPayloadLength) {
      throw new RangeError(`journal: "payload" expected at most ${this.maxPayloadLength} bytes, got ${payload.length}`);
    }
    if (options.retention !== 'billing' && options.retention !== 'state') {
      throw new TypeError(`journal: "retention" expected 'billing' or 'state', got ${String(options.retention)}`);
    }
    const headroomBytes = options.headroomBytes ?? 0;
    if (!Number.isInteger(headroomBytes) || headroomBytes < 0) throw new RangeError(`journal: "headroomBytes" expected a non-negative integer, got ${headroomBytes}`);
    if (this.#failure) return this.#failure;
    const size = recordFramingLength + payload.length;
    const room = this.#makeRoom(size, headroomBytes);
    if (!room.ok) return room;
    const seq = this.#nextSeq;
    const flags = 0xff & ~(options.settled && options.retention === 'billing' ? flagSettled : 0);
    const bytes = encodeRecord({ kind, retention: options.retention, flags, seq, payloadLength: payload.length }, payload);
    const placed = this.#writeAtEnd(bytes);
    if (!placed.ok) return placed;
    this.#nextSeq = seq + 1;
    const entry: Entry = { seq, kind, retention: options.retention, flags, payloadLength: payload.length, ...placed.value };
    this.#entries.set(seq, entry);
    this.#noteState(entry);
    return ok(seq);
  }

  /** Record that a relay-signed acknowledgement covers billing record `seq` (idempotent). */
  markAcknowledged(seq: number): JournalResult<void> {
    return this.#clearFlag(seq, flagAcknowledged);
  }

  /** Record that billing record `seq` no longer belongs to an open session (idempotent). */
  markSettled(seq: number): JournalResult<void> {
    return this.#clearFlag(seq, flagSettled);
  }

  /** Live records (billing not yet acknowledged+settled, latest state of each kind), by sequence. */
  records(): JournalRecord[] {
    const live: JournalRecord[] = [];
    for (const entry of this.#entries.values()) if (this.#isLive(entry)) live.push(describe(entry));
    return live.sort((a, b) => a.seq - b.seq);
  }

  /** The live record of `kind` with the highest sequence. */
  latest(kind: number): JournalRecord | undefined {
    let best: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.kind === kind && this.#isLive(entry) && (!best || entry.seq > best.seq)) best = entry;
    }
    return best && describe(best);
  }

  /** The payload of live record `seq`, re-checked against its CRC. */
  read(seq: number): JournalResult<Uint8Array> {
    if (this.#failure) return this.#failure;
    const entry = this.#entries.get(seq);
    if (!entry || !this.#isLive(entry)) return fail('unknown-seq', `journal: no live record ${seq}`);
    const raw = this.#readRecord(entry);
    if (!raw.ok) return raw;
    return ok(raw.value.slice(9, 9 + entry.payloadLength));
  }

  /** Reclaim every block holding droppable records. Answers how many blocks were erased. */
  compact(): JournalResult<number> {
    if (this.#failure) return this.#failure;
    let erased = 0;
    for (let round = 0; round < this.#blocks.length; round++) {
      const victim = this.#pickVictim();
      if (victim < 0) break;
      const collected = this.#collect(victim);
      if (!collected.ok) return collected;
      erased++;
    }
    return ok(erased);
  }

  stats(): JournalStats {
    let liveRecords = 0, liveBytes = 0, deadBytes = 0;
    for (const entry of this.#entries.values()) {
      const size = recordFramingLength + entry.payloadLength;
      if (this.#isLive(entry)) (liveRecords++, (liveBytes += size));
      else deadBytes += size;
    }
    const free = this.#freeBlocks();
    return {
      blockCount: this.#blocks.length,
      blockLength: this.#blockLength,
      freeBlocks: free,
      liveRecords,
      liveBytes,
      deadBytes,
      availableBytes: this.#activeRoom() + Math.max(0, free - 1) * this.#usable(),
      nextSeq: this.#nextSeq,
    };
  }

  #isLive(entry: Entry): boolean {
    if (entry.retention === 'state') return this.#latestState.get(entry.kind) === entry.seq;
    return (entry.flags & (flagAcknowledged | flagSettled)) !== 0;
  }

  #noteState(entry: Entry): void {
    if (entry.retention !== 'state') return;
    const latest = this.#latestState.get(entry.kind);
    if (latest === undefined || entry.seq > latest) this.#latestState.set(entry.kind, entry.seq);
  }

  #clearFlag(seq: number, flag: number): JournalResult<void> {
    if (this.#failure) return this.#failure;
    const entry = this.#entries.get(seq);
    if (!entry || !this.#isLive(entry)) return fail('unknown-seq', `journal: no live record ${seq}`);
    if (entry.retention !== 'billing') return fail('not-billing', `journal: record ${seq} is a 'state' record`);
    if ((entry.flags & flag) === 0) return ok(undefined);
    const flags = entry.flags & ~flag & 0xff;
    const written = this.#device(() => this.#flash.write(Uint8Array.of(flags), entry.block * this.#blockLength + entry.offset + 1));
    if (!written.ok) return written;
    entry.flags = flags;
    return ok(undefined);
  }

  #usable(): number {
    return this.#blockLength - blockHeaderLength;
  }

  #freeBlocks(): number {
    let free = 0;
    for (const block of this.#blocks) if (!block) free++;
    return free;
  }

  #activeRoom(): number {
    const active = this.#active >= 0 ? this.#blocks[this.#active] : undefined;
    return active ? this.#blockLength - active.endOffset : 0;
  }

  #hasRoom(size: number, headroomBytes: number): boolean {
    const room = this.#activeRoom(), free = this.#freeBlocks(), usable = this.#usable();
    if (size <= room) return room - size + Math.max(0, free - 1) * usable >= headroomBytes;
    return free >= 2 && usable - size + (free - 2) * usable >= headroomBytes;
  }

  #makeRoom(size: number, headroomBytes: number): JournalResult<void> {
    for (let round = 0; round <= this.#blocks.length; round++) {
      if (this.#hasRoom(size, headroomBytes)) return ok(undefined);
      const victim = this.#pickVictim();
      if (victim < 0) break;
      const collected = this.#collect(victim);
      if (!collected.ok) return collected;
    }
    const s = this.stats();
    return fail('full', `journal full: ${s.liveRecords} live records hold ${s.liveBytes} bytes; ` +
      `${size + headroomBytes} bytes needed, ${s.availableBytes} available — waiting for a relay acknowledgement`);
  }

  /**
   * Block to compact next; -1 if none. Blocks holding leftover copies go first (fewest live bytes
   * first; a block of copies only has none and needs no room). Then, fewest live bytes first, a
   * block with droppable records, torn bytes or nothing live — the active block included.
   */
  #pickVictim(): number {
    const free = this.#freeBlocks(), room = this.#activeRoom();
    const stale = this.#staleBlocks.size > 0;
    let best = -1, bestLive = Infinity;
    for (let index = 0; index < this.#blocks.length; index++) {
      const block = this.#blocks[index];
      if (!block || (stale && !this.#staleBlocks.has(index))) continue;
      const live = this.#liveBytesIn(index);
      const dropsRecords = live < block.endOffset - blockHeaderLength;
      const worthIt = stale || dropsRecords || (index !== this.#active && (block.dirtyTail || live === 0));
      const fits = free >= 1 || (index !== this.#active && live <= room);
      if (worthIt && fits && live < bestLive) (best = index), (bestLive = live);
    }
    return best;
  }

  #liveBytesIn(index: number): number {
    let live = 0;
    for (const entry of this.#entries.values()) {
      if (entry.block === index && this.#isLive(entry)) live += recordFramingLength + entry.payloadLength;
    }
    return live;
  }

  /** Copy the live records of block `victim` to the end of the log, then erase it. */
  #collect(victim: number): JournalResult<void> {
    if (victim === this.#active) this.#active = -1; // its live records move to a new block
    const moving = [...this.#entries.values()].filter((e) => e.block === victim).sort((a, b) => a.seq - b.seq);
    for (const entry of moving) {
      if (!this.#isLive(entry)) continue;
      const raw = this.#readRecord(entry);
      if (!raw.ok) return raw;
      raw.value[1] = entry.flags;
      const placed = this.#writeAtEnd(raw.value);
      if (!placed.ok) return placed;
      entry.block = placed.value.block;
      entry.offset = placed.value.offset;
    }
    const erased = this.#device(() => this.#flash.eraseBlock(victim));
    if (!erased.ok) return erased;
    this.#blocks[victim] = undefined;
    this.#staleBlocks.delete(victim);
    for (const entry of moving) if (entry.block === victim) this.#entries.delete(entry.seq);
    return ok(undefined);
  }

  /** Write a whole record at the end of the log, starting a new block when it does not fit. */
  #writeAtEnd(bytes: Uint8Array): JournalResult<{ block: number; offset: number }> {
    if (bytes.length > this.#activeRoom()) {
      const started = this.#startBlock();
      if (!started.ok) return started;
    }
    const block = this.#active, state = this.#blocks[block]!, offset = state.endOffset;
    const written = this.#device(() => this.#flash.write(bytes, block * this.#blockLength + offset));
    if (!written.ok) return written;
    state.endOffset = offset + bytes.length;
    return ok({ block, offset });
  }

  /** Erase the next free block after the active one (spreading wear) and make it active. */
  #startBlock(): JournalResult<void> {
    const count = this.#blocks.length;
    let index = -1;
    for (let step = 1; step <= count && index < 0; step++) {
      const candidate = (Math.max(this.#active, 0) + step) % count;
      if (!this.#blocks[candidate]) index = candidate;
    }
    if (index < 0) return fail('full', 'journal full: no erased block left');
    const header = encodeBlockHeader({ blockSeq: this.#nextBlockSeq, seqFloor: this.#nextSeq });
    const written = this.#device(() => {
      this.#flash.eraseBlock(index);
      this.#flash.write(header, index * this.#blockLength);
    });
    if (!written.ok) return written;
    this.#blocks[index] = { blockSeq: this.#nextBlockSeq++, endOffset: blockHeaderLength, dirtyTail: false };
    this.#active = index;
    return ok(undefined);
  }

  #readRecord(entry: Entry): JournalResult<Uint8Array> {
    const length = recordFramingLength + entry.payloadLength;
    const read = this.#device(() => new Uint8Array(this.#flash.read(length, entry.block * this.#blockLength + entry.offset)));
    if (!read.ok) return read;
    const header = decodeRecord(read.value, 0);
    if (header === 'end' || header === 'invalid' || header.seq !== entry.seq) {
      return fail('corrupt', `journal: record ${entry.seq} in block ${entry.block} no longer checks`);
    }
    return read;
  }

  #device<T>(operation: () => T): JournalResult<T> {
    try {
      return ok(operation());
    } catch (error) {
      this.#failure = fail('device', `journal: flash failed (${(error as Error).message}); remount needed`);
      return this.#failure;
    }
  }
}

function describe(entry: Entry): JournalRecord {
  return {
    seq: entry.seq,
    kind: entry.kind,
    retention: entry.retention,
    acknowledged: (entry.flags & flagAcknowledged) === 0,
    settled: (entry.flags & flagSettled) === 0,
    payloadLength: entry.payloadLength,
  };
}

// Snapshot files in DATA/ledger/: snapshot-<block number, 16 digits>.snap. Written crash-safe —
// temp file, fsync, rename, fsync of the folder — and only then is the one before the previous
// removed, so the previous snapshot stays until the new one is durable (and after, as the
// fallback when the newest fails its state-root check).
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSnapshot, encodeSnapshot, SnapshotRefused, type ChainSnapshot } from './snapshot-format.ts';

/** The steps of one write, in order; a crash test kills the writer at each (onStep). */
export const snapshotWriteSteps = ['temp-created', 'temp-half-written', 'temp-written', 'temp-synced', 'renamed', 'folder-synced', 'older-removed'] as const;
export type SnapshotWriteStep = (typeof snapshotWriteSteps)[number];

const namePattern = /^snapshot-(\d{16})\.snap$/;
const keptFiles = 2;

const fileName = (blockNumber: bigint): string => `snapshot-${blockNumber.toString().padStart(16, '0')}.snap`;

function fsyncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Snapshot files in `dir`, newest (highest block) first. */
export function listSnapshots(dir: string): { path: string; blockNumber: bigint }[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const m = namePattern.exec(name);
      return m ? [{ path: join(dir, name), blockNumber: BigInt(m[1]!) }] : [];
    })
    .sort((a, b) => (a.blockNumber > b.blockNumber ? -1 : a.blockNumber < b.blockNumber ? 1 : 0));
}

/** Reads and decodes one snapshot file; throws SnapshotRefused when it cannot be trusted. */
export function readSnapshot(path: string, blockNumber: bigint): ChainSnapshot {
  const snapshot = decodeSnapshot(readFileSync(path));
  if (snapshot.blockNumber !== blockNumber) throw new SnapshotRefused(`holds block ${snapshot.blockNumber}, its name says ${blockNumber}`);
  return snapshot;
}

export function writeSnapshot(dir: string, snapshot: ChainSnapshot, onStep: (step: SnapshotWriteStep) => void = () => {}): string {
  const bytes = encodeSnapshot(snapshot);
  const path = join(dir, fileName(snapshot.blockNumber));
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    onStep('temp-created');
    const half = bytes.length >> 1;
    let at = 0;
    while (at < half) at += writeSync(fd, bytes, at, half - at);
    onStep('temp-half-written');
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    onStep('temp-written');
    fsyncSync(fd);
    onStep('temp-synced');
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  onStep('renamed');
  fsyncFolder(dir);
  onStep('folder-synced');
  for (const old of listSnapshots(dir).slice(keptFiles)) unlinkSync(old.path);
  for (const name of readdirSync(dir)) if (name.startsWith('snapshot-') && name.endsWith('.snap.tmp')) unlinkSync(join(dir, name));
  onStep('older-removed');
  return path;
}

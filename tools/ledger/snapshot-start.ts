// Which state the embedded chain starts from: the newest snapshot that is trustworthy — it
// decodes (checksum, format), belongs to this data folder (chain id, genesis time) and journal
// (the frame it names ends where it says, with its CRC), does not reach past the history index
// (the logs before a snapshot exist only in the index), and loads to its recorded state root —
// else the one before it, else the fresh genesis (the whole journal is replayed). A refused
// snapshot is reported on stderr and left in place; it is never trusted.
import { bytesToHex, type Address, type Hex } from 'viem';
import { createEdrProvider, genesisState, type Eip1193 } from './edr-provider.ts';
import { journalMismatch, journalStart, type JournalPosition } from './journal.ts';
import { SnapshotCapture } from './snapshot-capture.ts';
import { SnapshotRefused, type ChainSnapshot } from './snapshot-format.ts';
import { startFromSnapshot } from './snapshot-load.ts';
import { listSnapshots, readSnapshot } from './snapshot-store.ts';

export type ChainIdentity = { chainId: number; genesisTimeS: number };

export type StartPoint = {
  provider: Eip1193;
  capture: SnapshotCapture;
  /** The journal is replayed from here. */
  journalFrom: JournalPosition;
  /** Block and timestamp the replay continues from. */
  blockNumber: bigint;
  blockTimestampS: bigint;
  /** The snapshot file started from (undefined: the fresh genesis). */
  snapshotPath: string | undefined;
  /** One line per snapshot refused, newest first. */
  refused: string[];
};

function checkBelongs(s: ChainSnapshot, identity: ChainIdentity, journalPath: string, indexedThroughBlock: bigint): void {
  if (s.chainId !== identity.chainId || s.genesisTimeS !== identity.genesisTimeS) throw new SnapshotRefused(`belongs to another chain (chain id ${s.chainId}, genesis time ${s.genesisTimeS}; chain.json says ${identity.chainId}, ${identity.genesisTimeS})`);
  if (s.blockNumber > indexedThroughBlock) throw new SnapshotRefused(`the history index ends at block ${indexedThroughBlock}, before the snapshot's block ${s.blockNumber}: only a longer replay can index the blocks between`);
  const mismatch = journalMismatch(journalPath, s.journal);
  if (mismatch) throw new SnapshotRefused(`does not match the journal: ${mismatch}`);
}

export async function chooseStart(dir: string, identity: ChainIdentity, operator: Address, journalPath: string, indexedThroughBlock: bigint): Promise<StartPoint> {
  const refused: string[] = [];
  for (const candidate of listSnapshots(dir)) {
    try {
      const snapshot = readSnapshot(candidate.path, candidate.blockNumber);
      checkBelongs(snapshot, identity, journalPath, indexedThroughBlock);
      const provider = await startFromSnapshot(snapshot);
      return {
        provider,
        capture: new SnapshotCapture(provider, identity, snapshot.accounts, []),
        journalFrom: snapshot.journal,
        blockNumber: snapshot.blockNumber,
        blockTimestampS: snapshot.blockTimestampS,
        snapshotPath: candidate.path,
        refused,
      };
    } catch (error) {
      const line = `ledger: snapshot ${candidate.path} refused: ${error instanceof Error ? error.message : String(error)}`;
      refused.push(line);
      process.stderr.write(`${line}; trying an older start\n`);
    }
  }
  const genesis = { funded: [operator] };
  const provider = await createEdrProvider({ chainId: identity.chainId, genesisTimeS: BigInt(identity.genesisTimeS), genesis });
  const touched = genesisState(genesis).map((a) => bytesToHex(a.address) as Hex);
  return {
    provider,
    capture: new SnapshotCapture(provider, identity, [], touched),
    journalFrom: journalStart,
    blockNumber: 0n,
    blockTimestampS: BigInt(identity.genesisTimeS),
    snapshotPath: undefined,
    refused,
  };
}

// Factory reset of the journal partition (firmware/console/README.md "Factory reset"): refused
// unless the journal mounts and the relay has acknowledged every billing record in it. Then:
//   1. program 0x00 over the magic byte of every copy of the provisioning record — the commit
//      point: a one-byte program either leaves 0xA5 or makes the record invalid, so the pile is
//      provisioned exactly as before until the last copy is hit, and not provisioned after;
//   2. erase every block that is not erased, those with a valid header last.
// Erasing blocks first instead would lose a newer config or the billing floor while the pile
// still boots provisioned (its billing numbering would restart lower). Every state a cut leaves
// after step 1 is blank for provisioning (`partitionIsBlank`).
import type { Flash } from '../../hal/types.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { blockHeaderLength, decodeBlockHeader, decodeRecord, recordFramingLength } from '../journal/layout.ts';
import type { Journal } from '../journal/journal.ts';
import { mountJournal } from '../journal/mount.ts';
import { RecordKind } from '../records/record-kinds.ts';

export type FactoryResetRefusal = 'unacknowledged' | 'not-provisioned' | 'unrecognized' | 'device';

/** Billing records of the journal the relay has not acknowledged (the journal's flags). */
export function unacknowledgedBillingCount(journal: Journal): number {
  return journal.records().filter((r) => r.retention === 'billing' && !r.acknowledged).length;
}

export function factoryReset(flash: Flash): Result<void, FactoryResetRefusal> {
  const mounted = mountJournal(flash);
  if (!mounted.ok) {
    if (mounted.code === 'blank') return fail('not-provisioned', 'factory reset: the partition is blank already');
    if (mounted.code === 'device') return fail('device', mounted.reason);
    return fail('unrecognized', `factory reset: ${mounted.reason}`);
  }
  if (!mounted.value.latest(RecordKind.provisioning)) return fail('not-provisioned', 'factory reset: the pile is not provisioned');
  const pending = unacknowledgedBillingCount(mounted.value);
  if (pending > 0) return fail('unacknowledged', `factory reset: ${pending} billing records are not acknowledged by the relay`);
  try {
    const blocks = scanBlocks(flash);
    for (const offset of blocks.provisioningCopies) flash.write(Uint8Array.of(0), offset);
    for (const block of [...blocks.headerless, ...blocks.withHeader]) flash.eraseBlock(block);
  } catch (error) {
    return fail('device', `factory reset: flash failed (${(error as Error).message})`);
  }
  return ok(undefined);
}

type Blocks = { provisioningCopies: number[]; headerless: number[]; withHeader: number[] };

function scanBlocks(flash: Flash): Blocks {
  const blocks: Blocks = { provisioningCopies: [], headerless: [], withHeader: [] };
  for (let block = 0; block < flash.byteLength / flash.blockLength; block++) {
    const start = block * flash.blockLength;
    const bytes = new Uint8Array(flash.read(flash.blockLength, start));
    if (bytes.every((b) => b === 0xff)) continue;
    if (!decodeBlockHeader(bytes)) {
      blocks.headerless.push(block);
      continue;
    }
    blocks.withHeader.push(block);
    for (let offset = blockHeaderLength; ;) {
      const record = decodeRecord(bytes, offset);
      if (record === 'end' || record === 'invalid') break;
      if (record.kind === RecordKind.provisioning && record.retention === 'state') blocks.provisioningCopies.push(start + offset);
      offset += recordFramingLength + record.payloadLength;
    }
  }
  return blocks;
}

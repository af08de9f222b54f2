// Writes the provisioning record into a blank journal partition, atomically (firmware/console/
// README.md "Atomic provisioning"): erase every block, program the record at offset 16 of block 0,
// then program block 0's header — the commit point. A power cut before the header leaves a
// partition `mountJournal` reports 'blank' (no valid header, one touched block, nothing billable);
// after it, the pile is provisioned. Used by the service console, the simulator and tests. It
// refuses a partition that holds anything — a provisioned pile is never re-provisioned over its
// billing records — and a record whose PileUpdate is not signed by the given relay key for this pile.
import type { Flash } from '../../hal/types.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { type BadSignature, type Malformed, type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { JournalErrorCode } from '../journal/journal.ts';
import { blockHeaderLength, encodeBlockHeader, encodeRecord } from '../journal/layout.ts';
import { mountJournal } from '../journal/mount.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { unacknowledgedBillingCount } from './factory-reset.ts';
import { type ProvisioningRecord, encodeProvisioningRecord } from '../records/provisioning-record.ts';

export type { ProvisioningRecord };

/** Why a provisioning record was not written: its PileUpdate, or a partition that is not blank. */
export type ProvisioningRefusal = Malformed | BadSignature | 'foreign-pile' | 'not-blank' | JournalErrorCode;

export function provisionPile(flash: Flash, record: ProvisioningRecord): Result<void, ProvisioningRefusal> {
  const payload = encodeProvisioningRecord(record);
  const update = openSigned(record.pileUpdate, { publicKey: record.relayPublicKey, expectType: 'PileUpdate' });
  if (!update.ok) return fail(update.code, `provisioning: pileUpdate refused (${update.reason})`);
  if (!equalBytes(update.value.message.pileId, record.pileId)) return fail('foreign-pile', 'provisioning: pileUpdate is for another pile');
  const blank = partitionIsBlank(flash);
  if (!blank.ok) return blank;
  const bytes = encodeRecord({ kind: RecordKind.provisioning, retention: 'state', flags: 0xff, seq: 1, payloadLength: payload.length }, payload);
  if (blockHeaderLength + bytes.length > flash.blockLength) throw new RangeError(`provisioning: the record (${bytes.length} bytes) does not fit a ${flash.blockLength}-byte block`);
  try {
    for (let block = 0; block < flash.byteLength / flash.blockLength; block++) flash.eraseBlock(block);
    flash.write(bytes, blockHeaderLength);
    flash.write(encodeBlockHeader({ blockSeq: 1, seqFloor: 1 }), 0);
  } catch (error) {
    return fail('device', `provisioning: flash failed (${(error as Error).message})`);
  }
  return ok(undefined);
}

/**
 * Blank for provisioning: `mountJournal` says 'blank', or a journal mounts that holds no
 * provisioning record and no unacknowledged billing record (an empty journal, or what a factory
 * reset cut after its commit point leaves: factory-reset.ts).
 */
export function partitionIsBlank(flash: Flash): Result<void, 'not-blank' | 'device'> {
  const mounted = mountJournal(flash);
  if (!mounted.ok) {
    if (mounted.code === 'blank') return ok(undefined);
    if (mounted.code === 'device') return fail('device', mounted.reason);
    return fail('not-blank', `provisioning: the journal partition is not blank (${mounted.reason}); refusing to overwrite it`);
  }
  if (mounted.value.latest(RecordKind.provisioning)) return fail('not-blank', 'provisioning: the journal partition is not blank (the pile is provisioned); refusing to overwrite it');
  const pending = unacknowledgedBillingCount(mounted.value);
  if (pending > 0) return fail('not-blank', `provisioning: the journal holds ${pending} unacknowledged billing records; refusing to overwrite it`);
  return ok(undefined);
}

// Writes the provisioning record into a factory-new (blank) journal partition: format, then one
// record. Used by the technician's provisioning path, the simulator and tests. It refuses a
// partition that already holds anything — a provisioned pile is never re-provisioned over its
// billing records — and a record whose PileUpdate is not signed by the given relay key for this pile.
import type { Flash } from '../../hal/types.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { type BadSignature, type Malformed, type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { JournalErrorCode } from '../journal/journal.ts';
import { formatJournal, mountJournal } from '../journal/mount.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { type ProvisioningRecord, encodeProvisioningRecord } from '../records/provisioning-record.ts';

export type { ProvisioningRecord };

/** Why a provisioning record was not written: its PileUpdate, or a partition that is not blank. */
export type ProvisioningRefusal = Malformed | BadSignature | 'foreign-pile' | 'not-blank' | JournalErrorCode;

export function provisionPile(flash: Flash, record: ProvisioningRecord): Result<void, ProvisioningRefusal> {
  const payload = encodeProvisioningRecord(record);
  const update = openSigned(record.pileUpdate, { publicKey: record.relayPublicKey, expectType: 'PileUpdate' });
  if (!update.ok) return fail(update.code, `provisioning: pileUpdate refused (${update.reason})`);
  if (!equalBytes(update.value.message.pileId, record.pileId)) return fail('foreign-pile', 'provisioning: pileUpdate is for another pile');
  const mounted = mountJournal(flash);
  if (mounted.ok || mounted.code !== 'blank') {
    return fail('not-blank', `provisioning: the journal partition is not blank (${mounted.ok ? 'a journal is there' : mounted.reason}); refusing to overwrite it`);
  }
  const formatted = formatJournal(flash);
  if (!formatted.ok) return formatted;
  const journal = mountJournal(flash);
  if (!journal.ok) return journal;
  const appended = journal.value.append(RecordKind.provisioning, payload, { retention: 'state' });
  return appended.ok ? ok(undefined) : appended;
}

// Writes the provisioning record into a factory-new (blank) journal partition: format, then one
// record. Used by the technician's provisioning path, the simulator and tests. It refuses a
// partition that already holds anything — a provisioned pile is never re-provisioned over its
// billing records — and a record whose PileUpdate is not signed by the given relay key for this pile.
import type { Flash } from '../../hal/types.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { openSigned } from '../../contracts-offline/signed.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { formatJournal, mountJournal } from '../journal/mount.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { type ProvisioningRecord, encodeProvisioningRecord } from '../records/provisioning-record.ts';

export function provisionPile(flash: Flash, record: ProvisioningRecord): Result<void> {
  const payload = encodeProvisioningRecord(record);
  const update = openSigned(record.pileUpdate, { publicKey: record.relayPublicKey, expectType: 'PileUpdate' });
  if (!update.ok) return fail(`provisioning: pileUpdate refused (${update.reason})`);
  if (!equalBytes(update.value.message.pileId, record.pileId)) return fail('provisioning: pileUpdate is for another pile');
  const mounted = mountJournal(flash);
  if (mounted.ok || mounted.error.code !== 'blank') {
    return fail(`provisioning: the journal partition is not blank (${mounted.ok ? 'a journal is there' : mounted.error.message}); refusing to overwrite it`);
  }
  const formatted = formatJournal(flash);
  if (!formatted.ok) return fail(formatted.error.message);
  const journal = mountJournal(flash);
  if (!journal.ok) return fail(journal.error.message);
  const appended = journal.value.append(RecordKind.provisioning, payload, { retention: 'state' });
  return appended.ok ? ok(undefined) : fail(appended.error.message);
}

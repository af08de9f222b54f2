// The provisioning record as the journal partition holds it, read without running the pile (the
// service console: ReadProvisioning, and the relay key that authorises changes on a pile that
// refused to run). Mounting only reads.
import type { Flash } from '../../hal/types.ts';
import { type Result, fail } from '../../contracts-offline/result.ts';
import type { JournalErrorCode } from '../journal/journal.ts';
import { mountJournal } from '../journal/mount.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { type ProvisioningRecord, decodeProvisioningRecord } from '../records/provisioning-record.ts';

export function readProvisioningRecord(flash: Flash): Result<ProvisioningRecord, JournalErrorCode | 'malformed' | 'not-provisioned'> {
  const mounted = mountJournal(flash);
  if (!mounted.ok) return mounted;
  const latest = mounted.value.latest(RecordKind.provisioning);
  if (!latest) return fail('not-provisioned', 'the pile is not provisioned');
  const payload = mounted.value.read(latest.seq);
  return payload.ok ? decodeProvisioningRecord(payload.value) : payload;
}

// Boot: the provisioning record and the configuration in force (the newest of the provisioned
// PileUpdate and any later config record). Refuses to run on a key store whose key is not the one
// the pile was provisioned with (the relay would reject everything it signs).
import type { KeyStore } from '../../hal/types.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { PileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { Journal } from '../journal/journal.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { type ProvisioningRecord, decodeProvisioningRecord } from '../records/provisioning-record.ts';
import { decodeConfigRecord } from '../records/config-record.ts';

export type Provisioned = { record: ProvisioningRecord; update: PileUpdate };

export function loadProvisioning(journal: Journal, keyStore: KeyStore): Result<Provisioned> {
  const latest = journal.latest(RecordKind.provisioning);
  if (!latest) return fail('not provisioned');
  const payload = journal.read(latest.seq);
  if (!payload.ok) return fail(payload.error.message);
  const record = decodeProvisioningRecord(payload.value);
  if (!record.ok) return record;
  if (!equalBytes(record.value.pilePublicKey, keyStore.publicKey)) return fail('the key store holds another key than the provisioned one');
  let update = decodeConfigRecord(record.value.pileUpdate);
  if (!update.ok) return update;
  const config = journal.latest(RecordKind.config);
  if (config) {
    const bytes = journal.read(config.seq);
    if (!bytes.ok) return fail(bytes.error.message);
    const newer = decodeConfigRecord(bytes.value);
    if (!newer.ok) return newer;
    if (newer.value.configVersion > update.value.configVersion) update = newer;
  }
  if (!equalBytes(update.value.pileId, record.value.pileId)) return fail('the configuration is for another pile');
  return ok({ record: record.value, update: update.value });
}

// Boot: the provisioning record and the configuration in force (the newest of the provisioned
// PileUpdate and any later config record). Refuses to run on a key store whose key is not the one
// the pile was provisioned with (the relay would reject everything it signs), or that cannot say
// which key it holds (a secure element off the bus, or holding no key yet).
import type { KeyStore } from '../../hal/types.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { PileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { type Malformed, type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { Journal, JournalErrorCode } from '../journal/journal.ts';
import { RecordKind } from '../records/record-kinds.ts';
import { type ProvisioningRecord, decodeProvisioningRecord } from '../records/provisioning-record.ts';
import { decodeConfigRecord } from '../records/config-record.ts';

export type Provisioned = { record: ProvisioningRecord; update: PileUpdate };

/** Why a journal that mounts still cannot run the pile. */
export type ProvisioningFault = JournalErrorCode | Malformed | 'not-provisioned' | 'wrong-key' | 'key-store';

export function loadProvisioning(journal: Journal, keyStore: KeyStore): Result<Provisioned, ProvisioningFault> {
  const latest = journal.latest(RecordKind.provisioning);
  if (!latest) return fail('not-provisioned', 'not provisioned');
  const payload = journal.read(latest.seq);
  if (!payload.ok) return payload;
  const record = decodeProvisioningRecord(payload.value);
  if (!record.ok) return record;
  let held: Uint8Array;
  try {
    held = keyStore.publicKey;
  } catch (error) {
    return fail('key-store', `key store: ${(error as Error).message}`);
  }
  if (!equalBytes(record.value.pilePublicKey, held)) return fail('wrong-key', 'the key store holds another key than the provisioned one');
  let update = decodeConfigRecord(record.value.pileUpdate);
  if (!update.ok) return update;
  const config = journal.latest(RecordKind.config);
  if (config) {
    const bytes = journal.read(config.seq);
    if (!bytes.ok) return bytes;
    const newer = decodeConfigRecord(bytes.value);
    if (!newer.ok) return newer;
    if (newer.value.configVersion > update.value.configVersion) update = newer;
  }
  if (!equalBytes(update.value.pileId, record.value.pileId)) return fail('corrupt', 'the configuration is for another pile');
  return ok({ record: record.value, update: update.value });
}

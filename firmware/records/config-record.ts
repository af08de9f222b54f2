// Config record (state): a relay-signed PileUpdate, exactly as received (verified before it was
// written). The provisioning record carries the first one in the same form.
import type { PileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import type { Result } from '../../contracts-offline/result.ts';
import { decodeSignedRecord } from './signed-record.ts';

export function decodeConfigRecord(bytes: Uint8Array): Result<PileUpdate> {
  return decodeSignedRecord('PileUpdate', bytes);
}

// Contract record (billing): the pile-signed Contract bytes, exactly as handed to the phone.
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import type { Result } from '../../contracts-offline/result.ts';
import { decodeSignedRecord } from './signed-record.ts';

export function decodeContractRecord(bytes: Uint8Array): Result<Contract> {
  return decodeSignedRecord('Contract', bytes);
}

// Receipt record (billing, written settled): the pile-signed Receipt bytes, exactly as handed out.
import type { Receipt } from '../../contracts-offline/messages/receipt.ts';
import type { Result } from '../../contracts-offline/result.ts';
import { decodeSignedRecord } from './signed-record.ts';

export function decodeReceiptRecord(bytes: Uint8Array): Result<Receipt> {
  return decodeSignedRecord('Receipt', bytes);
}

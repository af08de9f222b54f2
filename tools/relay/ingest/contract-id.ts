// The contract id as the API and the DB show it: pile id ‖ billing sequence (the ledger's bytes16,
// tools/ledger/ids.ts), 32 lowercase hex digits without 0x.
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { contractIdOf } from '../../ledger/ids.ts';

export function contractIdText(pileId: string, seq: number): string {
  return contractIdOf(hexToBytes(pileId), BigInt(seq)).slice(2);
}

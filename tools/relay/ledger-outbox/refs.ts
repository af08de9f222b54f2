// Ledger write references (bytes32): derived from what the write is for, so a re-sent write is
// the same write and the ledger applies it once (TapchargeLedger: a reused ref is a no-op).
import { keccak256, stringToBytes, type Hex } from 'viem';

export type RefKind = 'issue' | 'transfer' | 'advance' | 'repay' | 'refund';

export function ledgerRef(kind: RefKind, ...parts: string[]): Hex {
  return keccak256(stringToBytes(`tapcharge/relay/v1/${kind}/${parts.join('/')}`));
}

// The contract id (design §5): the pile id (8 bytes) followed by the contract's billing sequence as
// an unsigned 64-bit big-endian integer — 16 bytes. The relay's API and database show it as 32
// lowercase hex digits; the ledger's bytes16 contract id is the same bytes.
import { bytesToHex, expectBytes } from './bytes.ts';
import { ID_BYTES } from './messages/fields.ts';

export const CONTRACT_ID_BYTES = 16;
const SEQ_MAX = (1n << 64n) - 1n;

/** Billing sequences start at 1; a contract id never carries 0. */
export function contractId(pileId: Uint8Array, seq: number | bigint): Uint8Array {
  expectBytes('contract-id', 'pileId', pileId, ID_BYTES);
  const big = typeof seq === 'bigint' ? seq : Number.isSafeInteger(seq) ? BigInt(seq) : -1n;
  if (big < 1n || big > SEQ_MAX) throw new RangeError(`contract-id: "seq" expected 1..2^64-1, got ${seq}`);
  const id = new Uint8Array(CONTRACT_ID_BYTES);
  id.set(pileId);
  // Two 32-bit halves, not a BigInt shift per byte: the relay computes ids several times a record.
  const view = new DataView(id.buffer);
  view.setUint32(ID_BYTES, Number(big >> 32n));
  view.setUint32(ID_BYTES + 4, Number(big & 0xffffffffn));
  return id;
}

/** The contract id as 32 lowercase hex digits, as the relay's API and database show it. */
export function contractIdHex(pileId: Uint8Array, seq: number | bigint): string {
  return bytesToHex(contractId(pileId, seq));
}

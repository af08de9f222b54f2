// Consistent Overhead Byte Stuffing: S. Cheshire, M. Baker, "Consistent Overhead Byte Stuffing",
// IEEE/ACM Transactions on Networking 7(2), 1999. The encoding holds no 0x00, so 0x00 can
// delimit frames and a receiver resynchronises at the next one.
//
// The data is cut at each 0x00 into blocks; each block is written as a code byte (1 + its
// length) and its non-zero bytes, the code standing for the 0x00 that ended it. A block reaching
// 254 bytes ends without a 0x00 (code 0xFF). The last block has no 0x00 after it.
//
// An input ending on a full 254-byte block: the paper's reference encoder (StuffData) then writes
// one more, empty block (a trailing 0x01); we write none — the shortest form, the one of the
// Wikipedia table. The decoder reads both, as the paper's own decoder does.
import { type Result, fail, ok } from '../result.ts';

const MAX_BLOCK_CODE = 0xff;
/** Data bytes one block can hold. */
const MAX_BLOCK_BYTES = MAX_BLOCK_CODE - 1;

/** Largest encoding of `length` bytes: one code byte per started 254-byte block, at least one. */
export function cobsMaxEncodedBytes(length: number): number {
  return length + Math.max(1, Math.ceil(length / MAX_BLOCK_BYTES));
}

/** COBS encoding of `bytes`, without the 0x00 delimiter. */
export function cobsEncode(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('cobs: "bytes" expected Uint8Array');
  const out = new Uint8Array(cobsMaxEncodedBytes(bytes.length));
  let codeAt = 0;
  let at = 1;
  let code = 1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== 0) {
      out[at++] = byte;
      code++;
      if (code < MAX_BLOCK_CODE || i === bytes.length - 1) continue;
    }
    out[codeAt] = code;
    codeAt = at++;
    code = 1;
  }
  out[codeAt] = code;
  return out.slice(0, at);
}

/** Decodes one COBS-encoded frame (without its delimiter). Never throws; reasons start "cobs:". */
export function cobsDecode(bytes: Uint8Array): Result<Uint8Array> {
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'cobs: input is not bytes');
  if (bytes.length === 0) return fail('malformed', 'cobs: empty input');
  const out = new Uint8Array(bytes.length - 1);
  let length = 0;
  let at = 0;
  while (at < bytes.length) {
    const code = bytes[at]!;
    if (code === 0) return fail('malformed', `cobs: 0x00 at offset ${at}`);
    const next = at + code;
    if (next > bytes.length) return fail('malformed', `cobs: code byte ${code} at offset ${at} points past the end (${bytes.length} bytes)`);
    for (let i = at + 1; i < next; i++) {
      const byte = bytes[i]!;
      if (byte === 0) return fail('malformed', `cobs: 0x00 at offset ${i}`);
      out[length++] = byte;
    }
    if (code < MAX_BLOCK_CODE && next < bytes.length) out[length++] = 0;
    at = next;
  }
  return ok(out.slice(0, length));
}

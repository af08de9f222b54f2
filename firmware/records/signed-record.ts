// Records that hold a signed message exactly as it was signed (COSE_Sign1 bytes): the journal
// payload is what the outbox hands out. Reading one back parses the envelope strictly and decodes
// the message; the signature is not re-checked (it was made or verified before the record was
// written, and the journal's CRC guards the bytes since).
import type { MessageMap, MessageName } from '../../contracts-offline/messages/registry.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import { readSigned } from '../../contracts-offline/signed.ts';

export function decodeSignedRecord<N extends MessageName>(name: N, bytes: Uint8Array): Result<MessageMap[N]> {
  const read = readSigned(bytes, name);
  return read.ok ? ok(read.value.message) : fail(read.code, `${name} record: ${read.reason}`);
}

// Records that hold a signed message exactly as it was signed (COSE_Sign1 bytes): the journal
// payload is what the outbox hands out. Reading one back parses the envelope strictly and decodes
// the message; the signature is not re-checked (it was made or verified before the record was
// written, and the journal's CRC guards the bytes since).
import { parseSign1 } from '../../contracts-offline/cose-sign1.ts';
import type { MessageCodec } from '../../contracts-offline/messages/schema.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';

export function decodeSignedRecord<T>(codec: MessageCodec<T>, bytes: Uint8Array): Result<T> {
  const parsed = parseSign1(bytes);
  if (!parsed.ok) return fail(`${codec.name} record: ${parsed.reason}`);
  const message = codec.decode(parsed.value.payload);
  return message.ok ? ok(message.value) : fail(`${codec.name} record: ${message.reason}`);
}

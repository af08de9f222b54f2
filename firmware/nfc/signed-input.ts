// A COSE_Sign1 message arriving in a command, checked in the README's order: malformed (6A80)
// before signature (6982). The payload is decoded before the signature check only to refuse
// malformed bytes with their own status word (and, for STOP, to find the contract whose user
// signs); nothing is acted on until `verifySignedInput` has verified it.
import { SW } from '../../contracts-offline/apdu.ts';
import { parseSign1 } from '../../contracts-offline/cose-sign1.ts';
import { type MessageMap, type MessageName, codecs } from '../../contracts-offline/messages/registry.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; sw: number };

/** Structure and payload of a signed `name`, signature not checked: 6A80 when malformed. */
export function parseSignedInput<N extends MessageName>(bytes: Uint8Array, name: N): Checked<{ kid: Uint8Array; message: MessageMap[N] }> {
  const parsed = parseSign1(bytes);
  if (!parsed.ok) return { ok: false, sw: SW.wrongData };
  const codec = codecs[name] as { decode(bytes: Uint8Array): { ok: true; value: MessageMap[N] } | { ok: false; reason: string } };
  const decoded = codec.decode(parsed.value.payload);
  if (!decoded.ok) return { ok: false, sw: SW.wrongData };
  return { ok: true, value: { kid: parsed.value.kid, message: decoded.value } };
}

/** The verified message, or 6982 when the signature does not verify with `publicKey` (or its kid is another key's). */
export function verifySignedInput<N extends MessageName>(bytes: Uint8Array, name: N, publicKey: Uint8Array): Checked<MessageMap[N]> {
  const opened = openSigned(bytes, { publicKey, expectType: name });
  if (!opened.ok) return { ok: false, sw: SW.securityNotSatisfied };
  return { ok: true, value: opened.value.message };
}

/** Parse then verify with one key: what UPDATE, START and ACK need. */
export function openSignedInput<N extends MessageName>(bytes: Uint8Array, name: N, publicKey: Uint8Array): Checked<MessageMap[N]> {
  const parsed = parseSignedInput(bytes, name);
  if (!parsed.ok) return parsed;
  return verifySignedInput(bytes, name, publicKey);
}

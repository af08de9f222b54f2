// Signed messages: one of our messages inside a COSE_Sign1 (see cose-sign1.ts).
import { type BadSignature, type Malformed, type Result, ok, fail } from './result.ts';
import { type ParsedSign1, type Sign1Signer, type SignOptions, type VerifyOptions, parseSign1, signSign1, signSign1With, verifyParsedSign1 } from './cose-sign1.ts';
import { type AnyMessage, type MessageMap, type MessageName, decodeAnyMessage } from './messages/registry.ts';

export type OpenOptions<N extends MessageName> = VerifyOptions & {
  publicKey: Uint8Array;
  /** Refuse any other message type. */
  expectType?: N;
};

export type OpenedMessage<N extends MessageName = MessageName> = {
  name: N;
  type: number;
  message: MessageMap[N];
  kid: Uint8Array;
  alg: number;
};

/** Signs the encoded bytes of one of our messages. Throws TypeError when the bytes are not one. */
export function signMessage(messageBytes: Uint8Array, secretKey: Uint8Array, options: SignOptions = {}): Uint8Array {
  const decoded = decodeAnyMessage(messageBytes);
  if (!decoded.ok) throw new TypeError(`signed: "messageBytes" is not a valid message (${decoded.reason})`);
  return signSign1(messageBytes, secretKey, options);
}

/** Same as `signMessage`, with a signer that keeps its secret (e.g. the pile's key store). */
export function signMessageWith(messageBytes: Uint8Array, signer: Sign1Signer, externalAad?: Uint8Array): Uint8Array {
  const decoded = decodeAnyMessage(messageBytes);
  if (!decoded.ok) throw new TypeError(`signed: "messageBytes" is not a valid message (${decoded.reason})`);
  return signSign1With(messageBytes, signer, externalAad);
}

/** A signed message read but not verified yet: the message, and its envelope for `verifyRead`. */
export type ReadMessage<N extends MessageName = MessageName> = OpenedMessage<N> & { envelope: ParsedSign1 };

/**
 * Reads a signed message WITHOUT checking its signature: the envelope and the payload strictly,
 * for a reader that does not hold the signer's key yet (a phone before it asked the relay) or
 * that learns from the message which key verifies it (a relay: the pile id). Never act on what it
 * answers before `verifyRead` or `openSigned` verified it.
 */
export function readSigned<N extends MessageName = MessageName>(bytes: Uint8Array, expectType?: N): Result<ReadMessage<N>> {
  const parsed = parseSign1(bytes);
  if (!parsed.ok) return parsed;
  const decoded = decodeAnyMessage(parsed.value.payload);
  if (!decoded.ok) return decoded;
  const { name, type, message }: AnyMessage = decoded.value;
  if (expectType !== undefined && name !== expectType) return fail('malformed', `signed: expected ${expectType}, got ${name}`);
  return ok({ name, type, message, kid: parsed.value.kid, alg: parsed.value.alg, envelope: parsed.value } as ReadMessage<N>);
}

/** The signature check of a message `readSigned` read: no second decoding. */
export function verifyRead<N extends MessageName>(read: ReadMessage<N>, publicKey: Uint8Array, options: VerifyOptions = {}): Result<OpenedMessage<N>, BadSignature> {
  const verified = verifyParsedSign1(read.envelope, publicKey, options);
  if (!verified.ok) return verified;
  const { envelope: _, ...opened } = read;
  return ok(opened as OpenedMessage<N>);
}

/**
 * Reads the message strictly, then verifies its signature with `publicKey`: malformed bytes are
 * refused as 'malformed' before any signature work, a signature that does not verify (or a kid of
 * another key) as 'bad-signature'. Never throws on untrusted bytes.
 */
export function openSigned<N extends MessageName = MessageName>(bytes: Uint8Array, options: OpenOptions<N>): Result<OpenedMessage<N>, Malformed | BadSignature> {
  const read = readSigned(bytes, options.expectType);
  return read.ok ? verifyRead(read.value, options.publicKey, options) : read;
}

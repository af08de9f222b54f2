// Signed messages: a message payload inside a COSE_Sign1 (see cose-sign1.ts).
import { type Result, ok, fail } from './result.ts';
import { type Sign1Signer, type SignOptions, type VerifyOptions, signSign1, signSign1With, verifySign1 } from './cose-sign1.ts';
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

/** Verifies the signature, then decodes the payload strictly. Never throws on untrusted bytes. */
export function openSigned<N extends MessageName = MessageName>(bytes: Uint8Array, options: OpenOptions<N>): Result<OpenedMessage<N>> {
  const verified = verifySign1(bytes, options.publicKey, options);
  if (!verified.ok) return verified;
  const decoded = decodeAnyMessage(verified.value.payload);
  if (!decoded.ok) return decoded;
  const { name, type, message }: AnyMessage = decoded.value;
  if (options.expectType !== undefined && name !== options.expectType) return fail(`signed: expected ${options.expectType}, got ${name}`);
  return ok({ name, type, message, kid: verified.value.kid, alg: verified.value.alg } as OpenedMessage<N>);
}

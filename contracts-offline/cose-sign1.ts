// COSE_Sign1 (RFC 9052 §4.2, §4.4) with EdDSA over Ed25519.
//   COSE_Sign1 = #6.18([ protected: bstr .cbor {1: alg, 4: kid}, unprotected: {}, payload: bstr, signature: bstr ])
//   Sig_structure = [ "Signature1", protected, external_aad, payload ]
// We sign with alg -8 (EdDSA) and put kid in the protected header; on verify we also accept
// alg -19 (Ed25519, RFC 9864) and kid in the unprotected header. Verification never throws.
import { expectBytes, equalBytes } from './bytes.ts';
import { encodeCbor } from './cbor-encode.ts';
import { decodeCbor } from './cbor-decode.ts';
import { type CborMap, CborTag } from './cbor-value.ts';
import { type Ed25519Provider, nobleEd25519 } from './crypto.ts';
import { KEY_ID_BYTES, keyId } from './keys.ts';
import { type BadSignature, type Malformed, type Result, ok, fail } from './result.ts';

export const COSE_SIGN1_TAG = 18;
export const COSE_ALG_EDDSA = -8;
export const COSE_ALG_ED25519 = -19;
const HEADER_ALG = 1;
const HEADER_KID = 4;
const EMPTY = new Uint8Array(0);

export type SignOptions = {
  externalAad?: Uint8Array;
  /** The signer's key id; derived from the secret key when absent (costs one extra base-point multiply). */
  kid?: Uint8Array;
  crypto?: Ed25519Provider;
};

export type VerifyOptions = {
  externalAad?: Uint8Array;
  crypto?: Ed25519Provider;
  /** keyId(publicKey), when the caller keeps it with the key: saves a SHA-256 a verify. */
  publicKeyId?: Uint8Array;
};

/** The parts of a structurally valid COSE_Sign1, before any signature check. */
export type ParsedSign1 = {
  alg: number;
  kid: Uint8Array;
  payload: Uint8Array;
  protectedBytes: Uint8Array;
  signature: Uint8Array;
};

export type VerifiedSign1 = { payload: Uint8Array; kid: Uint8Array; alg: number };

/** The bytes that are signed (RFC 9052 §4.4). */
export function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, externalAad, payload]);
}

export function signSign1(payload: Uint8Array, secretKey: Uint8Array, options: SignOptions = {}): Uint8Array {
  expectBytes('cose', 'secretKey', secretKey, 32);
  const crypto = options.crypto ?? nobleEd25519;
  const kid = options.kid ?? keyId(crypto.publicKey(secretKey));
  return signSign1With(payload, { kid, sign: (toBeSigned) => crypto.sign(toBeSigned, secretKey) }, options.externalAad);
}

/** A key that signs without showing its secret (a secure element, the pile's `KeyStore`). */
export type Sign1Signer = { kid: Uint8Array; sign(toBeSigned: Uint8Array): Uint8Array };

/** COSE_Sign1 signed by `signer` (its 64-byte Ed25519 signature over the Sig_structure). */
export function signSign1With(payload: Uint8Array, signer: Sign1Signer, externalAad: Uint8Array = EMPTY): Uint8Array {
  expectBytes('cose', 'payload', payload);
  expectBytes('cose', 'externalAad', externalAad);
  expectBytes('cose', 'kid', signer.kid, KEY_ID_BYTES);
  const protectedBytes = encodeCbor(new Map<number, number | Uint8Array>([[HEADER_ALG, COSE_ALG_EDDSA], [HEADER_KID, signer.kid]]));
  const signature = signer.sign(sigStructure(protectedBytes, externalAad, payload));
  expectBytes('cose', 'signature', signature, 64);
  return encodeCbor(new CborTag(COSE_SIGN1_TAG, [protectedBytes, new Map(), payload, signature]));
}

function headerKid(value: unknown): Result<Uint8Array> {
  if (!(value instanceof Uint8Array)) return fail('malformed', 'cose: kid is not a byte string');
  if (value.length !== KEY_ID_BYTES) return fail('malformed', `cose: kid expected ${KEY_ID_BYTES} bytes, got ${value.length}`);
  return ok(value);
}

/** Checks the structure of a COSE_Sign1 and returns its parts; does not check the signature. */
export function parseSign1(bytes: Uint8Array): Result<ParsedSign1> {
  const decoded = decodeCbor(bytes);
  if (!decoded.ok) return decoded;
  const outer = decoded.value;
  if (!(outer instanceof CborTag) || outer.tag !== COSE_SIGN1_TAG) return fail('malformed', 'cose: not a tagged COSE_Sign1 (tag 18)');
  const parts = outer.value;
  if (!Array.isArray(parts) || parts.length !== 4) return fail('malformed', 'cose: COSE_Sign1 is not an array of 4');
  const [protectedBytes, unprotectedHeader, payload, signature] = parts;
  if (!(protectedBytes instanceof Uint8Array)) return fail('malformed', 'cose: protected header is not a byte string');
  if (!(unprotectedHeader instanceof Map)) return fail('malformed', 'cose: unprotected header is not a map');
  if (payload === null) return fail('malformed', 'cose: detached payload not supported');
  if (!(payload instanceof Uint8Array)) return fail('malformed', 'cose: payload is not a byte string');
  if (!(signature instanceof Uint8Array)) return fail('malformed', 'cose: signature is not a byte string');
  if (signature.length !== 64) return fail('malformed', `cose: signature expected 64 bytes, got ${signature.length}`);
  if (protectedBytes.length === 0) return fail('malformed', 'cose: missing alg');
  const header = decodeCbor(protectedBytes);
  if (!header.ok) return fail('malformed', `cose: protected header: ${header.reason}`);
  if (!(header.value instanceof Map)) return fail('malformed', 'cose: protected header is not a map');
  const protectedHeader: CborMap = header.value;
  let alg: number | undefined;
  let kid: Uint8Array | undefined;
  for (const [label, value] of protectedHeader) {
    if (label === HEADER_ALG) {
      if (typeof value !== 'number') return fail('malformed', 'cose: alg is not an integer');
      alg = value;
    } else if (label === HEADER_KID) {
      const k = headerKid(value);
      if (!k.ok) return k;
      kid = k.value;
    } else {
      return fail('malformed', `cose: unsupported protected header label ${JSON.stringify(label)}`);
    }
  }
  for (const [label, value] of unprotectedHeader) {
    if (label === HEADER_KID) {
      if (kid) return fail('malformed', 'cose: kid in both headers');
      const k = headerKid(value);
      if (!k.ok) return k;
      kid = k.value;
    } else if (label === HEADER_ALG) {
      return fail('malformed', 'cose: alg must be in the protected header');
    } else {
      return fail('malformed', `cose: unsupported unprotected header label ${JSON.stringify(label)}`);
    }
  }
  if (alg === undefined) return fail('malformed', 'cose: missing alg');
  if (alg !== COSE_ALG_EDDSA && alg !== COSE_ALG_ED25519) return fail('malformed', `cose: unsupported alg ${alg}`);
  if (!kid) return fail('malformed', 'cose: missing kid');
  return ok({ alg, kid, payload, protectedBytes, signature });
}

/** Verifies a COSE_Sign1 against one public key. A wrong external_aad shows as a bad signature. */
export function verifySign1(bytes: Uint8Array, publicKey: Uint8Array, options: VerifyOptions = {}): Result<VerifiedSign1, Malformed | BadSignature> {
  const parsed = parseSign1(bytes);
  if (!parsed.ok) return parsed;
  return verifyParsedSign1(parsed.value, publicKey, options);
}

/** The signature check of a COSE_Sign1 already parsed by `parseSign1`. */
export function verifyParsedSign1(parsed: ParsedSign1, publicKey: Uint8Array, options: VerifyOptions = {}): Result<VerifiedSign1, BadSignature> {
  expectBytes('cose', 'publicKey', publicKey, 32);
  const externalAad = options.externalAad ?? EMPTY;
  expectBytes('cose', 'externalAad', externalAad);
  const { alg, kid, payload, protectedBytes, signature } = parsed;
  const publicKeyId = options.publicKeyId ?? keyId(publicKey);
  expectBytes('cose', 'publicKeyId', publicKeyId, KEY_ID_BYTES);
  if (!equalBytes(kid, publicKeyId)) return fail('bad-signature', 'cose: kid mismatch');
  const crypto = options.crypto ?? nobleEd25519;
  if (!crypto.verify(signature, sigStructure(protectedBytes, externalAad, payload), publicKey)) return fail('bad-signature', 'cose: bad signature');
  return ok({ payload, kid, alg });
}

// COSE_Sign1: structure of what we emit, and one refusal per verify rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import { type CborValue, CborTag } from '../../contracts-offline/cbor-value.ts';
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { parseSign1, sigStructure, signSign1, verifySign1 } from '../../contracts-offline/cose-sign1.ts';
import { openSigned, readSigned, signMessage } from '../../contracts-offline/signed.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import { samples } from '../support/samples.ts';
import { rfc8032Vectors } from './vectors-rfc8032.ts';

const pile = keyPairFromSecret(hexToBytes(rfc8032Vectors[0]!.secretKey));
const other = keyPairFromSecret(hexToBytes(rfc8032Vectors[1]!.secretKey));
const payload = encodeContract(samples.Contract);
const aad = hexToBytes('50a1e00000000017b1a2c3d4e5f60718');
const signed = signSign1(payload, pile.secretKey, { externalAad: aad });

// Rebuilds a COSE_Sign1 from parts, signing the Sig_structure with pile's key unless told otherwise.
function build(parts: { protectedHeader?: CborValue; protectedBytes?: Uint8Array; unprotected?: Map<number, CborValue>; payload?: Uint8Array | null; signature?: Uint8Array; tag?: number }): Uint8Array {
  const protectedBytes = parts.protectedBytes ?? encodeCbor(parts.protectedHeader ?? new Map<number, CborValue>([[1, -8], [4, pile.kid]]));
  const body = parts.payload === undefined ? payload : parts.payload;
  const signature = parts.signature ?? nobleEd25519.sign(sigStructure(protectedBytes, aad, body ?? new Uint8Array(0)), pile.secretKey);
  return encodeCbor(new CborTag(parts.tag ?? 18, [protectedBytes, parts.unprotected ?? new Map(), body, signature]));
}

test('layout: tag 18, protected {1: -8, 4: kid}, empty unprotected, payload, 64-byte signature', () => {
  const decoded = decodeCbor(signed);
  assert.ok(decoded.ok);
  if (!decoded.ok) return;
  const tag = decoded.value as CborTag;
  assert.is(tag.tag, 18);
  const [protectedBytes, unprotected, body, signature] = tag.value as [Uint8Array, Map<number, CborValue>, Uint8Array, Uint8Array];
  assert.is(bytesToHex(protectedBytes), 'a2012704' + '48' + bytesToHex(pile.kid));
  assert.is(unprotected.size, 0);
  assert.equal(body, payload);
  assert.is(signature.length, 64);
  assert.is(bytesToHex(signed.subarray(0, 2)), 'd284');
});

test('Sig_structure is ["Signature1", protected, external_aad, payload] (RFC 9052 §4.4)', () => {
  const s = sigStructure(Uint8Array.of(0xa0), Uint8Array.of(1), Uint8Array.of(2));
  assert.is(bytesToHex(s), '846a' + bytesToHex(utf8Encode('Signature1')) + '41a0' + '4101' + '4102');
});

test('signing is deterministic and the kid option gives the same bytes', () => {
  assert.equal(signSign1(payload, pile.secretKey, { externalAad: aad, kid: pile.kid }), signed);
});

test('verify accepts the genuine message and returns payload, kid, alg', () => {
  assert.equal(verifySign1(signed, pile.publicKey, { externalAad: aad }), { ok: true, value: { payload, kid: pile.kid, alg: -8 } });
});

test('accepts alg -19 and kid in the unprotected header', () => {
  const v19 = build({ protectedHeader: new Map<number, CborValue>([[1, -19], [4, pile.kid]]) });
  const r = verifySign1(v19, pile.publicKey, { externalAad: aad });
  assert.ok(r.ok && r.value.alg === -19);
  const kidOutside = build({ protectedHeader: new Map([[1, -8]]), unprotected: new Map([[4, pile.kid]]) });
  assert.ok(verifySign1(kidOutside, pile.publicKey, { externalAad: aad }).ok);
});

const refusals: [string, () => Uint8Array, string, Uint8Array?][] = [
  ['tampered payload', () => { const b = signed.slice(); b[40] ^= 1; return b; }, 'cose: bad signature'],
  ['tampered protected header (alg -8 -> -19)', () => { const b = signed.slice(); b[5] = 0x32; return b; }, 'cose: bad signature'],
  ['tampered signature', () => { const b = signed.slice(); b[b.length - 1] ^= 0x40; return b; }, 'cose: bad signature'],
  ['signed by another key with our kid', () => build({ signature: nobleEd25519.sign(sigStructure(encodeCbor(new Map<number, CborValue>([[1, -8], [4, pile.kid]])), aad, payload), other.secretKey) }), 'cose: bad signature'],
  ['wrong alg (ES256 -7)', () => build({ protectedHeader: new Map<number, CborValue>([[1, -7], [4, pile.kid]]) }), 'cose: unsupported alg -7'],
  ['missing alg', () => build({ protectedHeader: new Map<number, CborValue>([[4, pile.kid]]) }), 'cose: missing alg'],
  ['empty protected header', () => build({ protectedBytes: new Uint8Array(0) }), 'cose: missing alg'],
  ['alg is text', () => build({ protectedHeader: new Map<number, CborValue>([[1, 'EdDSA'], [4, pile.kid]]) }), 'cose: alg is not an integer'],
  ['alg unprotected', () => build({ protectedHeader: new Map<number, CborValue>([[4, pile.kid]]), unprotected: new Map([[1, -8]]) }), 'cose: alg must be in the protected header'],
  ['missing kid', () => build({ protectedHeader: new Map([[1, -8]]) }), 'cose: missing kid'],
  ['kid of another key', () => build({ protectedHeader: new Map<number, CborValue>([[1, -8], [4, other.kid]]) }), 'cose: kid mismatch'],
  ['kid of 9 bytes', () => build({ protectedHeader: new Map<number, CborValue>([[1, -8], [4, new Uint8Array(9)]]) }), 'cose: kid expected 8 bytes, got 9'],
  ['kid is text', () => build({ protectedHeader: new Map<number, CborValue>([[1, -8], [4, 'pile']]) }), 'cose: kid is not a byte string'],
  ['kid in both headers', () => build({ unprotected: new Map([[4, pile.kid]]) }), 'cose: kid in both headers'],
  ['critical header', () => build({ protectedHeader: new Map<number, CborValue>([[1, -8], [2, [1]], [4, pile.kid]]) }), 'cose: unsupported protected header label 2'],
  ['unprotected content type', () => build({ unprotected: new Map([[3, 0]]) }), 'cose: unsupported unprotected header label 3'],
  ['protected header not canonical', () => build({ protectedBytes: hexToBytes('a2012704' + '5808' + bytesToHex(pile.kid)) }), 'cose: protected header: cbor: non-canonical length'],
  ['protected header not a map', () => build({ protectedBytes: hexToBytes('80') }), 'cose: protected header is not a map'],
  ['untagged', () => { const b = build({}); return b.subarray(1); }, 'cose: not a tagged COSE_Sign1 (tag 18)'],
  ['other tag (COSE_Sign 98)', () => build({ tag: 98 }), 'cose: not a tagged COSE_Sign1 (tag 18)'],
  ['three elements', () => encodeCbor(new CborTag(18, [new Uint8Array(0), new Map(), payload])), 'cose: COSE_Sign1 is not an array of 4'],
  ['detached payload', () => build({ payload: null }), 'cose: detached payload not supported'],
  ['payload as text', () => encodeCbor(new CborTag(18, [encodeCbor(new Map([[1, -8]])), new Map(), 'x', new Uint8Array(64)])), 'cose: payload is not a byte string'],
  ['protected header as map', () => encodeCbor(new CborTag(18, [new Map(), new Map(), payload, new Uint8Array(64)])), 'cose: protected header is not a byte string'],
  ['unprotected header as array', () => encodeCbor(new CborTag(18, [new Uint8Array(0), [], payload, new Uint8Array(64)])), 'cose: unprotected header is not a map'],
  ['signature as text', () => encodeCbor(new CborTag(18, [new Uint8Array(0), new Map(), payload, 'sig'])), 'cose: signature is not a byte string'],
  ['short signature', () => build({ signature: new Uint8Array(63) }), 'cose: signature expected 64 bytes, got 63'],
  ['truncated', () => signed.subarray(0, signed.length - 1), 'cbor: truncated'],
  ['trailing byte', () => concatBytes(signed, Uint8Array.of(0)), 'cbor: trailing bytes'],
  ['oversized', () => build({ payload: new Uint8Array(450) }), 'cbor: input exceeds 512 bytes'],
];

for (const [what, make, reason] of refusals) {
  test(`refuses ${what}: ${reason}`, () => {
    assert.equal(verifySign1(make(), pile.publicKey, { externalAad: aad }), { ok: false, code: reason.startsWith('cose: bad signature') || reason === 'cose: kid mismatch' ? 'bad-signature' : 'malformed', reason });
  });
}

test('wrong external_aad shows as a bad signature; so does a missing one', () => {
  assert.equal(verifySign1(signed, pile.publicKey, { externalAad: hexToBytes('50a1e00000000017b1a2c3d4e5f60719') }), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
  assert.equal(verifySign1(signed, pile.publicKey), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
});

test('wrong public key shows as a kid mismatch', () => {
  assert.equal(verifySign1(signed, other.publicKey, { externalAad: aad }), { ok: false, code: 'bad-signature', reason: 'cose: kid mismatch' });
});

test('publicKeyId given with the key stands for its keyId: the own id verifies, another key\'s id is a kid mismatch', () => {
  assert.ok(verifySign1(signed, pile.publicKey, { externalAad: aad, publicKeyId: pile.kid }).ok);
  assert.equal(verifySign1(signed, pile.publicKey, { externalAad: aad, publicKeyId: other.kid }), { ok: false, code: 'bad-signature', reason: 'cose: kid mismatch' });
  assert.throws(() => verifySign1(signed, pile.publicKey, { externalAad: aad, publicKeyId: pile.kid.subarray(0, 7) }), /cose: "publicKeyId" expected 8 bytes, got 7/);
});

test('parseSign1 reads kid and alg without a key', () => {
  const parsed = parseSign1(signed);
  assert.ok(parsed.ok && bytesToHex(parsed.value.kid) === bytesToHex(pile.kid) && parsed.value.alg === -8);
});

test('bad own arguments throw with the module prefix', () => {
  assert.throws(() => signSign1(payload, new Uint8Array(31)), (e: unknown) => e instanceof RangeError && e.message === 'cose: "secretKey" expected 32 bytes, got 31');
  assert.throws(() => signSign1(payload, pile.secretKey, { kid: new Uint8Array(4) }), /cose: "kid" expected 8 bytes, got 4/);
  assert.throws(() => verifySign1(signed, new Uint8Array(33)), /cose: "publicKey" expected 32 bytes, got 33/);
  assert.throws(() => signMessage(Uint8Array.of(0xa0), pile.secretKey), /signed: "messageBytes" is not a valid message/);
});

test('signMessage/openSigned: type check, payload decoded strictly', () => {
  const receipt = signMessage(encodeReceipt(samples.Receipt), pile.secretKey, { externalAad: aad });
  const opened = openSigned(receipt, { publicKey: pile.publicKey, externalAad: aad, expectType: 'Receipt' });
  assert.ok(opened.ok);
  if (opened.ok) {
    assert.is(opened.value.name, 'Receipt');
    assert.is(opened.value.type, 8);
    assert.equal(opened.value.message, samples.Receipt);
    assert.equal(opened.value.kid, pile.kid);
  }
  assert.equal(openSigned(receipt, { publicKey: pile.publicKey, externalAad: aad, expectType: 'Contract' }), { ok: false, code: 'malformed', reason: 'signed: expected Contract, got Receipt' });
  // A validly signed payload that is not a valid message is still refused.
  const junk = signSign1(encodeCbor(new Map([[0, 6], [1, 1]])), pile.secretKey);
  assert.equal(openSigned(junk, { publicKey: pile.publicKey }), { ok: false, code: 'malformed', reason: 'Contract: missing key 2 ("pileId")' });
});

test('readSigned reads without a key; openSigned refuses malformed bytes before any signature work', () => {
  const receipt = signMessage(encodeReceipt(samples.Receipt), pile.secretKey);
  const read = readSigned(receipt, 'Receipt');
  assert.ok(read.ok && read.value.kid.length === 8);
  if (read.ok) assert.equal(read.value.message, samples.Receipt);
  assert.equal(readSigned(receipt, 'Contract'), { ok: false, code: 'malformed', reason: 'signed: expected Contract, got Receipt' });
  const tampered = receipt.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.ok(readSigned(tampered, 'Receipt').ok, 'read does not check the signature');
  assert.equal(openSigned(tampered, { publicKey: pile.publicKey }), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
  assert.equal(openSigned(receipt, { publicKey: other.publicKey }), { ok: false, code: 'bad-signature', reason: 'cose: kid mismatch' });
  // Another message type under a signature that would not verify either: the type is refused first (6A80 before 6982 on the pile).
  assert.equal(openSigned(tampered, { publicKey: other.publicKey, expectType: 'Contract' }), { ok: false, code: 'malformed', reason: 'signed: expected Contract, got Receipt' });
  const crypto = { ...nobleEd25519, verify: () => { throw new Error('no signature work on malformed input'); } };
  assert.equal(openSigned(Uint8Array.of(0xd2, 0x84), { publicKey: pile.publicKey, crypto }).ok, false);
});

test('signed sizes with every field at its maximum: Contract <= 200 bytes, Receipt <= 160 bytes', () => {
  const u32 = 0xffff_ffff;
  const id = new Uint8Array(8).fill(0xff);
  const price = 10_000_000;
  const contract = encodeContract({
    pileId: id, seq: u32, userKid: id, voucherId: id, limit: { mode: 'amount', amountMinor: u32 },
    tariff: { version: u32, energyMinorPerKwh: price, timeMinorPerHour: price, sessionFeeMinor: price },
    startMeterWh: Number.MAX_SAFE_INTEGER, capMinor: u32, startAtS: u32,
  });
  const receipt = encodeReceipt({
    pileId: id, contractSeq: u32 - 1, seq: u32, endReason: 'abnormal', endDetail: 255, energyWh: u32,
    durationS: u32, amountMinor: u32, endMeterWh: Number.MAX_SAFE_INTEGER, endAtS: u32,
  });
  assert.is(signMessage(contract, pile.secretKey).length, 182);
  assert.is(signMessage(receipt, pile.secretKey).length, 151);
});

test.run();

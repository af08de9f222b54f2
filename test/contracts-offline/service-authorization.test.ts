// ServiceAuthorization (type 10): the byte layout, its bounds, and that it signs and opens like
// every relay-signed message. The generic rules (unknown keys, version…) are in messages.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import { encodeCbor } from '../../contracts-offline/cbor-encode.ts';
import { decodeCbor } from '../../contracts-offline/cbor-decode.ts';
import type { CborMap } from '../../contracts-offline/cbor-value.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import {
  CONSOLE_CHALLENGE_BYTES,
  SERVICE_SCOPES,
  type ServiceAuthorization,
  decodeServiceAuthorization,
  encodeServiceAuthorization,
} from '../../contracts-offline/messages/service-authorization.ts';

const sample: ServiceAuthorization = {
  pileId: hexToBytes('50a1e00000000017'),
  pilePublicKey: hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  challenge: hexToBytes('c0ffee00112233445566778899aabbcc'),
  scope: 'factory-reset',
  issuedAtS: 1_795_000_000,
};
// a7 (7 keys) | 00 0a type 10 | 01 01 version | 02 48 pileId | 03 5820 key | 04 50 challenge | 05 02 scope | 06 1a issuedAtS
const golden = 'a7000a0101024850a1e00000000017035820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0450c0ffee00112233445566778899aabbcc0502061a6afd86c0';

function edited(edit: (map: CborMap) => void): Uint8Array {
  const decoded = decodeCbor(hexToBytes(golden));
  if (!decoded.ok || !(decoded.value instanceof Map)) throw new Error('golden bytes do not decode');
  edit(decoded.value);
  return encodeCbor(decoded.value);
}

test('encodes to the documented bytes and decodes back; scopes are 0 provision, 1 set-clock, 2 factory-reset', () => {
  assert.is(bytesToHex(encodeServiceAuthorization(sample)), golden);
  assert.equal(decodeServiceAuthorization(hexToBytes(golden)), { ok: true, value: sample });
  assert.equal([...SERVICE_SCOPES], ['provision', 'set-clock', 'factory-reset']);
  for (const scope of SERVICE_SCOPES) {
    assert.equal(decodeServiceAuthorization(encodeServiceAuthorization({ ...sample, scope })), { ok: true, value: { ...sample, scope } });
  }
});

test('the challenge is exactly 16 bytes, the key exactly 32, the scope one of three', () => {
  assert.is(CONSOLE_CHALLENGE_BYTES, 16);
  assert.equal(decodeServiceAuthorization(edited((m) => m.set(4, new Uint8Array(15)))), { ok: false, code: 'malformed', reason: 'ServiceAuthorization: field "challenge" expected 16 bytes, got 15' });
  assert.equal(decodeServiceAuthorization(edited((m) => m.set(4, new Uint8Array(17)))), { ok: false, code: 'malformed', reason: 'ServiceAuthorization: field "challenge" expected 16 bytes, got 17' });
  assert.equal(decodeServiceAuthorization(edited((m) => m.set(3, new Uint8Array(0)))), { ok: false, code: 'malformed', reason: 'ServiceAuthorization: field "pilePublicKey" expected 32 bytes, got 0' });
  assert.equal(decodeServiceAuthorization(edited((m) => m.set(5, 3))), { ok: false, code: 'malformed', reason: 'ServiceAuthorization: field "scope" expected 0..2' });
  assert.throws(() => encodeServiceAuthorization({ ...sample, scope: 'wipe' as never }), (e: unknown) => e instanceof TypeError && e.message === 'ServiceAuthorization: field "scope" expected one of provision|set-clock|factory-reset');
});

test('relay-signed: opens with the relay key as type ServiceAuthorization, refused with another key', () => {
  const relay = keyPairFromSecret(hexToBytes('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
  const other = keyPairFromSecret(hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
  const signed = signMessage(encodeServiceAuthorization(sample), relay.secretKey, { kid: relay.kid });
  const opened = openSigned(signed, { publicKey: relay.publicKey, expectType: 'ServiceAuthorization' });
  assert.ok(opened.ok && opened.value.name === 'ServiceAuthorization');
  if (opened.ok) assert.equal(opened.value.message, sample);
  const forged = openSigned(signed, { publicKey: other.publicKey, expectType: 'ServiceAuthorization' });
  assert.is(forged.ok ? 'opened' : forged.code, 'bad-signature');
  assert.is(openSigned(signed, { publicKey: relay.publicKey, expectType: 'Authorization' }).ok, false);
});

test.run();

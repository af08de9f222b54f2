// Interop with an independent COSE implementation (@ldclabs/cose-ts on @noble/curves), both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ed25519Key } from '@ldclabs/cose-ts/ed25519';
import { Sign1Message } from '@ldclabs/cose-ts/sign1';
import { Header } from '@ldclabs/cose-ts/header';
import { hexToBytes } from '../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../contracts-offline/keys.ts';
import { signSign1, verifySign1 } from '../../contracts-offline/cose-sign1.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import { MESSAGE_NAMES, codecs } from '../../contracts-offline/messages/registry.ts';
import { samples } from '../support/samples.ts';

const pile = keyPairFromSecret(hexToBytes('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'));
const aad = hexToBytes('50a1e00000000017b1a2c3d4e5f60718');

// cose-ts's .d.ts files import without extensions, so under NodeNext its inherited members
// (Key.kid, KVMap.setParam) are not visible to tsc; these views name the ones used here.
type WithKid = { kid: Uint8Array };
type WithParams = { setParam(label: number, value: unknown): unknown };

function theirKey(): Ed25519Key {
  const key = Ed25519Key.fromSecret(pile.secretKey);
  (key as unknown as WithKid).kid = pile.kid;
  return key;
}

const encode = (name: (typeof MESSAGE_NAMES)[number]): Uint8Array => (codecs[name] as (typeof codecs)['Contract']).encode(samples[name] as never);

for (const name of MESSAGE_NAMES) {
  test(`cose-ts verifies our signed ${name}`, () => {
    const payload = encode(name);
    const ours = signMessage(payload, pile.secretKey, { externalAad: aad });
    const verifier = Ed25519Key.fromPublic(pile.publicKey);
    const message = Sign1Message.fromBytes(verifier, ours, aad);
    assert.equal(new Uint8Array(message.payload), payload);
    assert.is(message.protected?.getInt(1), -8);
    assert.equal(new Uint8Array(message.protected!.getBytes(4)), pile.kid);
    assert.throws(() => Sign1Message.fromBytes(verifier, ours, hexToBytes('00')), /signature mismatch/);
  });

  test(`we verify cose-ts's Sign1 over our ${name}`, () => {
    const payload = encode(name);
    const theirs = Sign1Message.withTag(new Sign1Message(payload).toBytes(theirKey(), aad));
    const opened = openSigned(theirs, { publicKey: pile.publicKey, externalAad: aad, expectType: name });
    assert.ok(opened.ok, opened.ok ? '' : opened.reason);
    if (opened.ok) assert.equal(opened.value.message, samples[name]);
  });
}

test('cose-ts with kid in the protected header also verifies, and so does ours from cose-ts bytes', () => {
  const payload = encode('Contract');
  const protectedHeader = new Header();
  (protectedHeader as unknown as WithParams).setParam(1, -8);
  (protectedHeader as unknown as WithParams).setParam(4, pile.kid);
  const theirs = Sign1Message.withTag(new Sign1Message(payload, protectedHeader, new Header()).toBytes(theirKey(), aad));
  // Same key, same protected header, deterministic Ed25519: byte-identical to ours.
  assert.equal(new Uint8Array(theirs), signSign1(payload, pile.secretKey, { externalAad: aad }));
});

test('we refuse what cose-ts writes untagged (tag 18 is required here), and its tampered messages', () => {
  const payload = encode('Receipt');
  const untagged = new Sign1Message(payload).toBytes(theirKey(), aad);
  assert.equal(verifySign1(untagged, pile.publicKey, { externalAad: aad }), { ok: false, code: 'malformed', reason: 'cose: not a tagged COSE_Sign1 (tag 18)' });
  const tampered = Sign1Message.withTag(untagged).slice();
  tampered[tampered.length - 70] ^= 1;
  assert.equal(verifySign1(tampered, pile.publicKey, { externalAad: aad }), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
  assert.equal(verifySign1(Sign1Message.withTag(untagged), pile.publicKey), { ok: false, code: 'bad-signature', reason: 'cose: bad signature' });
});

test.run();

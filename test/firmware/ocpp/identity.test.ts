// The pile's answer to the relay's identity challenge (firmware/ocpp/identity.ts): the
// challenge's validator with its exact CALLERROR codes, and the signed UplinkIdentity opened and
// checked as the relay does. Pure ECMAScript: also run inside XS (in-xs.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToHex, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { keyPairFromSecret } from '../../../contracts-offline/keys.ts';
import { nobleEd25519 } from '../../../contracts-offline/crypto.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';
import { identityChallengeHandler, parseIdentityChallenge } from '../../../firmware/ocpp/identity.ts';

const challengeCases: [string, string | undefined, string][] = [
  ['absent', undefined, 'OccurenceConstraintViolation'],
  ['empty', '', 'PropertyConstraintViolation'],
  ['31 hex digits', 'a'.repeat(31), 'PropertyConstraintViolation'],
  ['33 hex digits', 'a'.repeat(33), 'PropertyConstraintViolation'],
  ['uppercase hex', 'A'.repeat(32), 'PropertyConstraintViolation'],
  ['not hex', 'g'.repeat(32), 'PropertyConstraintViolation'],
  ['base64url of 16 bytes', 'AAAAAAAAAAAAAAAAAAAAAA', 'PropertyConstraintViolation'],
];

for (const [name, data, code] of challengeCases) {
  test(`IdentityChallenge data ${name}: ${code}`, () => {
    const parsed = parseIdentityChallenge(data);
    assert.is(parsed.ok ? 'ok' : parsed.code, code);
  });
}

test('IdentityChallenge: the pile signs an UplinkIdentity of its id, the challenge and its clock; the answer runs onAnswered once sent', () => {
  const key = keyPairFromSecret(hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
  const pileId = hexToBytes('50a1e00000000017');
  const clock = new VirtualClock({ startMs: 1_795_000_120_999 });
  const signed: Uint8Array[] = [];
  let answered = 0;
  const handler = identityChallengeHandler({ pileId, kid: key.kid, sign: (message) => {
    signed.push(message);
    return nobleEd25519.sign(message, key.secretKey);
  } }, clock, () => answered++);

  const answer = handler('5e1f00d0aabbccddeeff001122334455');
  assert.ok(answer.ok);
  if (!answer.ok) return;
  assert.is(answer.value.status, 'Accepted');
  const opened = openSigned(base64urlToBytes(answer.value.data as string), { publicKey: key.publicKey, expectType: 'UplinkIdentity' });
  assert.ok(opened.ok, opened.ok ? '' : opened.reason);
  if (!opened.ok) return;
  assert.equal(
    { pileId: bytesToHex(opened.value.message.pileId), challenge: bytesToHex(opened.value.message.challenge), atS: opened.value.message.atS },
    { pileId: '50a1e00000000017', challenge: '5e1f00d0aabbccddeeff001122334455', atS: 1_795_000_120 },
  );
  assert.is(answered, 0, 'not before the answer is sent');
  answer.afterSent?.();
  assert.is(answered, 1);

  const refused = handler('5E1F00D0AABBCCDDEEFF001122334455');
  assert.is(refused.ok ? 'ok' : refused.code, 'PropertyConstraintViolation');
  assert.is(signed.length, 1, 'a malformed challenge is never signed');
});

test.run();

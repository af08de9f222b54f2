// DataTransfer from the central system (firmware/ocpp/data-transfer.ts): every refusal of the
// validator with its exact CALLERROR code, and the dispatch by vendorId / messageId with the
// DataTransfer.conf statuses of OCPP 1.6 §7.19. Pure ECMAScript: also run inside XS (in-xs.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DataTransferMessageHandler, dataTransferHandler, parseDataTransferReq } from '../../../firmware/ocpp/data-transfer.ts';

const requestCases: [string, Record<string, unknown>, string | { vendorId: string; messageId?: string; data?: string }][] = [
  ['every field', { vendorId: 'com.tapcharge', messageId: 'IdentityChallenge', data: '00' }, { vendorId: 'com.tapcharge', messageId: 'IdentityChallenge', data: '00' }],
  ['vendorId only', { vendorId: 'v' }, { vendorId: 'v' }],
  ['vendorId of 255 characters, messageId of 50', { vendorId: 'v'.repeat(255), messageId: 'm'.repeat(50) }, { vendorId: 'v'.repeat(255), messageId: 'm'.repeat(50) }],
  ['no vendorId', { messageId: 'm' }, 'OccurenceConstraintViolation'],
  ['vendorId a number', { vendorId: 5 }, 'TypeConstraintViolation'],
  ['vendorId of 256 characters', { vendorId: 'v'.repeat(256) }, 'PropertyConstraintViolation'],
  ['messageId null', { vendorId: 'v', messageId: null }, 'TypeConstraintViolation'],
  ['messageId of 51 characters', { vendorId: 'v', messageId: 'm'.repeat(51) }, 'PropertyConstraintViolation'],
  ['data an object', { vendorId: 'v', data: {} }, 'TypeConstraintViolation'],
  ['a field DataTransfer.req does not have', { vendorId: 'v', status: 'Accepted' }, 'FormationViolation'],
];

for (const [name, payload, expected] of requestCases) {
  test(`DataTransfer.req: ${name}`, () => {
    const parsed = parseDataTransferReq(payload);
    if (typeof expected === 'string') {
      assert.is(parsed.ok ? 'ok' : parsed.code, expected);
    } else {
      assert.equal(parsed, { ok: true, value: { messageId: undefined, data: undefined, ...expected } });
    }
  });
}

test('dispatch: our vendorId and messageId (case-insensitive) to their handler; others get UnknownVendorId / UnknownMessageId', () => {
  const seen: (string | undefined)[] = [];
  const echo: DataTransferMessageHandler = (data) => {
    seen.push(data);
    return { ok: true, value: { status: 'Accepted', data: `echo ${data}` } };
  };
  const handler = dataTransferHandler('com.tapcharge', new Map([['Echo', echo]]));
  const cases: [Record<string, unknown>, unknown][] = [
    [{ vendorId: 'com.tapcharge', messageId: 'Echo', data: 'a' }, { ok: true, value: { status: 'Accepted', data: 'echo a' } }],
    [{ vendorId: 'COM.TapCharge', messageId: 'echo' }, { ok: true, value: { status: 'Accepted', data: 'echo undefined' } }],
    [{ vendorId: 'com.other', messageId: 'Echo', data: 'b' }, { ok: true, value: { status: 'UnknownVendorId' } }],
    [{ vendorId: 'com.tapcharge', messageId: 'Contract', data: 'c' }, { ok: true, value: { status: 'UnknownMessageId' } }],
    [{ vendorId: 'com.tapcharge', data: 'd' }, { ok: true, value: { status: 'UnknownMessageId' } }],
  ];
  for (const [payload, answer] of cases) assert.equal(handler(payload), answer, JSON.stringify(payload));
  assert.equal(seen, ['a', undefined], 'only our messages reach the handler');
  const refused = handler({ vendorId: 'com.tapcharge', messageId: 'Echo', data: 7 });
  assert.is(refused.ok ? 'ok' : refused.code, 'TypeConstraintViolation');
  assert.is(seen.length, 2, 'a refused request reaches no handler');
});

test.run();

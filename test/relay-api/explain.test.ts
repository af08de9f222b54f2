// The API's schemas check JSON and say in one line what is wrong: the field and what was expected.
// Table-driven over the voucher request (a tagged union inside), the upload, a registration (UTF-8
// byte bounds), a service authorisation request, a provisioning record and an answer; a valid
// value comes back as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkJson } from '../../tools/relay-api/explain.ts';
import { ProvisioningRecordJson, relayApi } from '../../tools/relay-api/routes.ts';

const voucher = { pileId: 'aa'.repeat(8), pileNonce: 'bb'.repeat(16), nonce: 'cc'.repeat(16), atS: 5, limit: { mode: 'full' } };

const serviceAuthorization = { challenge: 'dd'.repeat(16), scope: 'provision', nonce: 'cc'.repeat(16), atS: 5 };
const provisioning = { pileId: 'aa'.repeat(8), relayPublicKey: 'bb'.repeat(32), pilePublicKey: 'cc'.repeat(32), configVersion: 1, pileUpdate: 'hKNEoQEn', firstBillingSeq: 1 };
const { pilePublicKey: _, ...provisioningWithoutPileKey } = provisioning;

const refused: [string, Parameters<typeof checkJson>[0], unknown, string][] = [
  ['limit value as text', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'amount', amountMinor: '100' } }, '"limit.amountMinor" expected an integer, got string'],
  ['limit value a fraction', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'amount', amountMinor: 1.5 } }, '"limit.amountMinor" expected an integer, got 1.5'],
  ['unknown mode', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'warp' } }, '"limit.mode" expected one of amount|time|energy|full'],
  ['no mode', relayApi.issueVoucher.body, { ...voucher, limit: {} }, '"limit.mode" expected one of amount|time|energy|full'],
  ['a unit the mode does not take', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'full', energyWh: 5 } }, '"limit.energyWh" is not a known field'],
  ['limit zero', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'time', durationS: 0 } }, '"limit.durationS" expected 1..4294967295, got 0'],
  ['limit missing its value', relayApi.issueVoucher.body, { ...voucher, limit: { mode: 'time' } }, '"limit.durationS" is required'],
  ['limit not an object', relayApi.issueVoucher.body, { ...voucher, limit: 5 }, '"limit" expected a JSON object, got 5'],
  ['nonce not hex', relayApi.issueVoucher.body, { ...voucher, pileNonce: 'abc' }, '"pileNonce" expected hex (8..16 bytes), got a string that is not hex'],
  ['nonce too short', relayApi.issueVoucher.body, { ...voucher, pileNonce: 'aa'.repeat(4) }, '"pileNonce" expected 8..16 bytes, got 4'],
  ['id as a number', relayApi.issueVoucher.body, { ...voucher, pileId: 12 }, '"pileId" expected hex (8 bytes), got 12'],
  ['unknown field', relayApi.issueVoucher.body, { ...voucher, extra: 1 }, '"extra" is not a known field'],
  ['missing field', relayApi.issueVoucher.body, { pileId: voucher.pileId, pileNonce: voucher.pileNonce, limit: voucher.limit, nonce: voucher.nonce }, '"atS" is required'],
  ['not an object', relayApi.issueVoucher.body, [1, 2], '"body" expected a JSON object, got an array'],
  ['records not an array', relayApi.uploadRecords.body, { records: 'abc' }, '"records" expected an array, got string'],
  ['too many records', relayApi.uploadRecords.body, { records: Array(65).fill('A') }, '"records" expected 1..64 items, got 65'],
  ['name over 24 UTF-8 bytes', relayApi.registerUser.body, { publicKey: 'aa'.repeat(32), displayName: 'é'.repeat(13), nonce: 'cc'.repeat(16), atS: 1 }, '"displayName" expected at most 24 UTF-8 bytes, got 26'],
  ['empty name', relayApi.registerUser.body, { publicKey: 'aa'.repeat(32), displayName: '', nonce: 'cc'.repeat(16), atS: 1 }, '"displayName" must not be empty'],
  ['a console challenge of 15 bytes', relayApi.serviceAuthorization.body, { ...serviceAuthorization, challenge: 'dd'.repeat(15) }, '"challenge" expected 16 bytes, got 15'],
  ['a scope that is no console command', relayApi.serviceAuthorization.body, { ...serviceAuthorization, scope: 'shell' }, '"scope" expected one of provision|set-clock|factory-reset'],
  ['a provisioning record without the pile key', ProvisioningRecordJson, provisioningWithoutPileKey, '"pilePublicKey" is required'],
  ['a provisioning record with config version 0', ProvisioningRecordJson, { ...provisioning, configVersion: 0 }, '"configVersion" expected 1..4294967295, got 0'],
  ['a provisioning record starting at billing sequence 0', ProvisioningRecordJson, { ...provisioning, firstBillingSeq: 0 }, '"firstBillingSeq" expected 1..4294967295, got 0'],
  ['answer with an unknown status', relayApi.uploadRecords.answers[200], { results: [{ status: 'weird' }], acks: [] }, '"results.0.status" expected one of accepted|duplicate|rejected'],
];

for (const [what, schema, value, reason] of refused) {
  test(`refused: ${what}`, () => {
    assert.equal(checkJson(schema, value, 'body'), { ok: false, code: 'invalid', reason });
  });
}

test('a valid request and a valid answer (with a field a newer relay added) come back as they are', () => {
  assert.equal(checkJson(relayApi.issueVoucher.body, voucher, 'body'), { ok: true, value: voucher });
  const answer = { results: [{ pileId: 'aa'.repeat(8), seq: 1, kind: 'contract', status: 'accepted' }], acks: [], newer: true };
  assert.equal(checkJson(relayApi.uploadRecords.answers[200], answer, 'answer'), { ok: true, value: answer });
});

test.run();

// The transaction messages' builders and answer validators (start-transaction.ts,
// stop-transaction.ts, meter-values.ts, billing-record-transfer.ts), table-driven: the
// StopTransaction reason for every end detail, the payloads the pile builds, and each refusal of
// an answer with the CALLERROR code README.md's table names; MeterValueSampleInterval in the
// configuration.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import { EndDetail, type Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { billingRecordRequest, parseBillingRecordConf } from '../../../firmware/ocpp/billing-record-transfer.ts';
import { Configuration } from '../../../firmware/ocpp/configuration.ts';
import { meterValuesRequest, parseMeterValuesConf } from '../../../firmware/ocpp/meter-values.ts';
import { idTagOf, parseStartTransactionConf, startTransactionRequest } from '../../../firmware/ocpp/start-transaction.ts';
import { STOP_REASONS, parseStopTransactionConf, stopReasonOf, stopTransactionRequest } from '../../../firmware/ocpp/stop-transaction.ts';

const contract: Contract = {
  pileId: hexToBytes('50a1e00000000017'), seq: 41, userKid: hexToBytes('9C0FFEE000000042'), voucherId: new Uint8Array(8),
  limit: { mode: 'energy', energyWh: 20_000 }, tariff: { version: 1, energyMinorPerKwh: 35, timeMinorPerHour: 60, sessionFeeMinor: 50 },
  startMeterWh: 1_000_000, capMinor: 1000, startAtS: 1_767_225_600,
};

const receipt: Receipt = {
  pileId: contract.pileId, contractSeq: 41, seq: 42, endReason: 'abnormal', endDetail: EndDetail.plugRemoved, energyWh: 1234,
  durationS: 600, amountMinor: 93, endMeterWh: 1_001_234, endAtS: 1_767_226_200,
};

// [endReason, endDetail, OCPP 1.6 Reason]: every detail code, and an unknown one by its endReason
const reasons: [Receipt['endReason'], number, string][] = [
  ['normal', EndDetail.none, 'Other'],
  ['user', EndDetail.none, 'Local'],
  ['abnormal', EndDetail.none, 'Other'],
  ['normal', EndDetail.limitReached, 'Other'],
  ['normal', EndDetail.capReached, 'Other'],
  ['normal', EndDetail.vehicleDone, 'Other'],
  ['user', EndDetail.userStop, 'Local'],
  ['abnormal', EndDetail.plugRemoved, 'EVDisconnected'],
  ['abnormal', EndDetail.powerLoss, 'PowerLoss'],
  ['abnormal', EndDetail.meterFault, 'Other'],
  ['abnormal', EndDetail.contactorFault, 'Other'],
  ['abnormal', EndDetail.overcurrent, 'Other'],
  ['abnormal', EndDetail.groundFault, 'Other'],
  ['abnormal', EndDetail.pilotFault, 'Other'],
  ['abnormal', EndDetail.emergencyStop, 'EmergencyStop'],
  ['user', 200, 'Local'],
  ['abnormal', 200, 'Other'],
];

test('the reason table names every end detail, each reason in the OCPP 1.6 enum', () => {
  const named = new Set(reasons.map((row) => row[1]));
  for (const detail of Object.values(EndDetail)) assert.ok(named.has(detail), `detail ${detail}`);
  for (const [endReason, endDetail, reason] of reasons) {
    assert.is(stopReasonOf({ endReason, endDetail }), reason, `${endReason}/${endDetail}`);
    assert.ok((STOP_REASONS as readonly string[]).includes(reason));
  }
});

test('StartTransaction and StopTransaction payloads from the records themselves', () => {
  assert.equal(startTransactionRequest(contract), { connectorId: 1, idTag: '9c0ffee000000042', meterStart: 1_000_000, timestamp: '2026-01-01T00:00:00.000Z' });
  assert.equal(stopTransactionRequest(receipt, 1041), { transactionId: 1041, meterStop: 1_001_234, timestamp: '2026-01-01T00:10:00.000Z', reason: 'EVDisconnected' });
  assert.is(idTagOf(new Uint8Array(10)).length, 20);
  assert.throws(() => idTagOf(new Uint8Array(11)), /"idTag" expected at most 20 characters, got 22/);
});

test('MeterValues: connector 1, the transaction, the import register in Wh and the power in W, periodic', () => {
  assert.equal(meterValuesRequest(1041, { energyWh: 1_000_500, powerW: 7360 }, Date.UTC(2026, 0, 1, 0, 5)), {
    connectorId: 1,
    transactionId: 1041,
    meterValue: [{
      timestamp: '2026-01-01T00:05:00.000Z',
      sampledValue: [
        { value: '1000500', context: 'Sample.Periodic', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
        { value: '7360', context: 'Sample.Periodic', measurand: 'Power.Active.Import', unit: 'W' },
      ],
    }],
  });
});

test('BillingRecord: our vendorId, the record as base64url', () => {
  assert.equal(billingRecordRequest(Uint8Array.from([0xd2, 0x84, 0xff])), { vendorId: 'com.tapcharge', messageId: 'BillingRecord', data: '0oT_' });
});

type Row = [string, Record<string, unknown>, string | unknown];

const answerCases: [string, (payload: Record<string, unknown>) => { ok: boolean; code?: string; value?: unknown }, Row[]][] = [
  ['StartTransaction.conf', parseStartTransactionConf, [
    ['accepted', { transactionId: 7, idTagInfo: { status: 'Accepted' } }, { transactionId: 7, idTagStatus: 'Accepted' }],
    ['all idTagInfo fields', { transactionId: 7, idTagInfo: { status: 'Blocked', expiryDate: '2026-02-01T00:00:00Z', parentIdTag: 'p' } }, { transactionId: 7, idTagStatus: 'Blocked' }],
    ['no idTagInfo', { transactionId: 7 }, 'OccurenceConstraintViolation'],
    ['no transactionId', { idTagInfo: { status: 'Accepted' } }, 'OccurenceConstraintViolation'],
    ['idTagInfo a string', { transactionId: 7, idTagInfo: 'Accepted' }, 'TypeConstraintViolation'],
    ['idTagInfo without status', { transactionId: 7, idTagInfo: {} }, 'OccurenceConstraintViolation'],
    ['status outside the enum', { transactionId: 7, idTagInfo: { status: 'Fine' } }, 'PropertyConstraintViolation'],
    ['expiryDate not a date-time', { transactionId: 7, idTagInfo: { status: 'Accepted', expiryDate: 'tomorrow' } }, 'PropertyConstraintViolation'],
    ['parentIdTag over 20', { transactionId: 7, idTagInfo: { status: 'Accepted', parentIdTag: 'p'.repeat(21) } }, 'PropertyConstraintViolation'],
    ['idTagInfo with an extra field', { transactionId: 7, idTagInfo: { status: 'Accepted', x: 1 } }, 'FormationViolation'],
    ['transactionId a string', { transactionId: '7', idTagInfo: { status: 'Accepted' } }, 'TypeConstraintViolation'],
    ['transactionId not whole', { transactionId: 7.5, idTagInfo: { status: 'Accepted' } }, 'TypeConstraintViolation'],
    ['an extra field', { transactionId: 7, idTagInfo: { status: 'Accepted' }, reservationId: 1 }, 'FormationViolation'],
  ]],
  ['StopTransaction.conf', parseStopTransactionConf, [
    ['empty', {}, undefined],
    ['with idTagInfo', { idTagInfo: { status: 'Invalid' } }, undefined],
    ['idTagInfo bad status', { idTagInfo: { status: 7 } }, 'TypeConstraintViolation'],
    ['an extra field', { transactionId: 7 }, 'FormationViolation'],
  ]],
  ['MeterValues.conf', parseMeterValuesConf, [
    ['empty', {}, undefined],
    ['an extra field', { status: 'Accepted' }, 'FormationViolation'],
  ]],
  ['DataTransfer.conf of a BillingRecord', parseBillingRecordConf, [
    ['accepted with the Ack', { status: 'Accepted', data: '0oT_' }, { status: 'Accepted', ackBytes: Uint8Array.from([0xd2, 0x84, 0xff]) }],
    ['rejected, why', { status: 'Rejected', data: 'bad-signature' }, { status: 'Rejected', why: 'bad-signature' }],
    ['unknown messageId', { status: 'UnknownMessageId' }, { status: 'UnknownMessageId', why: undefined }],
    ['accepted without the Ack', { status: 'Accepted' }, 'OccurenceConstraintViolation'],
    ['the Ack not base64url', { status: 'Accepted', data: '0oT/' }, 'PropertyConstraintViolation'],
    ['data a number', { status: 'Accepted', data: 5 }, 'TypeConstraintViolation'],
    ['status outside the enum', { status: 'Done' }, 'PropertyConstraintViolation'],
    ['no status', { data: '0oT_' }, 'OccurenceConstraintViolation'],
    ['an extra field', { status: 'Accepted', data: '0oT_', seq: 1 }, 'FormationViolation'],
  ]],
];

for (const [name, parse, rows] of answerCases) {
  for (const [what, payload, expected] of rows) {
    test(`${name}: ${what}`, () => {
      const parsed = parse(payload);
      if (typeof expected === 'string') assert.equal([parsed.ok, parsed.code], [false, expected]);
      else assert.equal(parsed, { ok: true, value: expected });
    });
  }
}

test('MeterValueSampleInterval: read-write, 60 s until changed, 0..86400, listeners told', () => {
  const configuration = new Configuration({ heartbeatIntervalS: 900, numberOfConnectors: 1 });
  const told: number[] = [];
  configuration.onMeterValueSampleIntervalChange((s) => told.push(s));
  assert.equal(configuration.all().map((k) => [k.key, k.readonly, k.value]), [
    ['HeartbeatInterval', false, '900'], ['MeterValueSampleInterval', false, '60'], ['NumberOfConnectors', true, '1'],
    ['SupportedFeatureProfiles', true, 'Core'], ['GetConfigurationMaxKeys', true, '16'],
  ]);
  for (const [value, outcome] of [['0', 'Accepted'], ['86400', 'Accepted'], ['86401', 'Rejected'], ['1.5', 'Rejected'], ['', 'Rejected'], ['86400', 'Accepted']] as const) {
    assert.is(configuration.change('MeterValueSampleInterval', value), outcome, value);
  }
  assert.is(configuration.change('meterValueSampleInterval', '5'), 'NotSupported', 'keys are case-sensitive');
  assert.is(configuration.meterValueSampleIntervalS, 86_400);
  assert.equal(told, [0, 86_400], 'told of changes only');
  assert.is(configuration.heartbeatIntervalS, 900);
});

test.run();

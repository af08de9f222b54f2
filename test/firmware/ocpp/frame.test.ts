// The OCPP-J frame codec (firmware/ocpp/frame.ts) on a table of good and bad frames: what each
// parses to, or the exact CALLERROR code it is refused with and whether it can be answered (a
// CALL whose uniqueId is readable). The payload validators of the messages the pile takes, on
// their own table: every refusal code of OCPP-J 1.6 §4.2.3 they use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FRAME_MAX_CHARS, encodeCall, encodeCallError, encodeCallResult, parseFrame } from '../../../firmware/ocpp/frame.ts';
import { parseBootNotificationConf } from '../../../firmware/ocpp/boot-notification.ts';
import { parseChangeConfigurationReq } from '../../../firmware/ocpp/change-configuration.ts';
import { parseGetConfigurationReq } from '../../../firmware/ocpp/get-configuration.ts';
import { parseHeartbeatConf } from '../../../firmware/ocpp/heartbeat.ts';
import { parseStatusNotificationConf } from '../../../firmware/ocpp/status-notification.ts';

const goodFrames: [string, string, unknown][] = [
  ['CALL', '[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]',
    { type: 2, id: '19223201', action: 'BootNotification', payload: { chargePointVendor: 'VendorX', chargePointModel: 'SingleSocketCharger' } }],
  ['CALL with spaces, empty payload', ' [ 2 , "a" , "Heartbeat" , { } ] ', { type: 2, id: 'a', action: 'Heartbeat', payload: {} }],
  ['CALLRESULT', '[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]',
    { type: 3, id: '19223201', payload: { status: 'Accepted', currentTime: '2013-02-01T20:53:32.486Z', interval: 300 } }],
  ['CALLERROR', '[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]',
    { type: 4, id: '162376037', errorCode: 'NotSupported', description: 'SetDisplayMessageRequest not implemented', details: {} }],
  ['CALLERROR with a code outside 1.6', '[4,"x","OccurrenceConstraintViolation","",{"k":1}]',
    { type: 4, id: 'x', errorCode: 'OccurrenceConstraintViolation', description: '', details: { k: 1 } }],
  ['CALL nested 8 levels, brackets inside strings not counted', '[2,"n","A",{"k":[[[[[["[[[{{{\\\\"]]]]]]}]',
    { type: 2, id: 'n', action: 'A', payload: { k: [[[[[['[[[{{{\\']]]]]] } }],
  ['uniqueId of 36 characters', `[3,"${'u'.repeat(36)}",{}]`, { type: 3, id: 'u'.repeat(36), payload: {} }],
];

for (const [name, text, frame] of goodFrames) {
  test(`parses ${name}`, () => {
    const parsed = parseFrame(text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    if (parsed.ok) assert.equal(parsed.value, frame);
  });
}

/** [name, text, code, callId the pile can answer (undefined: dropped)] */
const badFrames: [string, string, string, string | undefined][] = [
  ['empty text', '', 'FormationViolation', undefined],
  ['not JSON', 'hello', 'FormationViolation', undefined],
  ['truncated CALL', '[2,"id7","Heartbeat",{', 'FormationViolation', 'id7'],
  ['JSON object', '{"type":2}', 'FormationViolation', undefined],
  ['JSON string', '"[2]"', 'FormationViolation', undefined],
  ['empty array', '[]', 'FormationViolation', undefined],
  ['message type 5', '[5,"id","Heartbeat",{}]', 'FormationViolation', undefined],
  ['message type as text', '["2","id","Heartbeat",{}]', 'FormationViolation', undefined],
  ['uniqueId a number', '[2,7,"Heartbeat",{}]', 'FormationViolation', undefined],
  ['uniqueId empty', '[2,"","Heartbeat",{}]', 'FormationViolation', undefined],
  ['uniqueId of 37 characters', `[2,"${'u'.repeat(37)}","Heartbeat",{}]`, 'FormationViolation', undefined],
  ['CALL without payload', '[2,"id","Heartbeat"]', 'FormationViolation', 'id'],
  ['CALL with a fifth element', '[2,"id","Heartbeat",{},{}]', 'FormationViolation', 'id'],
  ['CALL action a number', '[2,"id",5,{}]', 'FormationViolation', 'id'],
  ['CALL action empty', '[2,"id","",{}]', 'FormationViolation', 'id'],
  ['CALL payload an array', '[2,"id","Heartbeat",[]]', 'FormationViolation', 'id'],
  ['CALL payload null', '[2,"id","Heartbeat",null]', 'FormationViolation', 'id'],
  ['CALLRESULT payload a string', '[3,"id","ok"]', 'FormationViolation', undefined],
  ['CALLRESULT with 4 elements', '[3,"id",{},{}]', 'FormationViolation', undefined],
  ['CALLERROR with 4 elements', '[4,"id","GenericError","x"]', 'FormationViolation', undefined],
  ['CALLERROR code a number', '[4,"id",1,"x",{}]', 'FormationViolation', undefined],
  ['CALLERROR details null', '[4,"id","GenericError","x",null]', 'FormationViolation', undefined],
  ['CALL nested 9 levels', '[2,"deep","GetConfiguration",{"key":[[[[[[["x"]]]]]]]}]', 'FormationViolation', 'deep'],
  ['4000 open brackets', '['.repeat(4000), 'FormationViolation', undefined],
];

for (const [name, text, code, callId] of badFrames) {
  test(`refuses ${name}: ${code}, ${callId === undefined ? 'dropped' : 'answered'}`, () => {
    const parsed = parseFrame(text);
    assert.not.ok(parsed.ok);
    if (parsed.ok) return;
    assert.is(parsed.code, code);
    assert.is(parsed.callId, callId);
    assert.ok(parsed.reason.length > 0);
  });
}

test('a frame over FRAME_MAX_CHARS is refused unread, and answered when it starts like a CALL', () => {
  const padding = 'x'.repeat(FRAME_MAX_CHARS);
  const call = parseFrame(`[2,"big1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"${padding}"}]`);
  assert.equal(call.ok ? undefined : [call.code, call.callId], ['FormationViolation', 'big1']);
  const reply = parseFrame(`[3,"big2",{"v":"${padding}"}]`);
  assert.equal(reply.ok ? undefined : [reply.code, reply.callId], ['FormationViolation', undefined]);
  assert.ok(parseFrame(`[3,"a",{"v":"${'x'.repeat(FRAME_MAX_CHARS - 20)}"}]`).ok, 'a frame at the limit is read');
});

test('never throws on deeply nested or hostile text', () => {
  const texts = ['['.repeat(4000), '{"a":'.repeat(1500), `[2,"d","Heartbeat",${'['.repeat(2000)}${']'.repeat(2000)}]`, '[2,"p","Heartbeat",{"__proto__":{"x":1}}]', '\u0000', '[2,"\\u0000","A",{}]'];
  for (const text of texts) parseFrame(text);
  const proto = parseFrame('[2,"p","Heartbeat",{"__proto__":{"x":1}}]');
  assert.ok(proto.ok);
  if (proto.ok) assert.is(({} as { x?: number }).x, undefined, 'no prototype pollution');
});

test('encoders write the frames the parser reads back', () => {
  assert.is(encodeCall('1', 'Heartbeat', {}), '[2,"1","Heartbeat",{}]');
  assert.is(encodeCallResult('1', { currentTime: 'x' }), '[3,"1",{"currentTime":"x"}]');
  assert.is(encodeCallError('1', 'NotImplemented', 'no'), '[4,"1","NotImplemented","no",{}]');
  const back = parseFrame(encodeCallError('1', 'OccurenceConstraintViolation', '"quoted"'));
  assert.ok(back.ok && back.value.type === 4 && back.value.description === '"quoted"');
});

/** [name, validator, payload, code (undefined: accepted)] */
const payloads: [string, (payload: Record<string, unknown>) => { ok: boolean; code?: string }, Record<string, unknown>, string | undefined][] = [
  ['ChangeConfiguration', parseChangeConfigurationReq, { key: 'HeartbeatInterval', value: '60' }, undefined],
  ['ChangeConfiguration without value', parseChangeConfigurationReq, { key: 'HeartbeatInterval' }, 'OccurenceConstraintViolation'],
  ['ChangeConfiguration without key', parseChangeConfigurationReq, { value: '60' }, 'OccurenceConstraintViolation'],
  ['ChangeConfiguration value a number', parseChangeConfigurationReq, { key: 'HeartbeatInterval', value: 60 }, 'TypeConstraintViolation'],
  ['ChangeConfiguration key null', parseChangeConfigurationReq, { key: null, value: '60' }, 'TypeConstraintViolation'],
  ['ChangeConfiguration key of 51 characters', parseChangeConfigurationReq, { key: 'k'.repeat(51), value: '1' }, 'PropertyConstraintViolation'],
  ['ChangeConfiguration value of 501 characters', parseChangeConfigurationReq, { key: 'k', value: 'v'.repeat(501) }, 'PropertyConstraintViolation'],
  ['ChangeConfiguration with an extra field', parseChangeConfigurationReq, { key: 'k', value: 'v', force: true }, 'FormationViolation'],
  ['GetConfiguration, all keys', parseGetConfigurationReq, {}, undefined],
  ['GetConfiguration, two keys', parseGetConfigurationReq, { key: ['HeartbeatInterval', 'Nope'] }, undefined],
  ['GetConfiguration key a string', parseGetConfigurationReq, { key: 'HeartbeatInterval' }, 'TypeConstraintViolation'],
  ['GetConfiguration key item a number', parseGetConfigurationReq, { key: [1] }, 'TypeConstraintViolation'],
  ['GetConfiguration key item of 51 characters', parseGetConfigurationReq, { key: ['k'.repeat(51)] }, 'PropertyConstraintViolation'],
  ['GetConfiguration of 17 keys', parseGetConfigurationReq, { key: Array.from({ length: 17 }, (_, i) => `K${i}`) }, 'OccurenceConstraintViolation'],
  ['BootNotification.conf', parseBootNotificationConf, { status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: 300 }, undefined],
  ['BootNotification.conf status unknown', parseBootNotificationConf, { status: 'Maybe', currentTime: '2026-01-01T00:00:00Z', interval: 300 }, 'PropertyConstraintViolation'],
  ['BootNotification.conf interval a string', parseBootNotificationConf, { status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: '300' }, 'TypeConstraintViolation'],
  ['BootNotification.conf interval 1.5', parseBootNotificationConf, { status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: 1.5 }, 'TypeConstraintViolation'],
  ['BootNotification.conf interval negative', parseBootNotificationConf, { status: 'Accepted', currentTime: '2026-01-01T00:00:00Z', interval: -1 }, 'PropertyConstraintViolation'],
  ['BootNotification.conf without currentTime', parseBootNotificationConf, { status: 'Accepted', interval: 300 }, 'OccurenceConstraintViolation'],
  ['BootNotification.conf currentTime not a date-time', parseBootNotificationConf, { status: 'Accepted', currentTime: 'yesterday', interval: 300 }, 'PropertyConstraintViolation'],
  ['Heartbeat.conf', parseHeartbeatConf, { currentTime: '2026-01-01T10:00:00.123+01:00' }, undefined],
  ['Heartbeat.conf currentTime a number', parseHeartbeatConf, { currentTime: 0 }, 'TypeConstraintViolation'],
  ['StatusNotification.conf', parseStatusNotificationConf, {}, undefined],
  ['StatusNotification.conf with a field', parseStatusNotificationConf, { status: 'Accepted' }, 'FormationViolation'],
];

for (const [name, validate, payload, code] of payloads) {
  test(`payload ${name}: ${code ?? 'accepted'}`, () => {
    const result = validate(payload);
    assert.is(result.ok ? undefined : result.code, code);
  });
}

test.run();

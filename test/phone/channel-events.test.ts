// The phone's reading of a channel's event stream (tools/phone/event-stream-reader.ts and
// RelayClient.channelEvents): Server-Sent Events split anywhere, in every line ending; comments
// and unknown events skipped; every event checked against the API's ChannelEventData, and a
// stream that breaks the rules — bad JSON, a wrong field, an endless line, a refusal, another
// media type — a clear RelayError, never a value the wallet would believe. The relay here is a
// scripted HTTP server on 127.0.0.1.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { RelayError } from '../../tools/phone/errors.ts';
import { EVENT_MAX_CHARS, EventStreamReader, checkChannelEvent } from '../../tools/phone/event-stream-reader.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';

const meter = { contractSeq: 3, energyWh: 1200, powerW: 7000, costMinor: 68, atS: 1_790_000_000 };

test('events split across pieces anywhere, with LF, CRLF and CR endings, comments and multi-line data', () => {
  const stream = `: channel ab\r\n\r\nevent: meter\ndata: ${JSON.stringify(meter)}\n\nevent: x\rdata: a\rdata: b\r\r: keep-alive\r\n\r\n`;
  for (const size of [1, 2, 3, 7, stream.length]) {
    const reader = new EventStreamReader();
    const events = [];
    for (let at = 0; at < stream.length; at += size) events.push(...reader.push(stream.slice(at, at + size)));
    assert.equal(events, [{ event: 'meter', data: JSON.stringify(meter) }, { event: 'x', data: 'a\nb' }], `pieces of ${size}`);
  }
});

test('a line or an event\'s data past the bound is refused', () => {
  assert.throws(() => new EventStreamReader().push('data: ' + 'x'.repeat(EVENT_MAX_CHARS)), /a line is longer than/);
  const reader = new EventStreamReader();
  assert.throws(() => {
    for (let i = 0; i < 20; i++) reader.push(`data: ${'y'.repeat(1000)}\n`);
  }, /an event's data is longer than/);
});

test('each event checked against ChannelEventData; unknown names skipped', () => {
  assert.equal(checkChannelEvent({ event: 'meter', data: JSON.stringify(meter) }), { ok: true, value: { event: 'meter', data: meter } });
  assert.is(checkChannelEvent({ event: 'dance', data: '{}' }), 'unknown');
  assert.is(checkChannelEvent({ event: 'toString', data: '{}' }), 'unknown');
  const cases: [string, string, RegExp][] = [
    ['meter', '{"contractSeq": 3', /not JSON/],
    ['meter', JSON.stringify({ ...meter, energyWh: -1 }), /energyWh/],
    ['ended', JSON.stringify({ contractSeq: 3, receipt: 'not base64!', endReason: 'user', energyWh: 1, durationS: 1, status: 'settled' }), /receipt/],
    ['uplink-lost', '[]', /uplink-lost/],
  ];
  for (const [event, data, reason] of cases) {
    const checked = checkChannelEvent({ event, data });
    assert.ok(checked !== 'unknown' && !checked.ok, data);
    assert.match((checked as { reason: string }).reason, reason);
  }
});

/** A relay answering GET /v1/channels/…/events with `answer` (status, content type, body pieces). */
async function scriptedRelay(answer: { status: number; type: string; pieces: string[] }): Promise<{ server: Server; client: RelayClient }> {
  const server = createServer((_request, response) => {
    response.writeHead(answer.status, { 'content-type': answer.type });
    for (const piece of answer.pieces) response.write(piece);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, client: new RelayClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 }) };
}

async function collect(answer: { status: number; type: string; pieces: string[] }) {
  const { server, client } = await scriptedRelay(answer);
  const events = [];
  try {
    for await (const event of client.channelEvents(generateKeyPair(), 'ab'.repeat(16))) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  } finally {
    server.close();
  }
}

test('RelayClient.channelEvents yields checked events and ends with the stream', async () => {
  const { events, error } = await collect({ status: 200, type: 'text/event-stream; charset=utf-8', pieces: [': hi\n\nevent: me', `ter\ndata: ${JSON.stringify(meter)}\n\nevent: later\ndata: {}\n\n`] });
  assert.is(error, undefined);
  assert.equal(events, [{ event: 'meter', data: meter }]);
});

test('RelayClient.channelEvents: a malformed event, a refusal, another media type are RelayErrors', async () => {
  const bad = await collect({ status: 200, type: 'text/event-stream', pieces: [`event: meter\ndata: ${JSON.stringify(meter)}\n\nevent: meter\ndata: {"energyWh":"lots"}\n\n`] });
  assert.equal(bad.events, [{ event: 'meter', data: meter }], 'the good event before it was yielded');
  assert.instance(bad.error, RelayError);
  assert.equal([(bad.error as RelayError).code], ['bad-response']);
  const refused = await collect({ status: 403, type: 'application/json', pieces: ['{"error":"not-channel-user","message":"not yours"}'] });
  assert.equal([(refused.error as RelayError).status, (refused.error as RelayError).code], [403, 'not-channel-user']);
  const html = await collect({ status: 200, type: 'text/html', pieces: ['<p>hi</p>'] });
  assert.match((html.error as RelayError).message, 'not text/event-stream');
  const endless = await collect({ status: 200, type: 'text/event-stream', pieces: ['data: ' + 'z'.repeat(EVENT_MAX_CHARS + 10)] });
  assert.equal([(endless.error as RelayError).code], ['bad-response']);
});

test.run();

// tools/console/console-client.ts over a real pseudo-terminal pair, a scripted pile at the other
// end: request ids, answers matched by id with stray frames skipped, the pile's Error answers as
// typed refusals, and silence as a clear "does not answer".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cobsEncode } from '../../contracts-offline/console/cobs.ts';
import { FrameReader, encodeFrame } from '../../contracts-offline/console/frame.ts';
import { crc32 } from '../../contracts-offline/crc32.ts';
import { type ConsoleRequest, decodeConsoleRequest, encodeConsoleAnswer, encodeConsoleError } from '../../contracts-offline/console/messages.ts';
import { ConsoleClient, ConsoleRefusalError } from '../../tools/console/console-client.ts';
import { ConsoleLinkError } from '../../tools/console/errors.ts';
import { type SerialLink, openSerialLink } from '../../tools/console/serial-link.ts';
import { type PtyPair, openPtyPair } from '../support/pty-pair.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-console-client-'));
/** What the scripted pile writes for a request: wire bytes, each a frame or deliberate noise. */
type Context = { pty: PtyPair; pile: SerialLink; seen: ConsoleRequest[]; script: (request: ConsoleRequest) => Uint8Array[] };
const client = suite<Context>('console client', {} as Context);

const identify = (requestId: number) => encodeConsoleAnswer('Identify', {
  requestId, board: 'test-board', firmwareVersion: '0.1.0', configVersion: 0, pileId: new Uint8Array(0), pilePublicKey: new Uint8Array(0),
  provisioning: 'blank', state: 'unavailable', fault: 'not provisioned', challenge: new Uint8Array(16).fill(7), clockS: 1_700_000_000,
});

client.before(async (context) => {
  context.pty = await openPtyPair(join(dir, 'pile-tty'), join(dir, 'host-tty'));
  context.pile = await openSerialLink(context.pty.a);
  const reader = new FrameReader();
  context.pile.setReceiver((bytes) => {
    for (const event of reader.push(bytes)) {
      if (!event.ok) continue;
      const request = decodeConsoleRequest(event.body);
      if (!request.ok) continue;
      context.seen.push(request.value);
      for (const bytes of context.script(request.value)) context.pile.write(bytes);
    }
  });
});

client.before.each((context) => {
  context.seen = [];
  context.script = (r) => [encodeFrame(identify(r.request.requestId))];
});

client.after(async ({ pty, pile }) => {
  await pile.close();
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withClient<T>(pty: PtyPair, use: (c: ConsoleClient) => Promise<T>, timeoutMs = 3000): Promise<T> {
  const c = await ConsoleClient.open(pty.b, { timeoutMs });
  try {
    return await use(c);
  } finally {
    await c.close();
  }
}

client('each request gets the next request id; its answer is decoded', async (context) => {
  await withClient(context.pty, async (c) => {
    const first = await c.request('Identify', {});
    assert.is(first.board, 'test-board');
    assert.is(first.provisioning, 'blank');
    await c.request('Identify', {});
  });
  const [a, b] = context.seen.map((r) => r.request.requestId);
  assert.ok(a! >= 1 && a! <= 0xffff);
  assert.is(b, a === 0xffff ? 1 : a! + 1);
});

client('stray frames before the answer (other ids, garbage, a bad CRC, a frame error with id 0) are skipped', async (context) => {
  context.script = (r) => {
    const id = r.request.requestId;
    const body = identify(id);
    const wrongCrc = new Uint8Array(4);
    new DataView(wrongCrc.buffer).setUint32(0, crc32(body) ^ 1, true);
    const badCrc = Uint8Array.of(...cobsEncode(Uint8Array.of(...body, ...wrongCrc)), 0x00);
    return [
      encodeFrame(identify(id === 1 ? 2 : id - 1)),
      Uint8Array.of(0x55, 0x01, 0xff, 0x00),
      encodeFrame(encodeConsoleError({ requestId: 0, code: 'bad-frame', reason: 'noise' })),
      badCrc,
      encodeFrame(new Uint8Array([0xa0])),
      encodeFrame(identify(id)),
    ];
  };
  const answer = await withClient(context.pty, (c) => c.request('Identify', {}));
  assert.is(answer.requestId, context.seen[0]!.request.requestId);
});

client('an Error answer with the request\'s id is a ConsoleRefusalError carrying the console code and the pile\'s reason', async (context) => {
  context.script = (r) => [encodeFrame(encodeConsoleError({ requestId: r.request.requestId, code: 'refused', reason: 'a key is already there' }))];
  await withClient(context.pty, async (c) => {
    try {
      await c.request('CreateKey', {});
      assert.unreachable('refusal resolved');
    } catch (error) {
      assert.instance(error, ConsoleRefusalError);
      const refusal = error as ConsoleRefusalError;
      assert.is(refusal.code, 'refused');
      assert.is(refusal.reason, 'a key is already there');
      assert.is(refusal.message, 'the pile refused CreateKey: refused (a key is already there)');
    }
  });
});

client('an answer of another command with the request\'s id is refused as bad-answer', async (context) => {
  context.script = (r) => [encodeFrame(encodeConsoleAnswer('CreateKey', { requestId: r.request.requestId, pilePublicKey: new Uint8Array(32) }))];
  await withClient(context.pty, async (c) => {
    try {
      await c.request('Identify', {});
      assert.unreachable('wrong answer resolved');
    } catch (error) {
      assert.instance(error, ConsoleLinkError);
      assert.is((error as ConsoleLinkError).code, 'bad-answer');
    }
  });
});

client('silence: "the pile does not answer", and the next request still works', async (context) => {
  let silent = true;
  context.script = (r) => (silent ? [] : [encodeFrame(identify(r.request.requestId))]);
  await withClient(context.pty, async (c) => {
    try {
      await c.request('Status', {});
      assert.unreachable('silence resolved');
    } catch (error) {
      assert.instance(error, ConsoleLinkError);
      assert.is((error as ConsoleLinkError).code, 'no-answer');
      assert.is((error as Error).message, `the pile does not answer on ${context.pty.b} (is it a tapcharge pile, and powered?)`);
    }
    silent = false;
    assert.is((await c.request('Identify', {})).board, 'test-board');
  }, 300);
});

client('requests made together go one at a time, each answered by its own answer', async (context) => {
  const answers = await withClient(context.pty, (c) => Promise.all([c.request('Identify', {}), c.request('Identify', {}), c.request('Identify', {})]));
  assert.equal(answers.map((a) => a.requestId), context.seen.map((r) => r.request.requestId));
  assert.is(new Set(answers.map((a) => a.requestId)).size, 3);
});

client.run();

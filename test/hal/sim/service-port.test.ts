import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServicePortSim } from '../../../hal/sim/service-port.ts';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';

function link(options: { hostConnected?: boolean } = {}) {
  const clock = new VirtualClock({ startMs: 0 });
  const port = new ServicePortSim({ clock, ...options });
  const received: number[][] = [];
  port.setReceiver((bytes) => received.push([...bytes]));
  return { clock, port, received };
}

test('host bytes reach the pile from its event loop (a 0 ms timer), one delivery per write, in order', () => {
  const { clock, port, received } = link();
  port.host.write(Uint8Array.of(1, 2));
  port.host.write(Uint8Array.of(3));
  assert.equal(received, [], 'never inside the host write');
  clock.advance(0);
  assert.equal(received, [[1, 2], [3]]);
});

test('the pile receives a copy: the host reusing its buffer changes nothing delivered', () => {
  const { clock, port, received } = link();
  const buffer = Uint8Array.of(7, 7);
  port.host.write(buffer);
  buffer.fill(0);
  clock.advance(0);
  assert.equal(received, [[7, 7]]);
});

test('pile bytes reach the host at once: buffered for takeReceived, or to the onData listener', () => {
  const { port } = link();
  port.write(Uint8Array.of(0xa, 0xb));
  port.write(Uint8Array.of(0xc));
  assert.equal([...port.host.takeReceived()], [0xa, 0xb, 0xc]);
  assert.equal([...port.host.takeReceived()], [], 'emptied');
  const heard: number[][] = [];
  port.host.onData((bytes) => heard.push([...bytes]));
  port.write(Uint8Array.of(0xd));
  assert.equal(heard, [[0xd]]);
  assert.equal([...port.host.takeReceived()], []);
  port.host.onData(undefined);
  port.write(Uint8Array.of(0xe));
  assert.equal([...port.host.takeReceived()], [0xe]);
});

test('a host answering from onData never re-enters the pile: its bytes wait for the next timer', () => {
  const { clock, port } = link();
  const trace: string[] = [];
  let inReceiver = false;
  port.setReceiver((bytes) => {
    assert.not.ok(inReceiver, 'receiver re-entered');
    inReceiver = true;
    trace.push(`pile got ${bytes[0]}`);
    if (bytes[0]! < 3) port.write(Uint8Array.of(bytes[0]! + 1));
    inReceiver = false;
  });
  port.host.onData((bytes) => {
    trace.push(`host got ${bytes[0]}`);
    port.host.write(bytes);
  });
  port.host.write(Uint8Array.of(1));
  clock.advance(0);
  assert.equal(trace, ['pile got 1', 'host got 2', 'pile got 2', 'host got 3', 'pile got 3']);
});

test('no receiver at delivery: the bytes are lost; setReceiver(undefined) stops receiving', () => {
  const { clock, port, received } = link();
  port.setReceiver(undefined);
  port.host.write(Uint8Array.of(1));
  clock.advance(0);
  port.setReceiver((bytes) => received.push([...bytes]));
  clock.advance(0);
  assert.equal(received, []);
});

test('no host connected: the pile writes without error and its bytes are dropped, like USB-CDC', () => {
  const { port } = link({ hostConnected: false });
  assert.is(port.host.connected, false);
  port.write(Uint8Array.of(1, 2, 3));
  assert.is(port.droppedBytes, 3);
  port.host.connect();
  assert.equal([...port.host.takeReceived()], [], 'nothing kept for a host that comes later');
  port.write(Uint8Array.of(4));
  assert.equal([...port.host.takeReceived()], [4]);
  assert.is(port.droppedBytes, 3);
});

test('disconnect loses the bytes in flight; the host then cannot write; connect restores the link', () => {
  const { clock, port, received } = link();
  port.host.write(Uint8Array.of(1));
  port.host.disconnect();
  assert.is(clock.pendingTimers, 0);
  clock.advance(0);
  assert.equal(received, []);
  assert.throws(() => port.host.write(Uint8Array.of(2)), /sim\/service-port: host not connected/);
  port.write(Uint8Array.of(9));
  assert.is(port.droppedBytes, 1);
  port.host.connect();
  port.host.write(Uint8Array.of(3));
  clock.advance(0);
  assert.equal(received, [[3]]);
});

test('bad arguments throw TypeError and deliver nothing', () => {
  const { clock, port, received } = link();
  assert.throws(() => port.write([1, 2] as unknown as Uint8Array), (e: unknown) => e instanceof TypeError);
  assert.throws(() => port.host.write('ab' as unknown as Uint8Array), (e: unknown) => e instanceof TypeError);
  clock.advance(0);
  assert.equal(received, []);
  assert.equal([...port.host.takeReceived()], []);
  assert.is(port.droppedBytes, 0);
});

test.run();

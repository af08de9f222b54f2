import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../../hal/sim/virtual-clock.ts';

test('time moves only on advance; nowMs starts at the given epoch', () => {
  const clock = new VirtualClock({ startMs: 1_000_000 });
  assert.is(clock.nowMs(), 1_000_000);
  clock.advance(250);
  assert.is(clock.nowMs(), 1_000_250);
});

test('due timers fire in due order (ties in set order), each at its own due time', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const fired: string[] = [];
  clock.setTimer(() => fired.push(`b@${clock.nowMs()}`), 20);
  clock.setTimer(() => fired.push(`a@${clock.nowMs()}`), 10);
  clock.setTimer(() => fired.push(`c@${clock.nowMs()}`), 20);
  clock.setTimer(() => fired.push('late'), 31);
  clock.advance(30);
  assert.equal(fired, ['a@10', 'b@20', 'c@20']);
  assert.is(clock.nowMs(), 30);
  assert.is(clock.pendingTimers, 1);
});

test('repeating timers fire every period; clearTimer stops them, also from inside the callback', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const ticks: number[] = [];
  const id = clock.setTimer(() => {
    ticks.push(clock.nowMs());
    if (ticks.length === 3) clock.clearTimer(id);
  }, 100, 1000);
  clock.advance(10_000);
  assert.equal(ticks, [100, 1100, 2100]);
  assert.is(clock.pendingTimers, 0);
  clock.clearTimer(12345); // unknown id: nothing happens
});

test('a timer set from a callback with delay 0 fires in the same advance', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const fired: number[] = [];
  clock.setTimer(() => clock.setTimer(() => fired.push(clock.nowMs()), 0), 5);
  clock.advance(5);
  assert.equal(fired, [5]);
});

test('elapse listeners see every slice between timer firings, summing to the advance', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const slices: number[] = [];
  clock.onElapse((ms) => slices.push(ms));
  clock.setTimer(() => {}, 300);
  clock.advance(1000);
  assert.equal(slices, [300, 700]);
});

test('setNowMs moves only nowMs: timers keep their delays, whether the clock is set back or forward', () => {
  const clock = new VirtualClock({ startMs: 1_000_000 });
  const fired: string[] = [];
  clock.setTimer(() => fired.push(`once@${clock.nowMs()}`), 500);
  clock.setTimer(() => fired.push(`tick@${clock.nowMs()}`), 300, 300);
  clock.advance(100);
  clock.setNowMs(5_000_000_000); // forward by ~58 days: nothing falls due
  assert.is(clock.nowMs(), 5_000_000_000);
  assert.equal(fired, []);
  clock.advance(200); // 300 ms after setting the timers
  assert.equal(fired, ['tick@5000000200']);
  clock.setNowMs(0); // back to the epoch: nothing is delayed
  clock.advance(200); // 500 ms after setting the one-shot
  assert.equal(fired, ['tick@5000000200', 'once@200']);
  clock.setTimer(() => fired.push(`late@${clock.nowMs()}`), 150);
  clock.advance(150);
  assert.equal(fired, ['tick@5000000200', 'once@200', 'tick@300', 'late@350']);
});

test('physics listeners see elapsed time only, never a clock set', () => {
  const clock = new VirtualClock({ startMs: 0 });
  const slices: number[] = [];
  clock.onElapse((ms) => slices.push(ms));
  clock.setNowMs(3_600_000);
  clock.setNowMs(10);
  clock.advance(40);
  assert.equal(slices, [40]);
  assert.is(clock.nowMs(), 50);
});

test('setNowMs refuses what is not a non-negative safe integer, changing nothing', () => {
  const clock = new VirtualClock({ startMs: 1000 });
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5' as unknown as number]) {
    assert.throws(() => clock.setNowMs(bad), (e: unknown) => e instanceof RangeError && /"nowMs" expected a non-negative integer/.test((e as Error).message));
  }
  assert.is(clock.nowMs(), 1000);
});

test('bad arguments throw RangeError', () => {
  const clock = new VirtualClock();
  assert.throws(() => clock.advance(-1), (e: unknown) => e instanceof RangeError);
  assert.throws(() => clock.advance(1.5), (e: unknown) => e instanceof RangeError);
  assert.throws(() => clock.setTimer(() => {}, -5), /"delayMs" expected a non-negative integer, got -5/);
  assert.throws(() => new VirtualClock({ startMs: -1 }), (e: unknown) => e instanceof RangeError);
});

test.run();

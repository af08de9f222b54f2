// SIMULATION of the pile's time source: a virtual clock that only moves when a test calls
// `advance(ms)`. Due timers fire in due-time order (ties: the order they were set), with the clock
// at each timer's due time while it runs. Physics simulations (EV, meter) register with
// `onElapse` and are told about every slice of time before the timers at its end fire.
// Timers run on a monotonic time base; `nowMs()` is that base plus a wall offset, which only
// `setNowMs` changes — setting the clock neither fires nor delays a timer.
import type { Clock, TimerId } from '../types.ts';

type Timer = { id: TimerId; dueMs: number; repeatMs: number; order: number; callback: () => void };

/** Longest run of timer firings inside one `advance` before it is treated as a runaway loop. */
const maxFiringsPerAdvance = 10_000_000;

export class VirtualClock implements Clock {
  /** Monotonic time base of timers and physics, ms. */
  #monotonicMs: number;
  /** `nowMs()` − `#monotonicMs`, moved only by `setNowMs`. */
  #wallOffsetMs = 0;
  #timers = new Map<TimerId, Timer>();
  #nextId = 1;
  #order = 0;
  #elapseListeners: ((elapsedMs: number) => void)[] = [];

  /** `startMs`: epoch ms the clock starts at (default 2026-01-01T00:00:00Z). */
  constructor(options: { startMs?: number } = {}) {
    const startMs = options.startMs ?? Date.UTC(2026, 0, 1);
    if (!Number.isSafeInteger(startMs) || startMs < 0) {
      throw new RangeError(`sim/clock: "startMs" expected a non-negative integer, got ${startMs}`);
    }
    this.#monotonicMs = startMs;
  }

  nowMs(): number {
    return this.#monotonicMs + this.#wallOffsetMs;
  }

  setNowMs(nowMs: number): void {
    if (!Number.isSafeInteger(nowMs) || nowMs < 0) {
      throw new RangeError(`sim/clock: "nowMs" expected a non-negative integer, got ${nowMs}`);
    }
    this.#wallOffsetMs = nowMs - this.#monotonicMs;
  }

  setTimer(callback: () => void, delayMs: number, repeatMs = 0): TimerId {
    if (!Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`sim/clock: "delayMs" expected a non-negative integer, got ${delayMs}`);
    }
    if (!Number.isSafeInteger(repeatMs) || repeatMs < 0) {
      throw new RangeError(`sim/clock: "repeatMs" expected a non-negative integer, got ${repeatMs}`);
    }
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueMs: this.#monotonicMs + delayMs, repeatMs, order: this.#order++, callback });
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Number of timers still pending. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Register a physics listener told of each slice of elapsed time (in order, no overlap). */
  onElapse(listener: (elapsedMs: number) => void): void {
    this.#elapseListeners.push(listener);
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`sim/clock: "ms" expected a non-negative integer, got ${ms}`);
    }
    const targetMs = this.#monotonicMs + ms;
    let firings = 0;
    for (;;) {
      const next = this.#nextDue(targetMs);
      if (next === undefined) break;
      this.#elapseTo(next.dueMs);
      if (next.repeatMs > 0) {
        next.dueMs += next.repeatMs;
        next.order = this.#order++;
      } else {
        this.#timers.delete(next.id);
      }
      if (++firings > maxFiringsPerAdvance) throw new Error('sim/clock: runaway timers (a zero-delay timer loop?)');
      next.callback();
    }
    this.#elapseTo(targetMs);
  }

  #nextDue(limitMs: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.dueMs > limitMs) continue;
      if (!best || timer.dueMs < best.dueMs || (timer.dueMs === best.dueMs && timer.order < best.order)) best = timer;
    }
    return best;
  }

  #elapseTo(ms: number): void {
    const elapsedMs = ms - this.#monotonicMs;
    if (elapsedMs <= 0) return;
    this.#monotonicMs = ms;
    for (const listener of this.#elapseListeners) listener(elapsedMs);
  }
}

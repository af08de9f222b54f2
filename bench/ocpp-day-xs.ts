// Runs inside xsnap (bench/firmware-xs.ts mode 'ocpp'): the networked pile's scripted OCPP day on
// the simulated board (test/support/ocpp-day.ts), every message metered by `meter`: the pile's
// handling of each frame the relay delivers (it parses it, acts, answers or sends its next CALL),
// the socket's open, each timer of the pile that sent a frame (named by what it sent, and by any
// CALL it queued behind that one: sent when that one is answered), and the uplink's state sample
// each metering period when it sent nothing. The relay's own work (reading the pile's frames,
// signing vouchers and Acks) runs outside the meter.
import type { Ed25519Provider } from '../contracts-offline/crypto.ts';
import { defaultPileSettings } from '../firmware/pile.ts';
import type { Clock } from '../hal/types.ts';
import type { LoopbackRelay } from '../test/support/loopback-relay.ts';
import { runOcppDay } from '../test/support/ocpp-day.ts';

/** The period of the uplink's state sample (and of the supervision tick). */
const { meteringPeriodMs } = defaultPileSettings;

/**
 * The sessions' OCPP traffic, each metered message in the order the pile handled it: `meter` runs
 * one call into the pile and answers what it spent.
 */
export function meterOcppDay<Spent extends object>(crypto: Ed25519Provider, meter: (work: () => void) => Spent, sessions: number): ({ message: string } & Spent)[] {
  const messages: ({ message: string } & Spent)[] = [];
  let metering = false;
  let booting = false;
  let relay!: LoopbackRelay;
  /** The timer's record of each CALL a timer sent, by uniqueId: a CALL it queued behind that one goes when that one is answered. */
  const sentByTimer = new Map<string, { message: string }>();

  runOcppDay({
    crypto,
    sessions,
    intoPile(label, work, answersCallId) {
      if (!metering) return work();
      const before = relay.sent.length;
      messages.push({ message: label, ...meter(work) });
      const timer = answersCallId === undefined ? undefined : sentByTimer.get(answersCallId);
      const queued = relay.sent.slice(before).filter((text) => (JSON.parse(text) as unknown[])[0] === 2);
      if (timer && queued.length > 0) timer.message += ` (+ ${queued.map((text) => relay.labelOf(text)).join(' + ')} queued behind it)`;
    },
    instrument(sim, loopback) {
      relay = loopback;
      sim.hal.clock = timersMetered(sim.hal.clock, (repeatMs) => {
        // The uplink's state sample: the repeating metering-period timer the boot sets once the
        // uplink opened (the boot sets the supervision tick's before; the controller may set its
        // again later).
        const stateSample = booting && relay.opened && repeatMs === meteringPeriodMs;
        return (work) => {
          if (!metering) return work();
          const before = relay.sent.length;
          const spent = meter(work);
          const sent = relay.sent.slice(before);
          const message = sent.length > 0 ? `timer sends ${sent.map((text) => relay.labelOf(text)).join(' + ')}` : stateSample ? 'state sample, nothing to send' : undefined;
          if (message === undefined) return;
          const metered = { message, ...spent };
          messages.push(metered);
          for (const text of sent) sentByTimer.set((JSON.parse(text) as unknown[])[1] as string, metered);
        };
      });
    },
    onUplinkBoot(starting) {
      booting = starting;
      metering = !starting;
    },
  });
  return messages;
}

/** The clock with each timer's callback run through the runner `runnerOf` gives when the timer is set. */
function timersMetered(clock: Clock, runnerOf: (repeatMs: number | undefined) => (work: () => void) => void): Clock {
  return {
    nowMs: () => clock.nowMs(),
    setNowMs: (nowMs) => clock.setNowMs(nowMs),
    clearTimer: (id) => clock.clearTimer(id),
    setTimer(callback, delayMs, repeatMs) {
      const run = runnerOf(repeatMs);
      return clock.setTimer(() => run(callback), delayMs, repeatMs);
    },
  };
}

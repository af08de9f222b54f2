// Runs inside xsnap (bench/firmware-xs.ts mode 'ocpp'): a provisioned pile on the simulated board,
// booted with a loopback uplink whose far end plays the relay (loopback-relay.ts), driven on the
// pile's virtual clock through the OCPP messages it handles: connect, the identity challenge (the
// pile signs), BootNotification.conf, StatusNotifications, GetConfiguration / ChangeConfiguration,
// malformed frames and an unknown action, then sessions through the virtual channel
// (ChannelSelect, ChannelHello, ChannelStart with a relay-signed voucher; a vehicle charging,
// MeterValues, Heartbeats; unplugged) whose Contract and Receipt go as BillingRecord (answered
// with an Ack) + StartTransaction / StopTransaction.
// Metered by `meter`: the pile's handling of each frame the relay delivers (it parses it, acts,
// answers or sends its next CALL), the socket's open, each timer of the pile that sent a frame
// (named by what it sent, and by any CALL it queued behind that one: sent when that one is
// answered), and the uplink's state sample each metering period when it sent nothing. The relay's
// own work (reading the pile's frames, signing vouchers and Acks) runs outside the meter.
import { bytesToBase64url, base64urlToBytes } from '../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../contracts-offline/crypto.ts';
import { encodeAuthorization } from '../contracts-offline/messages/authorization.ts';
import { decodePileHello } from '../contracts-offline/messages/pile-hello.ts';
import { UPLINK_VENDOR_ID } from '../contracts-offline/messages/uplink-identity.ts';
import { encodeUserHello } from '../contracts-offline/messages/user-hello.ts';
import { signMessage } from '../contracts-offline/signed.ts';
import { CHANNEL_MESSAGE_IDS } from '../contracts-offline/uplink-channel.ts';
import { bootPile, defaultPileSettings } from '../firmware/pile.ts';
import type { Clock } from '../hal/types.ts';
import { KeyStoreSim } from '../hal/sim/key-store.ts';
import { pileSecretKey, plugEv, provisionedRig, relayKey, userKid, voucher } from '../test/support/pile-rig.ts';
import { LoopbackRelay } from './loopback-relay.ts';

const uplinkUrl = 'ws://127.0.0.1:9/ocpp/';
const sessionS = 300;
/** The period of the uplink's state sample (and of the supervision tick). */
const { meteringPeriodMs } = defaultPileSettings;

/**
 * The sessions' OCPP traffic, each metered message in the order the pile handled it: `meter` runs
 * one call into the pile and answers what it spent.
 */
export function runOcppDay<Spent extends object>(crypto: Ed25519Provider, meter: (work: () => void) => Spent, sessions: number): ({ message: string } & Spent)[] {
  const messages: ({ message: string } & Spent)[] = [];
  let metering = false;
  /** The timer's record of each CALL a timer sent, by uniqueId: a CALL it queued behind that one goes when that one is answered. */
  const sentByTimer = new Map<string, { message: string }>();
  const relay = new LoopbackRelay((label, work, answersCallId) => {
    if (!metering) return work();
    const before = relay.sent.length;
    messages.push({ message: label, ...meter(work) });
    const timer = answersCallId === undefined ? undefined : sentByTimer.get(answersCallId);
    const queued = relay.sent.slice(before).filter((text) => (JSON.parse(text) as unknown[])[0] === 2);
    if (timer && queued.length > 0) timer.message += ` (+ ${queued.map((text) => relay.labelOf(text)).join(' + ')} queued behind it)`;
  });
  let booting = false;

  const rig = provisionedRig({
    instrument(sim) {
      sim.hal.uplink = relay;
      sim.hal.keyStore = sim.keyStore = new KeyStoreSim({ secretKey: pileSecretKey, crypto });
      sim.hal.crypto = crypto;
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
  });
  rig.handle.shutdown(); // the rig's boot has no uplink URL: boot again with one
  booting = true;
  const handle = bootPile(rig.sim.hal, { uplinkUrl });
  booting = false;
  const pile = handle.services!;
  const sim = rig.sim;
  metering = true;

  /** A CALL of the relay; throws unless the pile answered `expected` (a CALLRESULT's payload fields, or a CALLERROR code). */
  const call = (action: string, payload: unknown, expected: Record<string, unknown> | string, label?: string): unknown[] => {
    const reply = relay.call(action, payload, label);
    const matches = typeof expected === 'string'
      ? reply[0] === 4 && reply[2] === expected
      : reply[0] === 3 && Object.entries(expected).every(([key, value]) => (reply[2] as Record<string, unknown>)[key] === value);
    if (!matches) throw new Error(`bench: ${action} answered ${JSON.stringify(reply)}`);
    return reply;
  };
  const transfer = (messageId: string, data?: Uint8Array): Uint8Array => {
    const reply = call('DataTransfer', { vendorId: UPLINK_VENDOR_ID, messageId, ...(data && { data: bytesToBase64url(data) }) }, { status: 'Accepted' });
    return base64urlToBytes((reply[2] as { data: string }).data);
  };
  /** Advance `seconds` metering periods, answering the pile's CALLs as the relay after each. */
  const run = (seconds: number): void => {
    for (let s = 0; s < seconds; s++) {
      sim.clock.advance(meteringPeriodMs);
      relay.serve();
    }
  };

  relay.accept();
  call('DataTransfer', { vendorId: UPLINK_VENDOR_ID, messageId: 'IdentityChallenge', data: 'ab'.repeat(16) }, { status: 'Accepted' });
  relay.serve();
  if (relay.calls('StatusNotification').length < 2) throw new Error('bench: the pile did not report its connectors after BootNotification');
  run(5); // Heartbeats every 120 s from here never fall on a MeterValues sample (every 60 s from boot)
  call('ChangeConfiguration', { key: 'HeartbeatInterval', value: '120' }, { status: 'Accepted' }, 'ChangeConfiguration HeartbeatInterval (Accepted)');
  call('ChangeConfiguration', { key: 'NoSuchKey', value: '1' }, { status: 'NotSupported' }, 'ChangeConfiguration of an unknown key (NotSupported)');
  call('GetConfiguration', {}, {}, 'GetConfiguration, all keys');
  call('GetConfiguration', { key: ['MeterValueSampleInterval', 'NoSuchKey'] }, {}, 'GetConfiguration, two keys (one unknown)');
  relay.deliver('{"not": "a frame"', 'a malformed frame (not JSON, dropped)');
  relay.deliver('[2, "relay-bad", "GetConfiguration", {"key": ["HeartbeatInterval"]}, 7]', 'a malformed CALL (FormationViolation)');
  const refusal = JSON.parse(relay.sent[relay.sent.length - 1]!) as unknown[];
  if (refusal[1] !== 'relay-bad' || refusal[2] !== 'FormationViolation') throw new Error(`bench: a malformed CALL answered ${JSON.stringify(refusal)}`);
  call('FlyToTheMoon', {}, 'NotImplemented', 'an unknown action (NotImplemented)');

  for (let session = 0; session < sessions; session++) {
    plugEv(sim);
    relay.serve();
    const hello = decodePileHello(transfer(CHANNEL_MESSAGE_IDS.select));
    if (!hello.ok) throw new Error(`bench: PileHello: ${hello.reason}`);
    transfer(CHANNEL_MESSAGE_IDS.hello, encodeUserHello({ userKid, displayName: 'Zoe K.', phoneNonce: new Uint8Array(16).fill(0x5a + session) }));
    const signedVoucher = signMessage(encodeAuthorization(voucher({ mode: 'energy', energyWh: 20_000 }, 5000, { pileNonce: hello.value.pileNonce })), relayKey.secretKey);
    transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher);
    run(sessionS);
    if (pile.state() !== 'charging') throw new Error(`bench: the session is ${pile.state()}, not charging`);
    sim.circuit.unplug();
    run(10);
    if (pile.outbox(0, 1).records.length > 0) throw new Error('bench: a billing record was not acknowledged over the uplink');
  }
  metering = false;
  handle.shutdown();
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

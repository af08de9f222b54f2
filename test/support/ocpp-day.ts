// A networked pile's scripted OCPP day: a provisioned pile on the simulated board or the host board,
// booted with a loopback uplink whose far end plays the relay (loopback-relay.ts), driven on the
// pile's virtual clock through the OCPP messages it handles: connect, the identity challenge (the
// pile signs), BootNotification.conf, StatusNotifications, GetConfiguration / ChangeConfiguration,
// malformed frames and an unknown action, then sessions through the virtual channel
// (ChannelSelect, ChannelHello, ChannelStart with a relay-signed voucher; a vehicle charging,
// MeterValues, Heartbeats; unplugged) whose Contract and Receipt go as BillingRecord (answered
// with an Ack) + StartTransaction / StopTransaction. Throws when the pile strays from the script.
// Deterministic and device-safe (no Node APIs): the same transcript in Node, xsnap and the native
// Moddable build (test/device/native-ocpp.test.ts); the firmware bench meters it (bench/ocpp-day-xs.ts).
import { base64urlToBytes, bytesToBase64url, bytesToHex } from '../../contracts-offline/bytes.ts';
import { type Ed25519Provider, sha256 } from '../../contracts-offline/crypto.ts';
import { encodeAuthorization } from '../../contracts-offline/messages/authorization.ts';
import { decodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { UPLINK_VENDOR_ID } from '../../contracts-offline/messages/uplink-identity.ts';
import { encodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { CHANNEL_MESSAGE_IDS } from '../../contracts-offline/uplink-channel.ts';
import { bootPile, defaultPileSettings } from '../../firmware/pile.ts';
import { KeyStoreSim } from '../../hal/sim/key-store.ts';
import type { SimulatedPile } from '../../hal/sim/simulated-pile.ts';
import { createHostBoard } from '../../boards/host/hal.ts';
import { type IntoPile, LoopbackRelay, type UplinkFrame } from './loopback-relay.ts';
import { pileSecretKey, plugEv, provisionedRig, relayKey, userKid, voucher } from './pile-rig.ts';

export type { IntoPile, UplinkFrame } from './loopback-relay.ts';

const uplinkUrl = 'ws://127.0.0.1:9/ocpp/';
const sessionS = 300;
const { meteringPeriodMs } = defaultPileSettings;

export type OcppDayOptions = {
  /** What the firmware runs on: the hal/sim parts (default), or the host board's drivers over its bus simulations. */
  board?: 'hal-sim' | 'host';
  /** Ed25519 for the pile's signature checks (hal.crypto) and, on hal/sim, its key store (default @noble/ed25519). */
  crypto?: Ed25519Provider;
  /** Charging sessions through the virtual channel (default 3). */
  sessions?: number;
  /** Runs each call into the pile through the relay (default: runs it). */
  intoPile?: IntoPile;
  /** Before provisioning and the first boot: wrap hal parts to observe the firmware. */
  instrument?(sim: SimulatedPile, relay: LoopbackRelay): void;
  /** Called with true just before the boot with the uplink URL, false once it returned: the script runs on that boot. */
  onUplinkBoot?(booting: boolean): void;
};

/** What a run is compared by: every frame on the uplink in order, the pile's outbox at the end, its journal's flash image. */
export type OcppTranscript = {
  frames: UplinkFrame[];
  /** The unacknowledged signed records (hex) left at the end, by billing seq: none when every record was delivered. */
  outbox: { seq: number; signed: string }[];
  flashSha256: string;
  flashBytes: number;
};

/** The transcript as tagged JSON lines: `XS-OCPP-FRAME {from, text}` per frame in order, then `XS-OCPP {frameCount, outbox, flashSha256, flashBytes}`. */
export function transcriptLines({ frames, ...end }: OcppTranscript): string[] {
  return [...frames.map((frame) => `XS-OCPP-FRAME ${JSON.stringify(frame)}`), `XS-OCPP ${JSON.stringify({ frameCount: frames.length, ...end })}`];
}

export function runOcppDay(options: OcppDayOptions = {}): OcppTranscript {
  const { crypto } = options;
  const relay = new LoopbackRelay(options.intoPile);
  const rig = provisionedRig({
    instrument(sim) {
      if (crypto) sim.hal.keyStore = sim.keyStore = new KeyStoreSim({ secretKey: pileSecretKey, crypto });
      if (options.board === 'host') sim.hal = createHostBoard(sim, { pileSecretKey }).hal;
      sim.hal.uplink = relay;
      if (crypto) sim.hal.crypto = crypto;
      options.instrument?.(sim, relay);
    },
  });
  rig.handle.shutdown(); // the rig's boot has no uplink URL: boot again with one
  options.onUplinkBoot?.(true);
  const handle = bootPile(rig.sim.hal, { uplinkUrl });
  options.onUplinkBoot?.(false);
  const pile = handle.services;
  if (!pile) throw new Error(`ocpp-day: the pile refused to run: ${handle.fault}`);
  const sim = rig.sim;

  /** A CALL of the relay; throws unless the pile answered `expected` (a CALLRESULT's payload fields, or a CALLERROR code). */
  const call = (action: string, payload: unknown, expected: Record<string, unknown> | string, label?: string): unknown[] => {
    const reply = relay.call(action, payload, label);
    const matches = typeof expected === 'string'
      ? reply[0] === 4 && reply[2] === expected
      : reply[0] === 3 && Object.entries(expected).every(([key, value]) => (reply[2] as Record<string, unknown>)[key] === value);
    if (!matches) throw new Error(`ocpp-day: ${action} answered ${JSON.stringify(reply)}`);
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
  if (relay.calls('StatusNotification').length < 2) throw new Error('ocpp-day: the pile did not report its connectors after BootNotification');
  run(5); // Heartbeats every 120 s from here never fall on a MeterValues sample (every 60 s from boot)
  call('ChangeConfiguration', { key: 'HeartbeatInterval', value: '120' }, { status: 'Accepted' }, 'ChangeConfiguration HeartbeatInterval (Accepted)');
  call('ChangeConfiguration', { key: 'NoSuchKey', value: '1' }, { status: 'NotSupported' }, 'ChangeConfiguration of an unknown key (NotSupported)');
  call('GetConfiguration', {}, {}, 'GetConfiguration, all keys');
  call('GetConfiguration', { key: ['MeterValueSampleInterval', 'NoSuchKey'] }, {}, 'GetConfiguration, two keys (one unknown)');
  relay.deliver('{"not": "a frame"', 'a malformed frame (not JSON, dropped)');
  relay.deliver('[2, "relay-bad", "GetConfiguration", {"key": ["HeartbeatInterval"]}, 7]', 'a malformed CALL (FormationViolation)');
  const refusal = JSON.parse(relay.sent[relay.sent.length - 1]!) as unknown[];
  if (refusal[1] !== 'relay-bad' || refusal[2] !== 'FormationViolation') throw new Error(`ocpp-day: a malformed CALL answered ${JSON.stringify(refusal)}`);
  call('FlyToTheMoon', {}, 'NotImplemented', 'an unknown action (NotImplemented)');

  const sessions = options.sessions ?? 3;
  for (let session = 0; session < sessions; session++) {
    plugEv(sim);
    relay.serve();
    const hello = decodePileHello(transfer(CHANNEL_MESSAGE_IDS.select));
    if (!hello.ok) throw new Error(`ocpp-day: PileHello: ${hello.reason}`);
    transfer(CHANNEL_MESSAGE_IDS.hello, encodeUserHello({ userKid, displayName: 'Zoe K.', phoneNonce: new Uint8Array(16).fill(0x5a + session) }));
    // The voucher's id is the session's (the rig's default counts vouchers across the process).
    const voucherId = new Uint8Array(8).fill(0xe0 + session);
    const signedVoucher = signMessage(encodeAuthorization(voucher({ mode: 'energy', energyWh: 20_000 }, 5000, { pileNonce: hello.value.pileNonce, voucherId })), relayKey.secretKey);
    transfer(CHANNEL_MESSAGE_IDS.start, signedVoucher);
    run(sessionS);
    if (pile.state() !== 'charging') throw new Error(`ocpp-day: the session is ${pile.state()}, not charging`);
    sim.circuit.unplug();
    run(10);
    if (pile.outbox(0, 1).records.length > 0) throw new Error('ocpp-day: a billing record was not acknowledged over the uplink');
  }
  const { records } = pile.outbox(0, 100);
  handle.shutdown();
  const flash = sim.flash.contents();
  return {
    frames: relay.frames,
    outbox: records.map(({ seq, bytes }) => ({ seq, signed: bytesToHex(bytes) })),
    flashSha256: bytesToHex(sha256(flash)),
    flashBytes: flash.length,
  };
}

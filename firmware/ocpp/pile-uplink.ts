// The running pile on its OCPP uplink (bootPile starts it when the board has an uplink and the pile
// is given the central system's URL): one OcppClient connecting to `<centralSystemUrl><pile id in
// hex>` (OCPP-J §3.1: the charge point's identity is the last path segment), proving the pile's
// identity with its own key, and reporting the pile's state as connector 1 (the outlet) and
// connector 0 (the pile) — sampled each metering period, sent when it changed (pile-status.ts).
// With the channel's context it also delivers the journal's billing records (record-delivery.ts)
// and, with the session's meter, sends MeterValues of the running transaction
// (meter-value-sampling.ts). RemoteStart/StopTransaction are Rejected; Reset as reset.ts says.
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { PileState } from '../../contracts-offline/messages/fields.ts';
import type { Clock, Random, UplinkSocket } from '../../hal/types.ts';
import type { EventSink } from '../events/event-log.ts';
import type { TapContext } from '../nfc/answer.ts';
import { channelMessages } from './channel.ts';
import { Configuration } from './configuration.ts';
import type { UplinkIdentitySigner } from './identity.ts';
import { MeterValueSampling, type SessionMeter } from './meter-value-sampling.ts';
import { OcppClient } from './ocpp-client.ts';
import { outletStatusOf, pileStatusOf } from './pile-status.ts';
import { RecordDelivery } from './record-delivery.ts';
import { REMOTE_START_TRANSACTION, REMOTE_STOP_TRANSACTION, remoteStartTransactionHandler, remoteStopTransactionHandler } from './remote-transaction.ts';
import { RESET, resetHandler } from './reset.ts';
import { OcppRpc } from './rpc.ts';

export type PileUplinkSettings = {
  /** The central system's endpoint without the pile id, e.g. ws://relay:8081/ocpp/ (a missing final "/" is added). */
  centralSystemUrl: string;
  firmwareVersion: string;
  identity: UplinkIdentitySigner;
  /** How often the pile's state is read, ms (the metering period). */
  statePeriodMs: number;
  /**
   * The virtual channel's command context (channel.ts), whose services' outbox the billing
   * records come from and whose `ack` applies their Acks; absent: the channel's messages are
   * UnknownMessageId and no record is sent.
   */
  channel?: TapContext;
  /** The running session's meter, for MeterValues (with `channel`); absent: none sent. */
  sessionMeter?: () => SessionMeter | undefined;
  /** Reboots the pile after an accepted Reset; absent: Reset is Rejected. */
  reboot?: () => void;
};

export type PileUplink = { stop(): void };

/** Until the central system sets HeartbeatInterval (BootNotification.conf); s. */
const DEFAULT_HEARTBEAT_S = 900;
const BOOT_RETRY_S = 30;
const CALL_TIMEOUT_MS = 30_000;
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 60_000;
/** A billing record not delivered is sent again after 5 s, doubling up to 10 min. */
const RECORD_RETRY_MIN_MS = 5_000;
const RECORD_RETRY_MAX_MS = 600_000;

const sessionStates: readonly PileState[] = ['charging', 'suspended'];

export function startPileUplink(
  board: { clock: Clock; random: Random; uplink: UplinkSocket }, state: () => PileState, events: EventSink, settings: PileUplinkSettings,
): PileUplink {
  const base = settings.centralSystemUrl.endsWith('/') ? settings.centralSystemUrl : `${settings.centralSystemUrl}/`;
  const pileIdHex = bytesToHex(settings.identity.pileId);
  const rpc = new OcppRpc(board.uplink, board.clock, board.random, events, {
    url: base + pileIdHex, callTimeoutMs: CALL_TIMEOUT_MS, reconnectMinMs: RECONNECT_MIN_MS, reconnectMaxMs: RECONNECT_MAX_MS,
  });
  const configuration = new Configuration({ heartbeatIntervalS: DEFAULT_HEARTBEAT_S, numberOfConnectors: 1 });
  const client = new OcppClient(rpc, board.clock, configuration, events, {
    chargePoint: { vendor: 'tapcharge', model: 'tapcharge-pile', serialNumber: pileIdHex, firmwareVersion: settings.firmwareVersion },
    connectorCount: 1,
    bootRetryS: BOOT_RETRY_S,
    identity: settings.identity,
    ...(settings.channel && { messages: channelMessages(settings.channel) }),
  });
  rpc.handle(REMOTE_START_TRANSACTION, remoteStartTransactionHandler(events));
  rpc.handle(REMOTE_STOP_TRANSACTION, remoteStopTransactionHandler(events));
  const { reboot } = settings;
  rpc.handle(RESET, resetHandler({
    sessionRunning: () => sessionStates.includes(state()),
    // from the event loop, once the answer is on the wire: the reboot stops this very connection
    reboot: reboot && (() => void board.clock.setTimer(reboot, 0)),
  }, events));
  const delivery = settings.channel && new RecordDelivery(client, board.clock, settings.channel, events, { retryMinMs: RECORD_RETRY_MIN_MS, retryMaxMs: RECORD_RETRY_MAX_MS });
  const meterValues = delivery && settings.sessionMeter && new MeterValueSampling(client, board.clock, configuration, {
    sessionMeter: settings.sessionMeter, transactionIdOf: (contractSeq) => delivery.startedTransactionId(contractSeq),
  }, events);
  const report = (): void => {
    const now = state();
    const pile = pileStatusOf(now);
    const outlet = outletStatusOf(now);
    client.statusChanged(0, pile.status, pile.errorCode);
    client.statusChanged(1, outlet.status, outlet.errorCode);
    delivery?.poll();
  };
  report();
  client.start();
  meterValues?.start();
  const timer = board.clock.setTimer(report, settings.statePeriodMs, settings.statePeriodMs);
  return {
    stop() {
      board.clock.clearTimer(timer);
      meterValues?.stop();
      delivery?.stop();
      client.stop();
    },
  };
}

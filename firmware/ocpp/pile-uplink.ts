// The running pile on its OCPP uplink (bootPile starts it when the board has an uplink and the pile
// is given the central system's URL): one OcppClient connecting to `<centralSystemUrl><pile id in
// hex>` (OCPP-J §3.1: the charge point's identity is the last path segment), proving the pile's
// identity with its own key, and reporting the pile's state as connector 1 (the outlet) and
// connector 0 (the pile) — sampled each metering period, sent when it changed (pile-status.ts).
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { PileState } from '../../contracts-offline/messages/fields.ts';
import type { Clock, Random, UplinkSocket } from '../../hal/types.ts';
import type { EventSink } from '../events/event-log.ts';
import { Configuration } from './configuration.ts';
import type { UplinkIdentitySigner } from './identity.ts';
import { OcppClient } from './ocpp-client.ts';
import { outletStatusOf, pileStatusOf } from './pile-status.ts';
import { OcppRpc } from './rpc.ts';

export type PileUplinkSettings = {
  /** The central system's endpoint without the pile id, e.g. ws://relay:8081/ocpp/ (a missing final "/" is added). */
  centralSystemUrl: string;
  firmwareVersion: string;
  identity: UplinkIdentitySigner;
  /** How often the pile's state is read, ms (the metering period). */
  statePeriodMs: number;
};

export type PileUplink = { stop(): void };

/** Until the central system sets HeartbeatInterval (BootNotification.conf); s. */
const DEFAULT_HEARTBEAT_S = 900;
const BOOT_RETRY_S = 30;
const CALL_TIMEOUT_MS = 30_000;
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 60_000;

export function startPileUplink(
  board: { clock: Clock; random: Random; uplink: UplinkSocket }, state: () => PileState, events: EventSink, settings: PileUplinkSettings,
): PileUplink {
  const base = settings.centralSystemUrl.endsWith('/') ? settings.centralSystemUrl : `${settings.centralSystemUrl}/`;
  const pileIdHex = bytesToHex(settings.identity.pileId);
  const rpc = new OcppRpc(board.uplink, board.clock, board.random, events, {
    url: base + pileIdHex, callTimeoutMs: CALL_TIMEOUT_MS, reconnectMinMs: RECONNECT_MIN_MS, reconnectMaxMs: RECONNECT_MAX_MS,
  });
  const client = new OcppClient(rpc, board.clock, new Configuration({ heartbeatIntervalS: DEFAULT_HEARTBEAT_S, numberOfConnectors: 1 }), events, {
    chargePoint: { vendor: 'tapcharge', model: 'tapcharge-pile', serialNumber: pileIdHex, firmwareVersion: settings.firmwareVersion },
    connectorCount: 1,
    bootRetryS: BOOT_RETRY_S,
    identity: settings.identity,
  });
  const report = (): void => {
    const now = state();
    const pile = pileStatusOf(now);
    const outlet = outletStatusOf(now);
    client.statusChanged(0, pile.status, pile.errorCode);
    client.statusChanged(1, outlet.status, outlet.errorCode);
  };
  report();
  client.start();
  const timer = board.clock.setTimer(report, settings.statePeriodMs, settings.statePeriodMs);
  return {
    stop() {
      board.clock.clearTimer(timer);
      client.stop();
    },
  };
}

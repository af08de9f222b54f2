// The relay's answers to the pile's CALLs once its connection is proven (OCPP 1.6 §4): Boot
// Notification Accepted with the heartbeat interval, Heartbeat with the relay's time,
// StatusNotification kept as the connector's state (billing records, transactions and meter
// samples: billing-record.ts, transactions.ts, meter-values.ts). Payloads arrive valid against
// the official OCPP 1.6 schemas (ocpp-rpc strict mode), so the handlers read them without checks
// of their own.
import type { OcppSettings } from './settings.ts';
import type { ConnectorState, Uplink } from './uplinks.ts';

type Payload = Record<string, unknown>;

const isoTime = (nowMs: number) => new Date(nowMs).toISOString();

/** BootNotification.conf: Pending until the connection is proven (the pile boots again after pendingIntervalS), then Accepted. */
export function bootNotificationConf(proven: boolean, settings: OcppSettings, nowMs: number): Payload {
  return proven
    ? { status: 'Accepted', currentTime: isoTime(nowMs), interval: settings.heartbeatIntervalS }
    : { status: 'Pending', currentTime: isoTime(nowMs), interval: settings.pendingIntervalS };
}

export function heartbeatConf(nowMs: number): Payload {
  return { currentTime: isoTime(nowMs) };
}

/** StatusNotification.req becomes the connector's state (the conf is empty). */
export function keepConnectorState(uplink: Uplink, params: Payload, nowS: number): ConnectorState {
  const connectorId = params.connectorId as number;
  const connector: ConnectorState = {
    connectorId,
    status: params.status as string,
    errorCode: params.errorCode as string,
    ...(typeof params.timestamp === 'string' && { timestamp: params.timestamp }),
    reportedAtS: nowS,
  };
  uplink.connectors.set(connectorId, connector);
  return connector;
}

// The pile as an OCPP 1.6 charge point, Core profile so far: registers with BootNotification on
// each connection until Accepted (OCPP 1.6 §4.2), sends Heartbeat every HeartbeatInterval while
// Accepted (§4.6), reports connector states with StatusNotification (§4.9) and answers
// GetConfiguration / ChangeConfiguration.
//
// - Until Accepted nothing but BootNotification is sent. Pending: the central system's calls are
//   answered; Rejected: they get no answer (§4.2 "SHALL NOT respond"). Either way the next
//   BootNotification goes `interval` s later (`bootRetryS` when the central system said 0, or the
//   last attempt timed out, failed, or was answered with a malformed payload).
// - Once Accepted, every connector the firmware has reported is sent, and again after each
//   reconnect (states changed while the uplink was down are never sent late, one by one: only
//   the current one counts). A connection that ends does not undo Accepted: the pile booted once.
// - The central system's `currentTime` is not taken: the pile's clock signs billing records and
//   is set only by a technician through the service console (design §6b).
// - DataTransfer with our vendorId: with `identity`, the pile answers the relay's IdentityChallenge
//   (identity.ts). The relay refuses every CALL but BootNotification until a connection is proven,
//   so after a reconnect an Accepted pile sends its connector states once the challenge of that
//   connection is answered, not at once.
// - `ready`: Accepted, connected and (with `identity`) this connection proven — when the pile's
//   own CALLs beyond BootNotification may go. `call` sends one only then; `onReady` listeners run
//   each time it becomes so (after the connector states are queued).
import type { Clock, TimerId } from '../../hal/types.ts';
import type { EventSink } from '../events/event-log.ts';
import { BOOT_NOTIFICATION, type ChargePointInfo, type RegistrationStatus, bootNotificationRequest, parseBootNotificationConf } from './boot-notification.ts';
import { UPLINK_VENDOR_ID, IDENTITY_CHALLENGE_MESSAGE_ID } from '../../contracts-offline/messages/uplink-identity.ts';
import { CHANGE_CONFIGURATION, changeConfigurationHandler } from './change-configuration.ts';
import { DATA_TRANSFER, type DataTransferMessageHandler, dataTransferHandler } from './data-transfer.ts';
import { type Configuration, HEARTBEAT_INTERVAL_MAX_S } from './configuration.ts';
import type { JsonObject } from './frame.ts';
import { GET_CONFIGURATION, getConfigurationHandler } from './get-configuration.ts';
import { HEARTBEAT, heartbeatRequest, parseHeartbeatConf } from './heartbeat.ts';
import { type UplinkIdentitySigner, identityChallengeHandler } from './identity.ts';
import type { CallOutcome, OcppRpc } from './rpc.ts';
import {
  type ChargePointErrorCode, type ChargePointStatus, type ConnectorStatus, STATUS_NOTIFICATION, parseStatusNotificationConf,
  statusNotificationRequest,
} from './status-notification.ts';

export type OcppClientSettings = {
  chargePoint: ChargePointInfo;
  /** Outlets: connectors 1..connectorCount; connector 0 is the pile itself. */
  connectorCount: number;
  /** Wait before another BootNotification when the central system named none or the last one failed, s. */
  bootRetryS: number;
  /** Signs the answer to the relay's identity challenge; absent: the challenge is answered UnknownMessageId. */
  identity?: UplinkIdentitySigner;
  /** More DataTransfer messages of our vendorId, by messageId (the virtual channel: channel.ts). */
  messages?: ReadonlyMap<string, DataTransferMessageHandler>;
};

/** `unregistered`: no BootNotification answered since power-on. */
export type Registration = 'unregistered' | RegistrationStatus;

export class OcppClient {
  readonly #rpc: OcppRpc;
  readonly #clock: Clock;
  readonly #configuration: Configuration;
  readonly #report: EventSink;
  readonly #settings: OcppClientSettings;
  readonly #bootRequest: JsonObject;
  readonly #connectors = new Map<number, ConnectorStatus>();
  #registration: Registration = 'unregistered';
  #bootTimer: TimerId | undefined;
  #bootInFlight = false;
  #heartbeatTimer: TimerId | undefined;
  #heartbeatInFlight = false;
  /** This connection answered the identity challenge, or was Accepted (the relay accepts a connection only once proven). */
  #proven = false;
  readonly #readyListeners: (() => void)[] = [];

  constructor(rpc: OcppRpc, clock: Clock, configuration: Configuration, report: EventSink, settings: OcppClientSettings) {
    if (!Number.isInteger(settings.connectorCount) || settings.connectorCount < 1) {
      throw new RangeError(`ocpp: "connectorCount" expected an integer ≥ 1, got ${settings.connectorCount}`);
    }
    this.#rpc = rpc;
    this.#clock = clock;
    this.#configuration = configuration;
    this.#report = report;
    this.#settings = settings;
    this.#bootRequest = bootNotificationRequest(settings.chargePoint);
    rpc.handle(GET_CONFIGURATION, getConfigurationHandler(configuration));
    rpc.handle(CHANGE_CONFIGURATION, changeConfigurationHandler(configuration));
    const messages = new Map<string, DataTransferMessageHandler>(settings.messages);
    if (settings.identity) messages.set(IDENTITY_CHALLENGE_MESSAGE_ID, identityChallengeHandler(settings.identity, clock, () => this.#identityAnswered()));
    rpc.handle(DATA_TRANSFER, dataTransferHandler(UPLINK_VENDOR_ID, messages));
    configuration.onHeartbeatIntervalChange(() => this.#restartHeartbeat());
  }

  get registration(): Registration {
    return this.#registration;
  }

  /** Accepted, connected and proven: the pile's CALLs may go. */
  get ready(): boolean {
    return this.#registration === 'Accepted' && this.#rpc.connected && this.#proven;
  }

  /** Call `listener` each time the client becomes ready (after Accepted, after each reconnect once proven). */
  onReady(listener: () => void): void {
    this.#readyListeners.push(listener);
  }

  /** Send one of the pile's CALLs (`OcppRpc.call`); false, nothing sent, when not ready. */
  call(action: string, payload: JsonObject, onOutcome: (outcome: CallOutcome) => void): boolean {
    return this.ready && this.#rpc.call(action, payload, onOutcome);
  }

  start(): void {
    this.#rpc.start({
      onConnected: () => this.#connected(),
      onDisconnected: () => {
        this.#proven = false;
        this.#stopHeartbeat();
      },
    });
  }

  stop(): void {
    this.#stopHeartbeat();
    this.#clearBootTimer();
    this.#rpc.stop();
  }

  /** A connector's state changed (0: the pile; 1..connectorCount: an outlet). Sent when Accepted and connected. */
  statusChanged(connectorId: number, status: ChargePointStatus, errorCode: ChargePointErrorCode): void {
    if (!Number.isInteger(connectorId) || connectorId < 0 || connectorId > this.#settings.connectorCount) {
      throw new RangeError(`ocpp: "connectorId" expected 0..${this.#settings.connectorCount}, got ${connectorId}`);
    }
    const previous = this.#connectors.get(connectorId);
    if (previous && previous.status === status && previous.errorCode === errorCode) return;
    this.#connectors.set(connectorId, { status, errorCode });
    if (this.#registration === 'Accepted') this.#sendStatus(connectorId);
  }

  #connected(): void {
    this.#proven = !this.#settings.identity;
    if (this.#registration === 'Accepted') {
      this.#restartHeartbeat();
      if (this.#proven) this.#becameReady();
    } else if (this.#bootTimer === undefined) {
      this.#sendBoot();
    }
  }

  #identityAnswered(): void {
    const wasProven = this.#proven;
    this.#proven = true;
    if (this.#registration === 'Accepted' && !wasProven) this.#becameReady();
  }

  #becameReady(): void {
    for (const connectorId of this.#connectors.keys()) this.#sendStatus(connectorId);
    for (const listener of this.#readyListeners) listener();
  }

  #sendBoot(): void {
    if (this.#bootInFlight) return;
    this.#rpc.setAnswering(true);
    this.#bootInFlight = this.#rpc.call(BOOT_NOTIFICATION, this.#bootRequest, (outcome) => {
      this.#bootInFlight = false;
      this.#bootAnswered(outcome);
    });
  }

  #bootAnswered(outcome: CallOutcome): void {
    if (!outcome.ok) {
      if (outcome.code !== 'disconnected') this.#retryBoot(this.#settings.bootRetryS, `BootNotification ${outcome.code}: ${outcome.reason}`);
      return;
    }
    const conf = parseBootNotificationConf(outcome.value);
    if (!conf.ok) {
      this.#retryBoot(this.#settings.bootRetryS, `BootNotification.conf ${conf.code}: ${conf.reason}`);
      return;
    }
    const { status, intervalS } = conf.value;
    this.#registration = status;
    if (status !== 'Accepted') {
      this.#rpc.setAnswering(status === 'Pending');
      this.#retryBoot(intervalS > 0 ? intervalS : this.#settings.bootRetryS, `BootNotification ${status}`);
      return;
    }
    this.#report('info', 'BootNotification Accepted');
    this.#configuration.setHeartbeatIntervalS(Math.min(intervalS, HEARTBEAT_INTERVAL_MAX_S));
    this.#proven = true;
    this.#restartHeartbeat();
    this.#becameReady();
  }

  #retryBoot(afterS: number, why: string): void {
    this.#report('warning', `${why}; again in ${afterS} s`);
    this.#clearBootTimer();
    this.#bootTimer = this.#clock.setTimer(() => {
      this.#bootTimer = undefined;
      if (this.#rpc.connected) this.#sendBoot();
    }, Math.min(afterS, HEARTBEAT_INTERVAL_MAX_S) * 1000);
  }

  #clearBootTimer(): void {
    if (this.#bootTimer !== undefined) this.#clock.clearTimer(this.#bootTimer);
    this.#bootTimer = undefined;
  }

  #restartHeartbeat(): void {
    this.#stopHeartbeat();
    const intervalS = this.#configuration.heartbeatIntervalS;
    if (this.#registration !== 'Accepted' || !this.#rpc.connected || intervalS === 0) return;
    this.#heartbeatTimer = this.#clock.setTimer(() => this.#sendHeartbeat(), intervalS * 1000, intervalS * 1000);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer !== undefined) this.#clock.clearTimer(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  /** One Heartbeat at a time: a central system slower than the interval does not grow the queue. */
  #sendHeartbeat(): void {
    if (this.#heartbeatInFlight) return;
    this.#heartbeatInFlight = this.#rpc.call(HEARTBEAT, heartbeatRequest(), (outcome) => {
      this.#heartbeatInFlight = false;
      const conf = outcome.ok ? parseHeartbeatConf(outcome.value) : outcome;
      if (!conf.ok) this.#report('warning', `Heartbeat ${conf.code}: ${conf.reason}`);
    });
  }

  #sendStatus(connectorId: number): void {
    const connector = this.#connectors.get(connectorId);
    if (!connector) return;
    this.#rpc.call(STATUS_NOTIFICATION, statusNotificationRequest(connectorId, connector, this.#clock.nowMs()), (outcome) => {
      const conf = outcome.ok ? parseStatusNotificationConf(outcome.value) : outcome;
      if (!conf.ok) this.#report('warning', `StatusNotification ${connectorId} ${conf.code}: ${conf.reason}`);
    });
  }
}

// The OCPP-J RPC layer (OCPP JSON Specification 1.6 §4): keeps the uplink connected, sends the
// pile's CALLs one at a time (§4.1.1: at most one outstanding CALL; later ones wait in a FIFO in
// RAM), times each out on the pile's clock, and answers the central system's CALLs through one
// handler per action.
//
// - uniqueIds: a random 8-hex-digit prefix drawn at construction plus a counter, so ids stay
//   unique across reconnects and reboots.
// - A CALL that gets no reply within `callTimeoutMs` completes with `timeout` (reported); a reply
//   arriving later, or any reply whose uniqueId is not the outstanding CALL's, is dropped and
//   counted (`unknownReplies`).
// - A connection that ends completes the outstanding and waiting CALLs with `disconnected`; the
//   layer reconnects after `reconnectMinMs`, doubling per failed attempt up to `reconnectMaxMs`.
// - A CALL whose action OCPP 1.6 does not define is answered NotImplemented; an OCPP 1.6 action
//   with no handler here, NotSupported; a handler that throws, InternalError. A frame refused by
//   the codec is answered with its code when it is a CALL with a readable uniqueId, otherwise
//   dropped and counted (`droppedFrames`).
import type { Clock, Random, TimerId, UplinkSocket } from '../../hal/types.ts';
import { type Result, fail, ok } from '../../contracts-offline/result.ts';
import type { EventSink } from '../events/event-log.ts';
import {
  type CallFrame, FRAME_MAX_CHARS, type JsonObject, MessageType, type OcppErrorCode, encodeCall, encodeCallError, encodeCallResult,
  parseFrame,
} from './frame.ts';
import type { PayloadResult } from './payload-fields.ts';

/**
 * The answer to one CALL of the central system: the CALLRESULT payload, or the CALLERROR code and
 * reason. `afterSent` runs once a CALLRESULT has been handed to the socket: CALLs the answer leads
 * to go after it on the wire.
 */
export type CallAnswer = PayloadResult<JsonObject> & { afterSent?: () => void };
export type CallHandler = (payload: JsonObject) => CallAnswer;

/** `call-error`: the central system answered a CALLERROR (reason: "<errorCode>: <description>"). */
export type CallFailureCode = 'call-error' | 'timeout' | 'disconnected';
export type CallOutcome = Result<JsonObject, CallFailureCode>;

export type RpcSettings = {
  /** The central system's endpoint, the pile's identity as its last path segment (OCPP-J §3.1). */
  url: string;
  callTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  maxFrameChars?: number;
};

export type RpcStats = { unknownReplies: number; droppedFrames: number; timeouts: number };

export type ConnectionListener = { onConnected(): void; onDisconnected(): void };

/** The actions a central system may call on a charge point in OCPP 1.6 (§5). */
const centralSystemActions: readonly string[] = [
  'CancelReservation', 'ChangeAvailability', 'ChangeConfiguration', 'ClearCache', 'ClearChargingProfile', 'DataTransfer',
  'GetCompositeSchedule', 'GetConfiguration', 'GetDiagnostics', 'GetLocalListVersion', 'RemoteStartTransaction',
  'RemoteStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList', 'SetChargingProfile', 'TriggerMessage', 'UnlockConnector',
  'UpdateFirmware',
];

const uplinkUrl = /^wss?:\/\/[^\s/?#]+(\/[^\s#]*)?$/;

type QueuedCall = { action: string; payload: JsonObject; onOutcome: (outcome: CallOutcome) => void };
type OutstandingCall = QueuedCall & { id: string; timer: TimerId };

export class OcppRpc {
  readonly stats: RpcStats = { unknownReplies: 0, droppedFrames: 0, timeouts: 0 };
  readonly #socket: UplinkSocket;
  readonly #clock: Clock;
  readonly #report: EventSink;
  readonly #settings: Required<RpcSettings>;
  readonly #handlers = new Map<string, CallHandler>();
  readonly #idPrefix: string;
  #listener: ConnectionListener | undefined;
  #nextCallNumber = 1;
  #queue: QueuedCall[] = [];
  #outstanding: OutstandingCall | undefined;
  #connected = false;
  #answering = true;
  #failedOpens = 0;
  #reconnectTimer: TimerId | undefined;

  constructor(socket: UplinkSocket, clock: Clock, random: Random, report: EventSink, settings: RpcSettings) {
    if (!uplinkUrl.test(settings.url)) throw new RangeError(`ocpp: "url" expected a ws:// or wss:// URL, got ${settings.url.slice(0, 80)}`);
    this.#socket = socket;
    this.#clock = clock;
    this.#report = report;
    this.#settings = { maxFrameChars: FRAME_MAX_CHARS, ...settings };
    const prefix = new Uint8Array(4);
    random.fill(prefix);
    this.#idPrefix = Array.from(prefix, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Answer the central system's CALLs of `action` with `handler` (replacing any previous one). */
  handle(action: string, handler: CallHandler): void {
    this.#handlers.set(action, handler);
  }

  /** False: the central system's CALLs get no answer at all (OCPP 1.6 §4.2, while Rejected). */
  setAnswering(answering: boolean): void {
    this.#answering = answering;
  }

  /** Connect, and stay connected until `stop`. */
  start(listener: ConnectionListener): void {
    this.#listener = listener;
    this.#open();
  }

  /** Close the connection and forget every CALL (their outcomes never come). */
  stop(): void {
    this.#listener = undefined;
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimer(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    if (this.#outstanding) this.#clock.clearTimer(this.#outstanding.timer);
    this.#outstanding = undefined;
    this.#queue = [];
    this.#connected = false;
    this.#socket.close();
  }

  /**
   * Send a CALL once the ones before it are answered. False when not connected (nothing queued);
   * otherwise `onOutcome` runs exactly once, from the event loop.
   */
  call(action: string, payload: JsonObject, onOutcome: (outcome: CallOutcome) => void): boolean {
    if (!this.#connected) return false;
    this.#queue.push({ action, payload, onOutcome });
    this.#sendNext();
    return true;
  }

  #open(): void {
    this.#reconnectTimer = undefined;
    this.#socket.open(this.#settings.url, {
      onOpen: () => {
        this.#connected = true;
        this.#failedOpens = 0;
        this.#listener?.onConnected();
      },
      onMessage: (text) => this.#receive(text),
      onClose: (reason) => this.#closed(reason),
    });
  }

  #closed(reason: string): void {
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#report('warning', `uplink closed: ${reason}`);
    const waiting = this.#outstanding ? [this.#outstanding, ...this.#queue] : this.#queue;
    if (this.#outstanding) this.#clock.clearTimer(this.#outstanding.timer);
    this.#outstanding = undefined;
    this.#queue = [];
    for (const call of waiting) call.onOutcome(fail('disconnected', `uplink closed before ${call.action} was answered`));
    if (wasConnected) this.#listener?.onDisconnected();
    if (!this.#listener) return;
    const delayMs = Math.min(this.#settings.reconnectMinMs * 2 ** Math.min(this.#failedOpens, 20), this.#settings.reconnectMaxMs);
    this.#failedOpens++;
    this.#reconnectTimer = this.#clock.setTimer(() => this.#open(), delayMs);
  }

  #sendNext(): void {
    if (this.#outstanding || !this.#connected) return;
    const next = this.#queue.shift();
    if (!next) return;
    const id = `${this.#idPrefix}-${this.#nextCallNumber++}`;
    const timer = this.#clock.setTimer(() => this.#timedOut(id), this.#settings.callTimeoutMs);
    this.#outstanding = { ...next, id, timer };
    this.#socket.send(encodeCall(id, next.action, next.payload));
  }

  #timedOut(id: string): void {
    const call = this.#outstanding;
    if (!call || call.id !== id) return;
    this.#outstanding = undefined;
    this.stats.timeouts++;
    this.#report('warning', `${call.action} ${id} unanswered after ${this.#settings.callTimeoutMs} ms`);
    call.onOutcome(fail('timeout', `${call.action} unanswered after ${this.#settings.callTimeoutMs} ms`));
    this.#sendNext();
  }

  #receive(text: string): void {
    const frame = parseFrame(text, this.#settings.maxFrameChars);
    if (!frame.ok) {
      if (frame.callId !== undefined && this.#answering) this.#socket.send(encodeCallError(frame.callId, frame.code, frame.reason));
      else this.#drop(frame.reason);
      return;
    }
    const message = frame.value;
    if (message.type === MessageType.call) {
      this.#answer(message);
      return;
    }
    const call = this.#outstanding;
    if (!call || call.id !== message.id) {
      this.stats.unknownReplies++;
      this.#report('warning', `reply to unknown uniqueId ${message.id}`);
      return;
    }
    this.#clock.clearTimer(call.timer);
    this.#outstanding = undefined;
    call.onOutcome(message.type === MessageType.callResult
      ? ok(message.payload)
      : fail('call-error', `${message.errorCode}: ${message.description}`));
    this.#sendNext();
  }

  #answer(call: CallFrame): void {
    if (!this.#answering) {
      this.#drop(`${call.action} while not answering`);
      return;
    }
    const handler = this.#handlers.get(call.action);
    if (!handler) {
      const code: OcppErrorCode = centralSystemActions.includes(call.action) ? 'NotSupported' : 'NotImplemented';
      this.#socket.send(encodeCallError(call.id, code, `${call.action.slice(0, 50)} is not supported`));
      return;
    }
    let answer: CallAnswer;
    try {
      answer = handler(call.payload);
    } catch (error) {
      this.#report('fault', `${call.action} handler: ${(error as Error).message}`);
      answer = fail('InternalError', `${call.action} failed`);
    }
    this.#socket.send(answer.ok ? encodeCallResult(call.id, answer.value) : encodeCallError(call.id, answer.code, answer.reason));
    if (answer.ok) answer.afterSent?.();
  }

  #drop(reason: string): void {
    this.stats.droppedFrames++;
    this.#report('warning', `dropped frame: ${reason}`);
  }
}

// The relay's end of a networked pile's uplink (test/support/ocpp-day.ts): an `UplinkSocket` the
// pile opens, whose far end sends the pile CALLs and answers the pile's one outstanding CALL as the
// relay does — BootNotification Accepted, BillingRecord Accepted with an Ack signed by the pile
// rig's relay key covering that record, StartTransaction with a fresh transactionId, the others'
// plain confirmations. It keeps every frame both ways in order (`frames`). Every call into the pile
// (the socket's open, each frame delivered) goes through `intoPile` with what it is, so the
// firmware bench can meter it apart from the relay's own work (reading the pile's frames, signing
// Acks). Device-safe: no Node APIs.
import { base64urlToBytes, bytesToBase64url } from '../../contracts-offline/bytes.ts';
import { encodeAck } from '../../contracts-offline/messages/ack.ts';
import { readSigned, signMessage } from '../../contracts-offline/signed.ts';
import type { UplinkEvents, UplinkSocket } from '../../hal/types.ts';
import { pileId, relayKey, startMs } from './pile-rig.ts';

export type PileCall = { id: string; action: string; payload: Record<string, unknown> };
/** Runs one call into the pile; `answersCallId`: the pile's CALL the delivered frame answers. */
export type IntoPile = (label: string, work: () => void, answersCallId?: string) => void;
/** One text frame on the uplink: sent by the pile, or delivered to it by the relay. */
export type UplinkFrame = { from: 'pile' | 'relay'; text: string };

export class LoopbackRelay implements UplinkSocket {
  /** Text frames the pile sent, oldest first. */
  readonly sent: string[] = [];
  /** Every frame both ways, in the order they went. */
  readonly frames: UplinkFrame[] = [];
  readonly #intoPile: IntoPile;
  readonly #calls = new Map<string, PileCall>();
  readonly #answered = new Set<string>();
  #events: UplinkEvents | undefined;
  #connected = false;
  #opened = false;
  #read = 0;
  #nextCallId = 1;
  #nextTransactionId = 1;

  constructor(intoPile: IntoPile = (_label, work) => work()) {
    this.#intoPile = intoPile;
  }

  /** The pile has opened the socket once. */
  get opened(): boolean {
    return this.#opened;
  }

  open(url: string, events: UplinkEvents): void {
    if (this.#events) throw new Error(`loopback-relay: ${url}: a connection is already open`);
    this.#events = events;
    this.#opened = true;
  }

  send(text: string): boolean {
    if (!this.#connected) return false;
    this.sent.push(text);
    this.frames.push({ from: 'pile', text });
    return true;
  }

  close(): void {
    this.#connected = false;
    this.#events = undefined;
  }

  /** The relay completes the handshake. */
  accept(): void {
    const events = this.#events;
    if (!events || this.#connected) throw new Error('loopback-relay: nothing to accept');
    this.#connected = true;
    this.#intoPile('connection opened', () => events.onOpen());
  }

  /** One text frame to the pile, called `label` (default: what the frame says it is). */
  deliver(text: string, label = this.labelOf(text)): void {
    const events = this.#events;
    if (!events || !this.#connected) throw new Error('loopback-relay: not connected');
    this.frames.push({ from: 'relay', text });
    this.#intoPile(label, () => events.onMessage(text), replyId(text));
  }

  /** A CALL of the relay (`label` as in `deliver`); the pile's reply frame. */
  call(action: string, payload: unknown, label?: string): unknown[] {
    const id = `relay-${this.#nextCallId++}`;
    const before = this.sent.length;
    this.deliver(JSON.stringify([2, id, action, payload]), label);
    const reply = this.sent.slice(before).map((text) => JSON.parse(text) as unknown[]).find((frame) => frame[0] !== 2 && frame[1] === id);
    if (!reply) throw new Error(`loopback-relay: no reply to ${action}`);
    return reply;
  }

  /** Every CALL the pile sent, oldest first. */
  calls(action?: string): PileCall[] {
    this.#readSent();
    return [...this.#calls.values()].filter((call) => action === undefined || call.action === action);
  }

  /** Answer the pile's CALLs as the relay until none waits. */
  serve(): void {
    for (let i = 0; i < 100; i++) {
      const waiting = this.calls().find((call) => !this.#answered.has(call.id));
      if (!waiting) return;
      this.#answered.add(waiting.id);
      this.deliver(JSON.stringify([3, waiting.id, this.#answerTo(waiting)]));
    }
    throw new Error('loopback-relay: the pile kept calling');
  }

  /** What a frame to or from the pile is: a CALL's action (DataTransfer's messageId), or `<the CALL it answers>.conf` / `.error`. */
  labelOf(text: string): string {
    const frame = JSON.parse(text) as unknown[];
    if (frame[0] === 2) return actionLabel(frame[2], frame[3]);
    const call = this.calls().find((c) => c.id === frame[1]);
    if (!call) throw new Error(`loopback-relay: a reply to no CALL of the pile: ${text}`);
    return `${actionLabel(call.action, call.payload)}.${frame[0] === 3 ? 'conf' : 'error'}`;
  }

  #readSent(): void {
    for (; this.#read < this.sent.length; this.#read++) {
      const frame = JSON.parse(this.sent[this.#read]!) as unknown[];
      if (frame[0] === 2) this.#calls.set(frame[1] as string, { id: frame[1] as string, action: frame[2] as string, payload: frame[3] as Record<string, unknown> });
    }
  }

  #answerTo(call: PileCall): unknown {
    const currentTime = new Date(startMs).toISOString();
    switch (call.action) {
      case 'BootNotification': return { status: 'Accepted', currentTime, interval: 900 };
      case 'Heartbeat': return { currentTime };
      case 'DataTransfer': return { status: 'Accepted', data: ackOf(call.payload.data as string) };
      case 'StartTransaction': return { transactionId: this.#nextTransactionId++, idTagInfo: { status: 'Accepted' } };
      case 'StopTransaction': return { idTagInfo: { status: 'Accepted' } };
      default: return {};
    }
  }
}

/** The uniqueId of a CALLRESULT / CALLERROR; undefined for anything else (a malformed frame too). */
function replyId(text: string): string | undefined {
  try {
    const frame = JSON.parse(text) as unknown[];
    return (frame[0] === 3 || frame[0] === 4) && typeof frame[1] === 'string' ? frame[1] : undefined;
  } catch {
    return undefined;
  }
}

const actionLabel = (action: unknown, payload: unknown): string =>
  (action === 'DataTransfer' ? `DataTransfer ${(payload as { messageId: string }).messageId}` : String(action));

/** The relay's Ack of the billing record a BillingRecord carries (base64url). */
function ackOf(recordBase64url: string): string {
  const read = readSigned(base64urlToBytes(recordBase64url));
  if (!read.ok) throw new Error(`loopback-relay: BillingRecord data: ${read.reason}`);
  const { seq } = read.value.message as { seq: number };
  return bytesToBase64url(signMessage(encodeAck({ pileId, ranges: [{ fromSeq: seq, toSeq: seq }], atS: startMs / 1000 }), relayKey.secretKey));
}

// The central system's end of a LoopbackUplink, for tests of a real pile (bootPile on the
// simulated board) on its uplink: reads the pile's frames, answers its one outstanding CALL, sends
// it CALLs, and `serve` plays a relay that acknowledges every BillingRecord (an Ack signed with the
// pile rig's relay key, covering that record) so a test can script only the step it looks at.
import { base64urlToBytes } from '../../../contracts-offline/bytes.ts';
import { encodeAck } from '../../../contracts-offline/messages/ack.ts';
import { readSigned, signMessage } from '../../../contracts-offline/signed.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { bytesToBase64url } from '../../../contracts-offline/bytes.ts';
import { pileId, relayKey, startMs } from '../../support/pile-rig.ts';
import { LoopbackUplink } from './loopback-uplink.ts';

export type PileCall = { id: string; action: string; payload: Record<string, unknown> };

/** A relay Ack for this pile's records `fromSeq..toSeq`, signed with `secretKey` (default: the provisioned relay key). */
export function ackFor(fromSeq: number, toSeq = fromSeq, secretKey: Uint8Array = relayKey.secretKey, forPileId: Uint8Array = pileId): string {
  return bytesToBase64url(signMessage(encodeAck({ pileId: forPileId, ranges: [{ fromSeq, toSeq }], atS: startMs / 1000 }), secretKey));
}

/** The signed record a BillingRecord carries, decoded (not verified). */
export function recordIn(call: PileCall): Contract | Receipt {
  const read = readSigned(base64urlToBytes(call.payload.data as string));
  if (!read.ok) throw new Error(`loopback-central: BillingRecord data: ${read.reason}`);
  return read.value.message as Contract | Receipt;
}

export const isBillingRecord = (call: PileCall | undefined): boolean => call?.action === 'DataTransfer' && call.payload.messageId === 'BillingRecord';

export class LoopbackCentral {
  readonly uplink = new LoopbackUplink();
  readonly #answered = new Set<string>();
  #nextId = 1;

  /** Every CALL the pile sent, oldest first. */
  calls(action?: string): PileCall[] {
    const frames = this.uplink.sent.map((text) => JSON.parse(text) as unknown[]).filter((f) => f[0] === 2);
    return frames.map((f) => ({ id: f[1] as string, action: f[2] as string, payload: f[3] as Record<string, unknown> })).filter((c) => action === undefined || c.action === action);
  }

  /** The pile's CALL waiting for an answer (it sends one at a time: the last one, unless answered). */
  outstanding(): PileCall | undefined {
    const last = this.calls().pop();
    return last && !this.#answered.has(last.id) ? last : undefined;
  }

  answer(payload: unknown): void {
    const call = this.#take();
    this.uplink.deliver(JSON.stringify([3, call.id, payload]));
  }

  /** Never answer the waiting CALL (the pile times it out). */
  ignore(): void {
    this.#take();
  }

  error(code: string): void {
    const call = this.#take();
    this.uplink.deliver(JSON.stringify([4, call.id, code, 'refused by the test', {}]));
  }

  /** Send the pile a CALL; answers the pile's reply frame. */
  call(action: string, payload: unknown): unknown[] {
    const id = `cs-${this.#nextId++}`;
    this.uplink.deliver(JSON.stringify([2, id, action, payload]));
    const reply = this.uplink.sent.map((text) => JSON.parse(text) as unknown[]).find((f) => f[0] !== 2 && f[1] === id);
    if (!reply) throw new Error(`loopback-central: no reply to ${action}`);
    return reply;
  }

  /** The relay's identity challenge of a new connection (the pile answers it signed). */
  challenge(): unknown[] {
    return this.call('DataTransfer', { vendorId: 'com.tapcharge', messageId: 'IdentityChallenge', data: 'ab'.repeat(16) });
  }

  /**
   * Answer the pile's CALLs as a relay would, until one is left that `hold` picks out (left
   * unanswered) or none waits: BootNotification Accepted, BillingRecord Accepted with its Ack,
   * StartTransaction with transactionId 1000 + the contract's seq, the rest empty or Accepted.
   */
  serve(hold: (call: PileCall) => boolean = () => false): void {
    for (let i = 0; i < 200; i++) {
      const call = this.outstanding();
      if (!call || hold(call)) return;
      this.answer(this.#relayAnswer(call));
    }
    throw new Error('loopback-central: the pile kept calling');
  }

  #relayAnswer(call: PileCall): unknown {
    switch (call.action) {
      case 'BootNotification': return { status: 'Accepted', currentTime: new Date(startMs).toISOString(), interval: 900 };
      case 'Heartbeat': return { currentTime: new Date(startMs).toISOString() };
      case 'DataTransfer': return { status: 'Accepted', data: ackFor(recordIn(call).seq) };
      case 'StartTransaction': return { transactionId: 1000 + (recordOfStart(this, call)?.seq ?? 0), idTagInfo: { status: 'Accepted' } };
      case 'StopTransaction': return { idTagInfo: { status: 'Accepted' } };
      default: return {};
    }
  }

  #take(): PileCall {
    const call = this.outstanding();
    if (!call) throw new Error('loopback-central: the pile has no CALL waiting');
    this.#answered.add(call.id);
    return call;
  }
}

/** The Contract whose BillingRecord went just before this StartTransaction. */
function recordOfStart(central: LoopbackCentral, start: PileCall): Contract | undefined {
  const calls = central.calls();
  const before = calls.slice(0, calls.findIndex((c) => c.id === start.id)).filter(isBillingRecord).pop();
  return before && (recordIn(before) as Contract);
}

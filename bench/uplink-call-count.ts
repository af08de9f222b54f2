// A pile's uplink that counts the OCPP CALLs crossing it, by direction and kind (the action, a
// DataTransfer by its messageId), for the uplink bench's "messages per session".
import type { UplinkEvents, UplinkSocket } from '../hal/types.ts';
import { peekFrame } from '../hal/sim/uplink-frames.ts';

export type CallCounts = { pileCalls: Map<string, number>; relayCalls: Map<string, number> };

export const newCallCounts = (): CallCounts => ({ pileCalls: new Map(), relayCalls: new Map() });

function count(calls: Map<string, number>, text: string): void {
  const frame = peekFrame(text);
  if (frame?.type === 'call') calls.set(frame.kind, (calls.get(frame.kind) ?? 0) + 1);
}

export class CallCountingUplink implements UplinkSocket {
  readonly #link: UplinkSocket;
  readonly #counts: CallCounts;

  constructor(link: UplinkSocket, counts: CallCounts) {
    this.#link = link;
    this.#counts = counts;
  }

  open(url: string, events: UplinkEvents): void {
    this.#link.open(url, {
      ...events,
      onMessage: (text) => {
        count(this.#counts.relayCalls, text);
        events.onMessage(text);
      },
    });
  }

  send(text: string): boolean {
    const sent = this.#link.send(text);
    if (sent) count(this.#counts.pileCalls, text);
    return sent;
  }

  close(): void {
    this.#link.close();
  }
}

// The host pile's card application offered to real PC/SC software through vpcd, the virtual
// reader driver of vsmartcard loaded by pcscd (`tapcharge pile serve --vpcd`): opensc-tool,
// pcsc_scan or the phone SDK's PC/SC transport then tap the SIMULATED pile as a contactless card
// in the reader "Virtual PCD 00 00". vpcd listens (port 35963 = 0x8C7B by default; its second
// slot, "Virtual PCD 00 01", on the next port) and the card is its TCP client (vpcd-frames.ts).
//
// vpcd's power on is a reader entering the pile's simulated RF field (NfcFieldSim.tap(): the card
// application's onFieldOn), its command APDUs go to the card application (onApdu), and power
// off, reset or the connection ending end that tap (onFieldOff, once per power on). A reset
// activates the card again at once, as a contactless reader resets a card by cycling its field.
// The pile has one field: while a phone holds it over the TCP bridge, a power on drops the
// connection — to PC/SC the card went away, as a card busy with another reader does not answer.
// A frame that breaks the framing, an incomplete frame left waiting, or an APDU with the power
// off is logged, the field goes off and the connection is reset; none of it reaches the card
// application. The card connects (again) with a back-off of 100 ms doubling up to 5 s, so vpcd
// may start before or after the pile.
import { type Socket, connect } from 'node:net';
import type { NfcFieldSim, NfcTap } from '../../hal/sim/nfc-field.ts';
import { contactlessAtr } from './contactless-atr.ts';
import { VpcdControl, VpcdFrameReader, type VpcdMessage, encodeVpcdFrame } from './vpcd-frames.ts';

/** vpcd's default port (its reader.conf.d entry: DEVICENAME /dev/null:0x8C7B). */
export const VPCD_DEFAULT_PORT = 0x8c7b;

/** The pile's card emulation sets no ATS historical bytes, so PC/SC shows 3B 80 80 01 01. */
export const PILE_ATR: Uint8Array = contactlessAtr(new Uint8Array(0));

export type VpcdCardOptions = {
  /** The pile's NFC field: a power on taps it. */
  field: Pick<NfcFieldSim, 'tap'>;
  host: string;
  port: number;
  /** First reconnect delay, doubled after each failure up to `retryMaxMs`. Default 100 ms, 5 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A frame begun must be complete within this time. Default 2 s. */
  frameTimeoutMs?: number;
  onLog?: (line: string) => void;
  /** After each tap ends (persist, redraw). */
  onTapEnd?: () => void;
};

export type VpcdCard = {
  /** Connected to vpcd (the card is in the reader). */
  readonly connected: boolean;
  /** Field off, disconnect, no more reconnects. */
  close(): Promise<void>;
};

const defaults = { retryMinMs: 100, retryMaxMs: 5000, frameTimeoutMs: 2000 };

export function attachCardToVpcd(options: VpcdCardOptions): VpcdCard {
  const o = { ...defaults, onLog: () => {}, onTapEnd: () => {}, ...options };
  const where = `vpcd ${o.host}:${o.port}`;
  let socket: Socket | undefined;
  let reader = new VpcdFrameReader();
  let tap: NfcTap | undefined;
  let retryMs = o.retryMinMs;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let frameTimer: ReturnType<typeof setTimeout> | undefined;
  let connected = false;
  let resetReason: string | undefined;
  let lastUnreachable: string | undefined;
  let closed = false;

  const endTap = (): void => {
    if (!tap) return;
    tap.end();
    tap = undefined;
    o.onTapEnd();
  };

  const powerOn = (): string | undefined => {
    if (tap) return undefined; // already on
    try {
      tap = o.field.tap();
    } catch (error) {
      const busy = /already in progress/.test((error as Error).message);
      return `power on: ${busy ? 'another reader (a phone on the TCP bridge) holds the pile\'s field' : (error as Error).message}`;
    }
    return undefined;
  };

  // Answers one message from vpcd; a reason string when the connection must be reset.
  const answer = (current: Socket, message: VpcdMessage): string | undefined => {
    if (message.kind === 'apdu') {
      if (!tap) return 'APDU while the card is powered off';
      let response: Uint8Array;
      try {
        response = tap.transceive(message.apdu);
      } catch (error) {
        return `APDU: ${(error as Error).message}`;
      }
      current.write(encodeVpcdFrame(response));
      return undefined;
    }
    switch (message.code) {
      case VpcdControl.getAtr:
        current.write(encodeVpcdFrame(PILE_ATR));
        return undefined;
      case VpcdControl.powerOn:
        return powerOn();
      case VpcdControl.powerOff:
        endTap();
        return undefined;
      default: // reset
        endTap();
        return powerOn();
    }
  };

  const reset = (current: Socket, reason: string): void => {
    resetReason = reason;
    o.onLog(`${where}: ${reason}; field off, connection reset`);
    endTap();
    current.destroy();
  };

  const receive = (current: Socket, chunk: Uint8Array): void => {
    if (current !== socket || resetReason) return;
    const messages = reader.push(chunk);
    if (!messages.ok) return reset(current, messages.reason);
    for (const message of messages.value) {
      const refused = answer(current, message);
      if (refused) return reset(current, refused);
      retryMs = o.retryMinMs; // a working exchange: the next reconnect starts quick again
    }
    // the clock runs from a frame's first byte: a trickling peer cannot hold the card
    if (messages.value.length > 0 || reader.pendingBytes === 0) {
      clearTimeout(frameTimer);
      frameTimer = undefined;
    }
    if (reader.pendingBytes > 0 && frameTimer === undefined) {
      frameTimer = setTimeout(() => reset(current, `truncated frame: ${reader.pendingBytes} bytes and no more within ${o.frameTimeoutMs} ms`), o.frameTimeoutMs);
    }
  };

  const lost = (current: Socket, why: string): void => {
    if (current !== socket) return;
    clearTimeout(frameTimer);
    frameTimer = undefined;
    endTap();
    if (connected && !resetReason && !closed) {
      const truncated = reader.pendingBytes > 0 ? ` mid-frame (truncated frame: ${reader.pendingBytes} bytes)` : '';
      o.onLog(`${where}: connection closed${truncated}; field off`);
    } else if (!connected && why !== lastUnreachable && !closed) {
      lastUnreachable = why;
      o.onLog(`${where}: not reachable (${why}); retrying up to every ${o.retryMaxMs / 1000} s`);
    }
    socket = undefined;
    connected = false;
    if (closed) return;
    retryTimer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, o.retryMaxMs);
  };

  function open(): void {
    const current = connect({ host: o.host, port: o.port });
    socket = current;
    reader = new VpcdFrameReader();
    resetReason = undefined;
    let why = 'closed';
    current.setNoDelay(true);
    current.on('connect', () => {
      connected = true;
      lastUnreachable = undefined;
      o.onLog(`${where}: connected (the pile's card is in the reader)`);
    });
    current.on('data', (chunk: Buffer) => receive(current, new Uint8Array(chunk)));
    current.on('error', (error: NodeJS.ErrnoException) => (why = error.code ?? error.message));
    current.on('close', () => lost(current, why));
  }

  open();
  return {
    get connected() {
      return connected;
    },
    close(): Promise<void> {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(frameTimer);
      endTap();
      const current = socket;
      if (!current || current.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        current.once('close', () => resolve());
        current.destroy();
      });
    },
  };
}

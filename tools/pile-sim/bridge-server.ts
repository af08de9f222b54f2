// The pile's end of the TCP bridge (tools/phone/tcp-frames.ts): phones in other processes tap the
// SIMULATED NFC field of one simulated pile over 127.0.0.1. One connection at a time may hold the
// field (a second phone gets ERROR, as a real reader would see no answer from a busy card).
// Every bad byte stream — garbled or oversized frames, APDUs with the field off, a silent peer —
// gets an ERROR frame and the connection closed; the pile process never goes down with it.
import { createServer, type Server, type Socket } from 'node:net';
import { utf8Decode, utf8Encode } from '../../contracts-offline/bytes.ts';
import type { NfcFieldSim, NfcTap } from '../../hal/sim/nfc-field.ts';
import { type Frame, FrameReader, FrameType, encodeFrame } from '../phone/tcp-frames.ts';
import { PileSimError } from './errors.ts';

/** A control request the pile refuses (bad vehicle parameters, unknown op): its message goes back as ERROR. */

export type PileBridgeOptions = {
  field: NfcFieldSim;
  /** Handles a CONTROL request (parsed JSON object); answers a JSON-able value or throws PileSimError. */
  control: (request: Record<string, unknown>) => unknown;
  /** 0 = any free port. */
  port?: number;
  /** A connection that sends nothing for this long is closed (a tap is then a field loss). Default 10 s. */
  idleTimeoutMs?: number;
  /** After each tap ends (persist, redraw). */
  onTapEnd?: () => void;
  /** One line per refused connection (for the terminal log). */
  onRefusal?: (reason: string) => void;
};

export type PileBridge = { port: number; close(): Promise<void> };

const defaults = { port: 0, idleTimeoutMs: 10_000 };
const maxConnections = 16;

export function startPileBridge(options: PileBridgeOptions): Promise<PileBridge> {
  const o = { ...defaults, ...options };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, o);
  });
  server.maxConnections = maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : o.port;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

function serveConnection(socket: Socket, o: PileBridgeOptions & typeof defaults): void {
  const reader = new FrameReader();
  let tap: NfcTap | undefined;
  let closing = false;
  socket.setNoDelay(true);
  socket.setTimeout(o.idleTimeoutMs);

  const endTap = (): void => {
    if (!tap) return;
    tap.end();
    tap = undefined;
    o.onTapEnd?.();
  };
  const refuse = (reason: string): void => {
    if (closing) return;
    closing = true;
    endTap();
    o.onRefusal?.(reason);
    socket.end(encodeFrame(FrameType.error, utf8Encode(reason.slice(0, 300))));
    setTimeout(() => socket.destroy(), 1000).unref(); // a peer that keeps its half open
  };
  const answer = (frame: Frame): void => {
    switch (frame.type) {
      case FrameType.fieldOn:
        if (tap) return refuse('FIELD_ON: the field is already on in this connection');
        try {
          tap = o.field.tap();
        } catch (error) {
          return refuse(`FIELD_ON: ${/already in progress/.test((error as Error).message) ? 'another phone is in the field' : (error as Error).message}`);
        }
        socket.write(encodeFrame(FrameType.fieldOnOk));
        return;
      case FrameType.apdu: {
        if (!tap) return refuse('APDU: the field is off (send FIELD_ON first)');
        let response: Uint8Array;
        try {
          response = tap.transceive(frame.payload);
        } catch (error) {
          return refuse(`APDU: ${(error as Error).message}`);
        }
        socket.write(encodeFrame(FrameType.response, response));
        return;
      }
      case FrameType.fieldOff:
        endTap();
        socket.write(encodeFrame(FrameType.fieldOffOk));
        return;
      case FrameType.control:
        return control(frame.payload);
      default:
        return refuse(`frame type 0x${frame.type.toString(16)} is an answer; a phone sends 0x01..0x04`);
    }
  };
  const control = (payload: Uint8Array): void => {
    const text = utf8Decode(payload);
    let request: unknown;
    try {
      request = text.ok ? JSON.parse(text.value) : undefined;
    } catch { /* reported below */ }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) return refuse('CONTROL: payload expected a JSON object');
    let reply: unknown;
    try {
      reply = o.control(request as Record<string, unknown>);
    } catch (error) {
      return refuse(`CONTROL: ${error instanceof PileSimError ? error.message : `internal error: ${(error as Error).message}`}`);
    }
    const bytes = utf8Encode(JSON.stringify(reply ?? null));
    if (bytes.length < 2 || bytes.length > 1024) return refuse('CONTROL: the answer does not fit a frame');
    socket.write(encodeFrame(FrameType.controlOk, bytes));
  };

  socket.on('data', (chunk: Buffer) => {
    if (closing) return;
    const frames = reader.push(new Uint8Array(chunk));
    if (!frames.ok) return refuse(frames.reason);
    for (const frame of frames.value) {
      if (closing) return;
      answer(frame);
    }
  });
  socket.on('timeout', () => refuse(`idle for ${o.idleTimeoutMs} ms`));
  socket.on('error', () => endTap());
  socket.on('close', () => endTap());
}

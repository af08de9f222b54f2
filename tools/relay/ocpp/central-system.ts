// The relay as the OCPP 1.6J central system: an ocpp-rpc RPCServer in strict mode (every message
// either way checked against the official OCPP 1.6 JSON schemas it ships) on the relay's own
// HTTP(S) server, for WebSocket upgrades on /ocpp/<pileId> (handshake.ts). Any other upgrade
// request is answered 404; plain HTTP requests never reach this. Each connection then proves
// it is the pile's (connection.ts) before anything it says is kept (uplinks.ts).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { RPCServer } from 'ocpp-rpc';
import type { RelayContext } from '../context.ts';
import { type OcppLog, type OcppServerClient, serveConnection } from './connection.ts';
import { OCPP_SUBPROTOCOL, type UplinkPile, pileIdOfPath, registeredPile } from './handshake.ts';
import type { OcppSettings } from './settings.ts';
import type { UplinkRegistry } from './uplinks.ts';

/** Largest message taken from a pile, bytes (ws closes the connection, 1009, above it). */
const MAX_MESSAGE_BYTES = 64 * 1024;

export type CentralSystemContext = { relay: RelayContext; log: OcppLog; settings: OcppSettings; uplinks: UplinkRegistry };

export type CentralSystem = { close(): Promise<void> };

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  }
  socket.destroy();
}

export function attachCentralSystem(httpServer: Server, cx: CentralSystemContext): CentralSystem {
  const rpc = new RPCServer({
    protocols: [OCPP_SUBPROTOCOL],
    strictMode: true,
    callTimeoutMs: cx.settings.proofTimeoutMs,
    // One message per event loop turn: see connection.ts "Ordering".
    wssOptions: { maxPayload: MAX_MESSAGE_BYTES, allowSynchronousEvents: false },
  });
  rpc.on('error', (error: Error) => cx.log.warn({ event: 'ocpp-server-error' }, error.message));
  rpc.auth(async (accept, reject, handshake) => {
    const remote = handshake.remoteAddress;
    if (!handshake.protocols.has(OCPP_SUBPROTOCOL)) {
      cx.log.warn({ event: 'ocpp-refused', status: 400, remote }, `ocpp handshake without subprotocol ${OCPP_SUBPROTOCOL}`);
      return reject(400, `expected subprotocol ${OCPP_SUBPROTOCOL}`);
    }
    const pile = await registeredPile(cx.relay.db, handshake.identity.toLowerCase()).catch((error: Error) => error);
    if (pile instanceof Error || !pile.ok) {
      const reason = pile instanceof Error ? 'the relay could not read its pile registry' : pile.reason;
      cx.log.warn({ event: 'ocpp-refused', status: pile instanceof Error ? 503 : 404, pileId: handshake.identity, remote }, reason);
      return reject(pile instanceof Error ? 503 : 404, reason);
    }
    accept({ pile: pile.value }, OCPP_SUBPROTOCOL);
  });
  rpc.on('client', (client: OcppServerClient & { session: { pile: UplinkPile } }) => {
    serveConnection(client, client.session.pile, { relay: cx.relay, uplinks: cx.uplinks, settings: cx.settings, log: cx.log });
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pileId = pileIdOfPath(request.url);
    if (!pileId) return refuseUpgrade(socket, 404, 'no WebSocket endpoint here');
    if (!pileId.ok) {
      cx.log.warn({ event: 'ocpp-refused', status: 400, remote: request.socket.remoteAddress }, pileId.reason);
      return refuseUpgrade(socket, 400, pileId.reason);
    }
    rpc.handleUpgrade(request, socket as never, head).catch((error: Error) => {
      cx.log.warn({ event: 'ocpp-refused', status: 500, remote: request.socket.remoteAddress }, error.message);
      socket.destroy();
    });
  };
  httpServer.on('upgrade', onUpgrade);
  return {
    close: async () => {
      httpServer.off('upgrade', onUpgrade);
      await rpc.close({ force: true });
    },
  };
}

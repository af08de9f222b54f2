// One pile's OCPP connection, from the handshake to its end. The relay sends the identity
// challenge at once (identity.ts); until the pile's answer proves the connection is the pile's,
// BootNotification is answered Pending and every other CALL a CALLERROR SecurityError, and
// nothing the pile says is kept. A proof that fails — another key, another pile, another
// connection's challenge, no answer within proofTimeoutMs — closes the connection (1008) and is
// logged; the pile is never Accepted on it.
//
// Ordering: the proof is checked with no I/O (the key was read at the handshake) in the
// continuation of the challenge's call, and the WebSocket server delivers one message per event
// loop turn (central-system.ts), so a CALL the pile sends right after its answer meets the
// connection already proven.
import { createRPCError } from 'ocpp-rpc';
import type { FastifyBaseLogger } from 'fastify';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import { bootNotificationConf, heartbeatConf, statusNotification } from './handlers.ts';
import type { UplinkPile } from './handshake.ts';
import { checkIdentityProof, identityChallenge } from './identity.ts';
import type { OcppSettings } from './settings.ts';
import type { Uplink, UplinkRegistry } from './uplinks.ts';

type Params = Record<string, unknown>;
type CallHandler = (call: { method?: string; params?: Params }) => unknown;

/** The part of ocpp-rpc's RPCServerClient the relay uses. */
export type OcppServerClient = {
  readonly handshake: { remoteAddress: string | undefined };
  handle(method: string, handler: CallHandler): void;
  handle(handler: CallHandler): void;
  call(method: string, params: Params, options?: { callTimeoutMs?: number }): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  on(event: 'close', listener: (event: { code?: number; reason?: string }) => void): void;
};

export type OcppLog = Pick<FastifyBaseLogger, 'info' | 'warn'>;

export type ConnectionContext = { uplinks: UplinkRegistry; settings: OcppSettings; crypto: Ed25519Provider; nowMs(): number; log: OcppLog };

/** WebSocket close code for a failed proof (RFC 6455 §7.4.1: policy violation). */
const CLOSE_NOT_PROVEN = 1008;

export function serveConnection(client: OcppServerClient, pile: UplinkPile, cx: ConnectionContext): void {
  const nowS = () => Math.floor(cx.nowMs() / 1000);
  const connectedAtS = nowS();
  const event = { pileId: pile.pileIdHex, remote: client.handshake.remoteAddress };
  let uplink: Uplink | undefined;
  let ended = false;

  const proven = (method: string): Uplink => {
    if (!uplink) throw createRPCError('SecurityError', `${method} before this connection proved it is pile ${pile.pileIdHex}'s`);
    uplink.lastSeenAtS = nowS();
    return uplink;
  };
  client.handle('BootNotification', () => {
    if (uplink) uplink.lastSeenAtS = nowS();
    return bootNotificationConf(uplink !== undefined, cx.settings, cx.nowMs());
  });
  client.handle('Heartbeat', () => {
    proven('Heartbeat');
    return heartbeatConf(cx.nowMs());
  });
  client.handle('StatusNotification', ({ params }) => statusNotification(proven('StatusNotification'), params!, nowS()));
  client.handle(({ method }) => {
    proven(method!);
    throw createRPCError('NotSupported', `${method} is not handled by this relay yet`);
  });
  client.on('close', ({ code, reason }) => {
    ended = true;
    if (uplink) cx.uplinks.ended(uplink);
    cx.log.info({ ...event, event: 'ocpp-closed', code, reason, proven: uplink !== undefined }, 'ocpp connection closed');
  });

  const refuse = (code: string, reason: string) => {
    if (ended) return;
    cx.log.warn({ ...event, event: 'ocpp-identity-refused', error: code, reason }, 'ocpp identity not proven');
    void client.close({ code: CLOSE_NOT_PROVEN, reason: 'identity not proven' });
  };
  const { challenge, request } = identityChallenge();
  client.call('DataTransfer', request, { callTimeoutMs: cx.settings.proofTimeoutMs }).then(
    (conf) => {
      const proof = checkIdentityProof(conf as Params, { pileId: pile.pileId, publicKey: pile.publicKey, challenge }, cx.crypto);
      if (!proof.ok) return refuse(proof.code, proof.reason);
      if (ended) return;
      const atS = nowS();
      uplink = { pileId: pile.pileIdHex, connectedAtS, provenAtS: atS, lastSeenAtS: atS, pileClockOffsetS: proof.value.atS - atS, connectors: new Map() };
      cx.uplinks.proven(uplink, () => void client.close({ code: 1000, reason: 'replaced by a newer connection of the pile' }));
      cx.log.info({ ...event, event: 'ocpp-proven', pileClockOffsetS: uplink.pileClockOffsetS }, 'ocpp identity proven');
    },
    (error: Error) => refuse('no-proof', `the challenge was not answered: ${error.message}`),
  ).catch((error: Error) => refuse('internal-error', error.message));
}

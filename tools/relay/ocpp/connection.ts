// One pile's OCPP connection, from the handshake to its end. The relay sends the identity
// challenge at once (identity.ts); until the pile's answer proves the connection is the pile's,
// BootNotification is answered Pending and every other charge-point action a CALLERROR
// SecurityError (an action OCPP 1.6 does not have: NotImplemented), and nothing the pile says is
// kept. A proof that fails — another key, another pile, another
// connection's challenge, no answer within proofTimeoutMs — closes the connection (1008) and is
// logged; the pile is never Accepted on it. Once proven, each CALL is answered by its handler
// and what the pile reports (connector states, meter samples, billing records) is published to
// the pile's watchers (uplinks.ts).
//
// Ordering: the proof is checked with no I/O (the key was read at the handshake) in the
// continuation of the challenge's call, and the WebSocket server delivers one message per event
// loop turn (central-system.ts), so a CALL the pile sends right after its answer meets the
// connection already proven.
import { createRPCError } from 'ocpp-rpc';
import type { FastifyBaseLogger } from 'fastify';
import { UPLINK_VENDOR_ID } from '../../../contracts-offline/messages/uplink-identity.ts';
import { BILLING_RECORD_MESSAGE_ID } from '../../../contracts-offline/uplink-record.ts';
import type { RelayContext } from '../context.ts';
import { receiveBillingRecord } from './billing-record.ts';
import { bootNotificationConf, heartbeatConf, keepConnectorState } from './handlers.ts';
import type { UplinkPile } from './handshake.ts';
import { checkIdentityProof, identityChallenge } from './identity.ts';
import { meterSamples } from './meter-values.ts';
import type { OcppSettings } from './settings.ts';
import { startTransaction, stopTransaction } from './transactions.ts';
import type { TransferAnswer, Uplink, UplinkRegistry } from './uplinks.ts';

type Params = Record<string, unknown>;
type CallHandler = (call: { method?: string; params?: Params }) => unknown;

/** The part of ocpp-rpc's RPCServerClient the relay uses. */
export type OcppServerClient = {
  readonly handshake: { remoteAddress: string | undefined };
  handle(method: string, handler: CallHandler): void;
  call(method: string, params: Params, options?: { callTimeoutMs?: number }): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  on(event: 'close', listener: (event: { code?: number; reason?: string }) => void): void;
};

export type OcppLog = Pick<FastifyBaseLogger, 'info' | 'warn'>;

/** `relay`: the relay's storage, keys and clock; billing records are ingested through it as phone uploads are. */
export type ConnectionContext = { relay: RelayContext; uplinks: UplinkRegistry; settings: OcppSettings; log: OcppLog };

/** WebSocket close code for a failed proof (RFC 6455 §7.4.1: policy violation). */
const CLOSE_NOT_PROVEN = 1008;

/** The other actions a charge point sends (OCPP 1.6 §4): refused NotSupported once proven. Any other action: NotImplemented (ocpp-rpc). */
const UNSUPPORTED_ACTIONS = ['Authorize', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification'];

export function serveConnection(client: OcppServerClient, pile: UplinkPile, cx: ConnectionContext): void {
  const nowS = () => cx.relay.nowS();
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
    return bootNotificationConf(uplink !== undefined, cx.settings, cx.relay.nowMs());
  });
  client.handle('Heartbeat', () => {
    proven('Heartbeat');
    return heartbeatConf(cx.relay.nowMs());
  });
  client.handle('StatusNotification', ({ params }) => {
    const connector = keepConnectorState(proven('StatusNotification'), params!, nowS());
    cx.uplinks.publish(pile.pileIdHex, { kind: 'status', connector });
    return {};
  });
  client.handle('DataTransfer', async ({ params }) => {
    proven('DataTransfer');
    if (params!.vendorId !== UPLINK_VENDOR_ID) return { status: 'UnknownVendorId' };
    if (params!.messageId !== BILLING_RECORD_MESSAGE_ID) return { status: 'UnknownMessageId' };
    const { conf, record, ...result } = await receiveBillingRecord(cx.relay, pile.pileIdHex, params!.data as string | undefined);
    const about = record && { seq: record.seq, kind: record.kind, recordPileId: record.pileId };
    cx.log[result.status === 'rejected' ? 'warn' : 'info']({ ...event, event: 'ocpp-billing-record', ...about, ...result }, `billing record over the uplink: ${result.status}`);
    if (record?.pileId === pile.pileIdHex) cx.uplinks.publish(pile.pileIdHex, { kind: 'record', seq: record.seq, recordKind: record.kind, status: result.status });
    return conf;
  });
  client.handle('StartTransaction', async ({ params }) => {
    proven('StartTransaction');
    const answer = await startTransaction(cx.relay.db, pile.pileIdHex, params!);
    if (answer.contractSeq === undefined) {
      cx.log.warn({ ...event, event: 'ocpp-transaction-unknown', idTag: params!.idTag, meterStart: params!.meterStart, timestamp: params!.timestamp }, 'StartTransaction names no contract the relay holds for this pile');
    }
    return answer.conf;
  });
  client.handle('StopTransaction', async ({ params }) => {
    proven('StopTransaction');
    const answer = await stopTransaction(cx.relay.db, pile.pileIdHex, params!);
    if (!answer.receiptHeld) {
      cx.log.warn({ ...event, event: 'ocpp-stop-without-receipt', transactionId: params!.transactionId, meterStop: params!.meterStop, timestamp: params!.timestamp }, 'StopTransaction for a contract whose receipt the relay does not hold');
    }
    return answer.conf;
  });
  client.handle('MeterValues', ({ params }) => {
    proven('MeterValues');
    for (const sample of meterSamples(params!)) cx.uplinks.publish(pile.pileIdHex, sample);
    return {};
  });
  for (const action of UNSUPPORTED_ACTIONS) {
    client.handle(action, () => {
      proven(action);
      throw createRPCError('NotSupported', `${action} is not handled by this relay`);
    });
  }
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
      const proof = checkIdentityProof(conf as Params, { pileId: pile.pileId, publicKey: pile.publicKey, challenge }, cx.relay.crypto);
      if (!proof.ok) return refuse(proof.code, proof.reason);
      if (ended) return;
      const atS = nowS();
      uplink = { pileId: pile.pileIdHex, connectedAtS, provenAtS: atS, lastSeenAtS: atS, pileClockOffsetS: proof.value.atS - atS, connectors: new Map() };
      cx.uplinks.proven(
        uplink,
        () => void client.close({ code: 1000, reason: 'replaced by a newer connection of the pile' }),
        async (messageId, data) => (await client.call('DataTransfer', { vendorId: UPLINK_VENDOR_ID, messageId, ...(data !== undefined && { data }) }, { callTimeoutMs: cx.settings.transferTimeoutMs })) as TransferAnswer,
      );
      cx.log.info({ ...event, event: 'ocpp-proven', pileClockOffsetS: uplink.pileClockOffsetS }, 'ocpp identity proven');
    },
    (error: Error) => refuse('no-proof', `the challenge was not answered: ${error.message}`),
  ).catch((error: Error) => refuse('internal-error', error.message));
}

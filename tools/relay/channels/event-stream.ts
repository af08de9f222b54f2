// GET /v1/channels/{channelId}/events: Server-Sent Events (WHATWG HTML §9.2) of the channel, from
// what the pile reports over its uplink (uplinks.watch): `status` (a connector's state; the stream
// opens with each connector's last reported one), `meter`
// (a sample of the channel's running contract, priced with its tariff and cap:
// contracts-offline/tariff-cost.ts), `ended` (its receipt is held, by the stop's answer or a
// record the pile delivered; the stream then ends), `uplink-lost`. Each event's data is one JSON
// object as ChannelEventData (tools/relay-api/routes.ts) describes it. A comment line opens the
// stream and keeps it alive every KEEP_ALIVE_MS; a reader that falls STREAM_QUEUE_MAX events
// behind is cut off (it may connect again).
import { utf8Encode } from '../../../contracts-offline/bytes.ts';
import { billedAmountMinor } from '../../../contracts-offline/tariff-cost.ts';
import type { ChannelEvent } from '../../relay-api/routes.ts';
import type { RelayContext } from '../context.ts';
import type { UplinkEvent } from '../ocpp/uplinks.ts';
import type { ChannelDeps } from './deps.ts';
import type { Channel, ChannelStream } from './registry.ts';
import { announceEnd, sessionEnd } from './session-end.ts';

const KEEP_ALIVE_MS = 15_000;
const STREAM_QUEUE_MAX = 256;

/** The channel event an uplink event makes, if any (a record event is looked up: `ended`). */
function channelEventOf(channel: Channel, event: UplinkEvent, nowS: number): ChannelEvent | undefined {
  switch (event.kind) {
    case 'status': {
      const { connectorId, status, errorCode, reportedAtS } = event.connector;
      return { event: 'status', data: { connectorId, status, errorCode, atS: reportedAtS } };
    }
    case 'meter': {
      const contract = channel.contract;
      if (!contract || channel.ended || event.transactionId !== contract.seq || event.energyWh === undefined) return undefined;
      const energyWh = Math.max(0, event.energyWh - contract.startMeterWh);
      const durationS = Math.max(0, event.atS - contract.startAtS);
      const costMinor = billedAmountMinor(contract.tariff, { energyWh, durationS }, contract.capMinor);
      return { event: 'meter', data: { contractSeq: contract.seq, energyWh, ...(event.powerW !== undefined && { powerW: Math.max(0, Math.round(event.powerW)) }), costMinor, atS: event.atS } };
    }
    case 'disconnected':
      return { event: 'uplink-lost', data: { atS: nowS } };
    default:
      return undefined;
  }
}

const frame = ({ event, data }: ChannelEvent): Uint8Array => utf8Encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export function channelEventStream(ctx: RelayContext, deps: ChannelDeps, channel: Channel): ReadableStream<Uint8Array> {
  let closed = false;
  let stop = (): void => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const stream: ChannelStream = {
        send(event) {
          if (closed) return;
          controller.enqueue(frame(event));
          if (event.event === 'ended' || (controller.desiredSize ?? 0) <= -STREAM_QUEUE_MAX) stream.close();
        },
        close() {
          if (closed) return;
          closed = true;
          stop();
          controller.close();
        },
      };
      // Receipts the pile delivers over the uplink: looked up once the relay has stored them.
      const endFromRecord = async (): Promise<void> => {
        const contract = channel.contract;
        if (!contract || channel.ended) return;
        const end = await sessionEnd(ctx.db, channel.pileId, contract.seq);
        if (end && !channel.ended) announceEnd(channel, end);
      };
      const unwatch = deps.uplinks.watch(channel.pileId, (event) => {
        if (event.kind === 'record' && event.recordKind === 'receipt' && event.status !== 'rejected') {
          endFromRecord().catch((error: unknown) => ctx.log(`relay: channel ${channel.channelId}: ${String(error)}`));
          return;
        }
        const mapped = channelEventOf(channel, event, ctx.nowS());
        if (mapped) stream.send(mapped);
      });
      const detach = deps.channels.attach(channel, stream);
      const keepAlive = setInterval(() => controller.enqueue(utf8Encode(': keep-alive\n\n')), KEEP_ALIVE_MS);
      keepAlive.unref();
      stop = () => {
        clearInterval(keepAlive);
        unwatch();
        detach();
      };
      controller.enqueue(utf8Encode(`: channel ${channel.channelId}\n\n`));
      // The connectors as the pile last reported them, so a reader starts from the present, not from the next change.
      const connectors = deps.uplinks.connected(channel.pileId)?.connectors ?? new Map();
      for (const connector of [...connectors.values()].sort((a, b) => a.connectorId - b.connectorId)) {
        const current = channelEventOf(channel, { kind: 'status', connector }, ctx.nowS());
        if (current) stream.send(current);
      }
      // Already over before the stream opened: say so at once.
      if (channel.contract) {
        sessionEnd(ctx.db, channel.pileId, channel.contract.seq).then(
          (end) => end && announceEnd(channel, end),
          (error: unknown) => ctx.log(`relay: channel ${channel.channelId}: ${String(error)}`),
        );
      }
    },
    cancel() {
      closed = true;
      stop();
    },
  });
}

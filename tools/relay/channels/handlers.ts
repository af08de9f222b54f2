// The virtual channel's routes (R9), over the piles' uplinks and this process's channels.
import type { RouteHandler } from '../http/routes.ts';
import type { UplinkRegistry } from '../ocpp/uplinks.ts';
import { channelEventStream } from './event-stream.ts';
import { openChannel } from './open-channel.ts';
import { ChannelRegistry } from './registry.ts';
import { startCharge } from './start-charge.ts';
import { stopCharge } from './stop-charge.ts';

export type ChannelHandlers = {
  openChannel: RouteHandler<'openChannel'>;
  startChannel: RouteHandler<'startChannel'>;
  stopChannel: RouteHandler<'stopChannel'>;
  channelEvents: RouteHandler<'channelEvents'>;
};

export function channelHandlers(uplinks: UplinkRegistry): ChannelHandlers {
  const deps = { uplinks, channels: new ChannelRegistry() };
  return {
    openChannel: (ctx, request) => openChannel(ctx, deps, request),
    startChannel: (ctx, request) => startCharge(ctx, deps, request),
    stopChannel: (ctx, request) => stopCharge(ctx, deps, request),
    channelEvents: async (ctx, { params, signer }) => {
      const channel = deps.channels.use(params.channelId, signer.kid, ctx.nowMs());
      return { status: 200, body: channelEventStream(ctx, deps, channel) };
    },
  };
}

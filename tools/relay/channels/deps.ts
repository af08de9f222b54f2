// What the channel routes reach beyond the relay context: the piles' uplinks and the channels.
import type { UplinkRegistry } from '../ocpp/uplinks.ts';
import type { ChannelRegistry } from './registry.ts';

export type ChannelDeps = { uplinks: UplinkRegistry; channels: ChannelRegistry };

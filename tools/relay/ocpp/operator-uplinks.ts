// GET /v1/operator/uplinks: the piles connected to this relay process over OCPP whose connection
// is proven, with the state of each connector they reported.
import type { RouteHandler } from '../http/routes.ts';
import type { UplinkRegistry } from './uplinks.ts';

export function uplinkHandlers(uplinks: UplinkRegistry): { operatorUplinks: RouteHandler<'operatorUplinks'> } {
  return {
    operatorUplinks: async (ctx) => ({
      status: 200,
      body: {
        nowS: ctx.nowS(),
        uplinks: uplinks.list().map(({ connectors, ...uplink }) => ({
          ...uplink,
          connectors: [...connectors.values()].sort((a, b) => a.connectorId - b.connectorId),
        })),
      },
    }),
  };
}

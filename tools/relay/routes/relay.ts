// The relay itself: its OpenAPI document and identity (trust anchor, ledger, storage, outbox).
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Route } from '../http/routes.ts';
import { openApiDocument } from '../openapi.ts';

const openapi: Route = {
  method: 'GET',
  pattern: '/openapi.json',
  handle: async () => ({ status: 200, body: openApiDocument }),
};

const identity: Route = {
  method: 'GET',
  pattern: '/v1/relay',
  async handle(ctx) {
    return {
      status: 200,
      body: {
        relayPublicKey: bytesToHex(ctx.relayKey.publicKey),
        relayKid: bytesToHex(ctx.relayKey.kid),
        ledger: { kind: ctx.ledgerKind, address: ctx.ledger.address, operator: ctx.ledger.operator, revenueAccount: ctx.ledger.revenueAccount },
        storage: ctx.db.dialect,
        outbox: await ctx.outbox.stats(),
      },
    };
  },
};

export const relayRoutes: readonly Route[] = [openapi, identity];

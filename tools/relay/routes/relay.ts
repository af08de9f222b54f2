// The relay itself: its identity (the trust anchor of every pile), ledger, storage and outbox.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { RouteHandler } from '../http/routes.ts';

const relayInfo: RouteHandler<'relayInfo'> = async (ctx) => ({
  status: 200,
  body: {
    relayPublicKey: bytesToHex(ctx.relayKey.publicKey),
    relayKid: bytesToHex(ctx.relayKey.kid),
    ledger: { kind: ctx.ledgerKind, address: ctx.ledger.address, operator: ctx.ledger.operator, revenueAccount: ctx.ledger.revenueAccount },
    storage: ctx.db.dialect,
    outbox: await ctx.outbox.stats(),
  },
});

export const relayHandlers = { relayInfo };

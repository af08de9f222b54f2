// POST /v1/channels/{channelId}/start: the pile's config brought up to the relay's first
// (pile-config.ts: the tariff may have changed since the channel opened), then the voucher for the
// channel's pile nonce, issued exactly as POST /v1/vouchers issues it (a retry for the same nonce
// and limit gets the same voucher and reserves nothing more), goes to the pile as ChannelStart; the
// pile's signed Contract is checked against it and ingested at once, as an upload would be (the
// escrow is taken). The channel's nonce is used once: after a START the pile took, or one it
// refused for its nonce or tariff, the next start takes a fresh ChannelSelect. A refusal that
// proves the voucher can never start a contract (nonce too old, tariff changed, signature
// refused) cancels it at once: its cap is free; any other keeps the reservation to its cancel or
// expiry rules (routes/vouchers.ts).
import { SW } from '../../../contracts-offline/apdu.ts';
import { bytesToBase64url, bytesToHex } from '../../../contracts-offline/bytes.ts';
import { readSigned } from '../../../contracts-offline/signed.ts';
import { isNonceFresh } from '../../../contracts-offline/voucher-lifetime.ts';
import { contractVoucherDifferences } from '../../../contracts-offline/voucher-match.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { RouteReply, RouteRequest } from '../http/routes.ts';
import { ingestRecords } from '../ingest/ingest.ts';
import { cancelVoucherOf, issueVoucherFor } from '../routes/vouchers.ts';
import type { ChannelDeps } from './deps.ts';
import { pileRefused, selectPile, sendToPile } from './pile-commands.ts';
import { updatePileConfig } from './pile-config.ts';
import { whileBusy } from './registry.ts';
import { stillRunning } from './session-end.ts';

/** Status words after which the channel's nonce cannot start anything: the next start selects again. */
const NONCE_SPENT: ReadonlySet<number> = new Set([SW.referenceNotFound, SW.referenceNotUsable, SW.nonceExpired, SW.tariffChanged, SW.securityNotSatisfied]);
/** Status words proving the voucher never started a contract and never will. */
const VOUCHER_DEAD: ReadonlySet<number> = new Set([SW.nonceExpired, SW.tariffChanged, SW.securityNotSatisfied]);

export async function startCharge(ctx: RelayContext, deps: ChannelDeps, { params, body, signer }: RouteRequest<'startChannel'>): Promise<RouteReply<'startChannel'>> {
  const channel = deps.channels.use(params.channelId, signer.kid, ctx.nowMs());
  if (await stillRunning(ctx.db, channel)) throw new HttpError('channel-busy', `channel ${channel.channelId} runs contract ${channel.contract!.seq}: stop it first`);
  return whileBusy(channel, async () => {
    if (!channel.nonce || !isNonceFresh(channel.nonce.atMs, ctx.nowMs())) {
      const { hello } = await selectPile(deps.uplinks, channel.pileId);
      channel.nonce = { bytes: hello.pileNonce, atMs: ctx.nowMs() };
      channel.pileConfigVersion = hello.configVersion;
    }
    channel.pileConfigVersion = await updatePileConfig(ctx, deps.uplinks, channel.pileId, channel.pileConfigVersion);
    const { authorization } = await issueVoucherFor(ctx, signer.kid, { pileId: channel.pileId, pileNonce: channel.nonce.bytes, limit: body.limit });
    const voucher = readSigned(authorization, 'Authorization');
    if (!voucher.ok) throw new Error(`channels: the relay's own voucher does not decode (${voucher.reason})`);
    const answer = await sendToPile(deps.uplinks, channel.pileId, 'start', authorization);
    if (!answer.ok) {
      if (NONCE_SPENT.has(answer.sw)) channel.nonce = undefined;
      if (!VOUCHER_DEAD.has(answer.sw)) throw pileRefused('start', answer.sw);
      await cancelVoucherOf(ctx, signer.kid, bytesToHex(voucher.value.message.voucherId));
      throw pileRefused('start', answer.sw, '; the voucher is cancelled, its cap is free');
    }
    channel.nonce = undefined;
    const contract = readSigned(answer.data, 'Contract');
    const differs = contract.ok ? contractVoucherDifferences(contract.value.message, voucher.value.message) : [];
    if (!contract.ok || differs.length > 0) {
      throw new HttpError('bad-pile-answer', `pile ${channel.pileId} answered ChannelStart with ${contract.ok ? `a Contract that differs from the voucher in ${differs.join(', ')}` : 'no Contract'}`);
    }
    const [result] = (await ingestRecords(ctx, [answer.data])).results;
    if (result!.status === 'rejected') throw new HttpError('bad-pile-answer', `pile ${channel.pileId}'s Contract was refused: ${result!.error}: ${result!.message}`);
    const m = contract.value.message;
    channel.contract = { seq: m.seq, startAtS: m.startAtS, startMeterWh: m.startMeterWh, tariff: m.tariff, capMinor: m.capMinor };
    channel.ended = false;
    return { status: 201, body: { authorization: bytesToBase64url(authorization), contract: bytesToBase64url(answer.data) } };
  });
}

// POST /v1/channels/{channelId}/stop (R9 user stop): a fresh ChannelSelect nonce, a StopRequest for
// the channel's contract signed by the relay (the pile takes the relay's kid as a stop's signer:
// firmware/nfc/README.md STOP), ChannelStop; the pile's signed Receipt is checked and ingested at
// once (settled), and the channel's event streams get `ended`. A stop after the end answers the
// receipt the relay holds and asks the pile nothing.
import { encodeStopData } from '../../../contracts-offline/apdu.ts';
import { bytesToBase64url, equalBytes, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { encodeStopRequest } from '../../../contracts-offline/messages/stop-request.ts';
import { readSigned, signMessage } from '../../../contracts-offline/signed.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { RouteReply, RouteRequest } from '../http/routes.ts';
import { ingestRecords } from '../ingest/ingest.ts';
import type { ChannelDeps } from './deps.ts';
import { pileAnswerData, selectPile } from './pile-commands.ts';
import { whileBusy } from './registry.ts';
import { announceEnd, sessionEnd } from './session-end.ts';

export async function stopCharge(ctx: RelayContext, deps: ChannelDeps, { params, signer }: RouteRequest<'stopChannel'>): Promise<RouteReply<'stopChannel'>> {
  const channel = deps.channels.use(params.channelId, signer.kid, ctx.nowMs());
  const contract = channel.contract;
  if (!contract) throw new HttpError('no-running-contract', `channel ${channel.channelId} has started no contract`);
  return whileBusy(channel, async () => {
    const held = await sessionEnd(ctx.db, channel.pileId, contract.seq);
    if (held) {
      channel.ended = true;
      return { status: 200, body: { receipt: held.receipt } };
    }
    const { hello } = await selectPile(deps.uplinks, channel.pileId);
    const request = signMessage(
      encodeStopRequest({ pileId: hexToBytes(channel.pileId), contractSeq: contract.seq, pileNonce: hello.pileNonce, atS: ctx.nowS() }),
      ctx.relayKey.secretKey,
      { kid: ctx.relayKey.kid, crypto: ctx.crypto },
    );
    const receipt = await pileAnswerData(deps.uplinks, channel.pileId, 'stop', encodeStopData({ signedStopRequest: request, userPublicKey: undefined }));
    const read = readSigned(receipt, 'Receipt');
    const ours = read.ok && equalBytes(read.value.message.pileId, hexToBytes(channel.pileId)) && read.value.message.contractSeq === contract.seq;
    if (!ours) {
      throw new HttpError('bad-pile-answer', `pile ${channel.pileId} answered ChannelStop with ${read.ok ? `a Receipt that is not of its contract ${contract.seq}` : 'no Receipt'}`);
    }
    const [result] = (await ingestRecords(ctx, [receipt])).results;
    if (result!.status === 'rejected') throw new HttpError('bad-pile-answer', `pile ${channel.pileId}'s Receipt was refused: ${result!.error}: ${result!.message}`);
    const end = await sessionEnd(ctx.db, channel.pileId, contract.seq);
    if (end) announceEnd(channel, end);
    return { status: 200, body: { receipt: bytesToBase64url(receipt) } };
  });
}

// POST /v1/channels (R9, one interaction gave the phone the pile id): the pile is registered
// (404) and connected over OCPP now (409 pile-offline), the user may charge (the voucher rules:
// 409 open-contract-outstanding, 402 insufficient-funds), the user's older channel does not run a
// contract (409 channel-busy). Then ChannelSelect (a fresh pile nonce, kept for the start),
// ChannelUpdate when the pile's config is older than the relay's (pile-config.ts), and
// ChannelHello with the phone's UserHello: the pile greets the user on its display and signs its
// PileInfo (of the config it holds now) over the phone's nonce, which the phone verifies with the
// pile's key.
import { base64urlToBytes, bytesToBase64url, equalBytes, hexToBytes } from '../../../contracts-offline/bytes.ts';
import { decodeUserHello } from '../../../contracts-offline/messages/user-hello.ts';
import { readSigned } from '../../../contracts-offline/signed.ts';
import type { RelayContext } from '../context.ts';
import { HttpError, invalidField } from '../errors.ts';
import type { RouteReply, RouteRequest } from '../http/routes.ts';
import { currentConfig } from '../routes/piles.ts';
import { checkMayCharge } from '../routes/vouchers.ts';
import type { ChannelDeps } from './deps.ts';
import { pileAnswerData, selectPile } from './pile-commands.ts';
import { updatePileConfig } from './pile-config.ts';
import { stillRunning } from './session-end.ts';

/** The UserHello's bytes: it must decode and name the signer (the pile shows that user's name). */
function userHelloOf(text: string, signerKid: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base64urlToBytes(text);
  } catch {
    throw invalidField('hello', 'expected base64url of a UserHello');
  }
  const hello = decodeUserHello(bytes);
  if (!hello.ok) throw invalidField('hello', `is not a UserHello (${hello.reason})`);
  if (!equalBytes(hello.value.userKid, hexToBytes(signerKid))) throw invalidField('hello', `names another user than the signer ${signerKid}`);
  return bytes;
}

export async function openChannel(ctx: RelayContext, deps: ChannelDeps, { body, signer }: RouteRequest<'openChannel'>): Promise<RouteReply<'openChannel'>> {
  const pileId = body.pileId.toLowerCase();
  const hello = userHelloOf(body.hello, signer.kid);
  await currentConfig(ctx.db, pileId);
  if (!deps.uplinks.connected(pileId)) throw new HttpError('pile-offline', `pile ${pileId} is not connected to this relay over OCPP now: tap it instead`);
  await checkMayCharge(ctx, signer.kid);
  const older = deps.channels.ofUser(signer.kid, ctx.nowMs());
  if (older) await stillRunning(ctx.db, older);
  // Opened before the pile is asked: a channel whose greeting failed idles out unused.
  const channel = deps.channels.open(signer.kid, pileId, ctx.nowMs());
  const selected = await selectPile(deps.uplinks, pileId);
  channel.nonce = { bytes: selected.hello.pileNonce, atMs: ctx.nowMs() };
  channel.pileConfigVersion = await updatePileConfig(ctx, deps.uplinks, pileId, selected.hello.configVersion);
  const pileInfo = await pileAnswerData(deps.uplinks, pileId, 'hello', hello);
  if (!readSigned(pileInfo, 'PileInfo').ok) throw new HttpError('bad-pile-answer', `pile ${pileId} answered ChannelHello with no PileInfo`);
  return { status: 201, body: { channelId: channel.channelId, pileHello: bytesToBase64url(selected.bytes), pileInfo: bytesToBase64url(pileInfo) } };
}

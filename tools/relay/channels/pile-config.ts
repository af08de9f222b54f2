// The pile's configuration brought up to date through the channel (R3's update, without a tap): when
// the pile's config version — from its last PileHello, or the update last written — is older than
// the relay's current one for it, ChannelUpdate carries the relay-signed PileUpdate the relay holds.
// A START checks the voucher's tariff version against the pile's, so without this a networked pile
// would refuse every channel START with 9A02 after a tariff change until a phone tapped it.
import { SW } from '../../../contracts-offline/apdu.ts';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { UplinkRegistry } from '../ocpp/uplinks.ts';
import { currentConfig } from '../routes/piles.ts';
import { pileRefused, sendToPile } from './pile-commands.ts';

/**
 * The pile's config version once it holds the relay's current config. 6984 means it holds it
 * already (a phone's tap wrote it meanwhile: the relay signs no newer one); any other refusal is
 * 409 pile-refused, an answer with data 502 bad-pile-answer.
 */
export async function updatePileConfig(ctx: RelayContext, uplinks: UplinkRegistry, pileId: string, pileConfigVersion: number): Promise<number> {
  const current = await currentConfig(ctx.db, pileId);
  if (current.configVersion <= pileConfigVersion) return pileConfigVersion;
  const answer = await sendToPile(uplinks, pileId, 'update', current.pileUpdate);
  if (!answer.ok && answer.sw !== SW.referenceNotUsable) throw pileRefused('update', answer.sw);
  if (answer.ok && answer.data.length > 0) throw new HttpError('bad-pile-answer', `pile ${pileId} answered ChannelUpdate with data: it answers none`);
  return current.configVersion;
}

// UPDATE: a relay-signed PileUpdate (1 verification). Checks: malformed 6A80, signature 6982,
// another pile or a config version not above the held one 6984; then the services journal and apply it.
import { SW } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { isNewerConfig } from '../../contracts-offline/messages/pile-update.ts';
import { type Answer, type TapContext, done, refusalAnswer, refused } from './answer.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

export function update(context: TapContext, data: Uint8Array): Answer {
  const { services, crypto } = context;
  const opened = openSigned(data, { publicKey: services.relayPublicKey, expectType: 'PileUpdate', crypto });
  if (!opened.ok) return refusalAnswer(opened.code);
  const pileUpdate = opened.value.message;
  if (!equalBytes(pileUpdate.pileId, services.pileId)) return refused(SW.referenceNotUsable);
  if (!isNewerConfig(services.config().configVersion, pileUpdate)) return refused(SW.referenceNotUsable);
  const outcome = services.applyUpdate(pileUpdate, data);
  return outcome.ok ? done() : refusalAnswer(outcome.code);
}

// Provision (ServiceAuthorization `provision`) and ReadProvisioning (open): README.md "Messages",
// "First provisioning". Provision writes the record atomically into a blank partition
// (firmware/provisioning/provision-pile.ts), then the pile reboots provisioned; a pile that is not
// blank is refused before anything else is looked at.
import { equalBytes, bytesToHex } from '../../contracts-offline/bytes.ts';
import { fail, ok } from '../../contracts-offline/result.ts';
import { partitionIsBlank, provisionPile } from '../provisioning/provision-pile.ts';
import { readProvisioningRecord } from '../provisioning/read-provisioning.ts';
import { checkServiceAuthorization } from './authorize.ts';
import { answerNow, pilePublicKey, tapInProgress } from './context.ts';

export const provision = answerNow<'Provision'>((context, request) => {
  const busy = tapInProgress(context);
  if (busy) return busy;
  const blank = partitionIsBlank(context.hal.flash);
  if (!blank.ok) return fail(blank.code === 'device' ? 'device' : 'refused', blank.reason);
  const heldKey = pilePublicKey(context);
  if (!heldKey) return fail('refused', 'the key store holds no key yet: CreateKey first');
  if (!equalBytes(request.pilePublicKey, heldKey)) return fail('refused', "the record names another pile key than the key store's");
  const authorized = checkServiceAuthorization(request.authorization, {
    relayPublicKey: request.relayPublicKey, pileId: request.pileId, pilePublicKey: heldKey, scope: 'provision', challenge: context.challenge.current, crypto: context.crypto,
  });
  if (!authorized.ok) return authorized;
  const { pileId, relayPublicKey, pileUpdate, firstBillingSeq } = request;
  const written = provisionPile(context.hal.flash, { pileId, relayPublicKey, pilePublicKey: heldKey, pileUpdate, firstBillingSeq });
  if (!written.ok) return fail(written.code === 'device' ? 'device' : 'refused', written.reason);
  context.challenge.renew();
  context.log.record('info', `provisioned as pile ${bytesToHex(pileId)}`);
  context.reboot();
  const { services, fault } = context.pile();
  if (!services) return fail('device', `provisioned, but the pile refused to run: ${fault ?? 'unknown'}`);
  return ok({ pileId: services.pileId, configVersion: services.config().configVersion });
});

export const readProvisioning = answerNow<'ReadProvisioning'>((context) => {
  const record = readProvisioningRecord(context.hal.flash);
  if (!record.ok) return fail(record.code === 'device' ? 'device' : 'refused', record.reason);
  return ok(record.value);
});

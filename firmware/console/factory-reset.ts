// FactoryReset (ServiceAuthorization `factory-reset`; refused while a session runs or any billing
// record is unacknowledged, busy during a tap): README.md "Factory reset". Checked in this order:
// busy, provisioned, authorisation, session, unacknowledged records (the journal's flags, in
// firmware/provisioning/factory-reset.ts, which then erases). The relay key and pile
// id come from the provisioning record on flash, so a pile that refused to run (another key in its
// key store) can still be reset by its relay. The erase is firmware/provisioning/factory-reset.ts;
// the pile then reboots blank. The key store keeps the pile's key.
import { fail, ok } from '../../contracts-offline/result.ts';
import { factoryReset as eraseJournal } from '../provisioning/factory-reset.ts';
import { readProvisioningRecord } from '../provisioning/read-provisioning.ts';
import { checkServiceAuthorization } from './authorize.ts';
import { answerNow, pilePublicKey, sessionRunning, tapInProgress } from './context.ts';

export const factoryReset = answerNow<'FactoryReset'>((context, request) => {
  const busy = tapInProgress(context);
  if (busy) return busy;
  const record = readProvisioningRecord(context.hal.flash);
  if (!record.ok) return fail(record.code === 'device' ? 'device' : 'refused', `factory reset: ${record.reason}`);
  const heldKey = pilePublicKey(context);
  if (!heldKey) return fail('refused', 'the key store holds no key');
  const authorized = checkServiceAuthorization(request.authorization, {
    relayPublicKey: record.value.relayPublicKey, pileId: record.value.pileId, pilePublicKey: heldKey, scope: 'factory-reset', challenge: context.challenge.current, crypto: context.crypto,
  });
  if (!authorized.ok) return authorized;
  const running = sessionRunning(context);
  if (running) return running;
  const erased = eraseJournal(context.hal.flash);
  if (!erased.ok && erased.code === 'device') context.reboot(); // the flash may have changed under the running pile
  if (!erased.ok) return fail(erased.code === 'device' ? 'device' : 'refused', erased.reason);
  context.challenge.renew();
  context.log.record('warning', 'factory reset: journal erased');
  context.reboot();
  return ok({});
});

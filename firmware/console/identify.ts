// Identify (open): who the pile is and what state it is in, and a fresh challenge (README.md
// "Messages"). A key store that cannot answer shows as no key, with its fault.
import { FAULT_TEXT_MAX_BYTES, type ProvisioningState } from '../../contracts-offline/console/answers.ts';
import { ok } from '../../contracts-offline/result.ts';
import { partitionIsBlank } from '../provisioning/provision-pile.ts';
import { type ConsoleContext, answerNow, pilePublicKey, shortText } from './context.ts';

export const identify = answerNow<'Identify'>((context) => {
  context.challenge.renew();
  const { services, fault } = context.pile();
  let publicKey: Uint8Array = new Uint8Array(0);
  let keyFault: string | undefined;
  try {
    publicKey = pilePublicKey(context) ?? publicKey;
  } catch (error) {
    keyFault = `key store: ${(error as Error).message}`;
  }
  return ok({
    board: context.board,
    firmwareVersion: context.firmwareVersion,
    configVersion: services?.config().configVersion ?? 0,
    pileId: services?.pileId ?? new Uint8Array(0),
    pilePublicKey: publicKey,
    provisioning: provisioningState(context),
    state: services?.state() ?? 'unavailable',
    fault: shortText(services?.halted ?? fault ?? keyFault ?? '', FAULT_TEXT_MAX_BYTES),
    challenge: context.challenge.current,
    clockS: Math.max(0, Math.floor(context.hal.clock.nowMs() / 1000)),
  });
});

/** provisioned: the pile runs; blank: it can be provisioned; refused: neither (see the fault). */
export function provisioningState(context: ConsoleContext): ProvisioningState {
  if (context.pile().services) return 'provisioned';
  return partitionIsBlank(context.hal.flash).ok ? 'blank' : 'refused';
}

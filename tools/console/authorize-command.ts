// A changing console command's authorisation (firmware/console/README.md "Who may do what"): a
// fresh Identify gives this console session's challenge, the relay signs a ServiceAuthorization for
// the pile, that challenge and the one scope; the command must follow before the next Identify.
import type { KeyPair } from '../../contracts-offline/keys.ts';
import type { ServiceScope } from '../../contracts-offline/messages/service-authorization.ts';
import type { RelayClient } from '../phone/relay-client.ts';
import type { ConsoleClient } from './console-client.ts';
import { ProvisionError } from './errors.ts';

export async function authorizeCommand(pile: ConsoleClient, relay: RelayClient, operatorKey: KeyPair, scope: ServiceScope): Promise<Uint8Array> {
  const identity = await pile.request('Identify', {});
  if (identity.pileId.length === 0) throw new ProvisionError('not-provisioned', `the pile on ${pile.path} is not provisioned: no relay can authorise ${scope} on it (provision it first: tapcharge provision)`);
  return relay.serviceAuthorization(operatorKey, identity.pileId, { challenge: identity.challenge, scope });
}

// HELLO (tap 1, or ChannelHello through the relay: firmware/ocpp/channel.ts): UserHello in →
// PileInfo signed by the pile over the phone's nonce (1 signature, no verification). The welcome
// goes on the display only once the answer is ready, its prompt as the user arrived.
import { SW } from '../../contracts-offline/apdu.ts';
import { encodePileInfo } from '../../contracts-offline/messages/pile-info.ts';
import { decodeUserHello } from '../../contracts-offline/messages/user-hello.ts';
import { signMessageWith } from '../../contracts-offline/signed.ts';
import type { UserArrival } from '../pile-services.ts';
import { type Answer, type TapContext, done, refused } from './answer.ts';

export function hello(context: TapContext, data: Uint8Array, arrival: UserArrival = 'tap'): Answer {
  const decoded = decodeUserHello(data);
  if (!decoded.ok) return refused(SW.wrongData);
  const user = decoded.value;
  const { services } = context;
  const config = services.config();
  const info = encodePileInfo({
    pileId: services.pileId,
    phoneNonce: user.phoneNonce,
    state: services.state(),
    configVersion: config.configVersion,
    tariff: config.tariff,
    label: config.label,
  });
  const signed = signMessageWith(info, services.signer);
  services.greet(user, arrival);
  context.lastGreeting = { userKid: user.userKid, displayName: user.displayName };
  return done(signed);
}

// SELECT by AID → PileHello (unsigned) with a fresh pile nonce (README.md "Commands").
import { SW, TAPCHARGE_AID } from '../../contracts-offline/apdu.ts';
import { encodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { type Answer, type TapContext, done, refused } from './answer.ts';

const OUTBOX_COUNT_MAX = 0xffff;

function isOurAid(data: Uint8Array): boolean {
  if (data.length !== TAPCHARGE_AID.length) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== TAPCHARGE_AID[i]) return false;
  return true;
}

export function select(context: TapContext, data: Uint8Array): Answer {
  if (!isOurAid(data)) return refused(SW.appNotFound);
  const { services } = context;
  const configVersion = services.config().configVersion;
  const state = services.state();
  const outboxCount = Math.min(services.outbox(0, 0).remaining, OUTBOX_COUNT_MAX);
  return done(encodePileHello({
    pileId: services.pileId,
    firmwareVersion: services.firmwareVersion,
    configVersion,
    state,
    outboxCount,
    pileNonce: context.nonces.issue(),
  }));
}

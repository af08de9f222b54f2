// SetClock (ServiceAuthorization `set-clock`; refused while a session runs, busy during a tap):
// README.md "Messages". Checked in this order: busy, authorisation, session. Only the wall clock
// moves; timers and uptime keep their course.
import { fail, ok } from '../../contracts-offline/result.ts';
import { checkServiceAuthorization } from './authorize.ts';
import { answerNow, pilePublicKey, sessionRunning, tapInProgress } from './context.ts';

export const setClock = answerNow<'SetClock'>((context, request) => {
  const busy = tapInProgress(context);
  if (busy) return busy;
  const { services } = context.pile();
  if (!services) return fail('refused', 'the pile is not running: no relay key to check the authorisation with');
  const heldKey = pilePublicKey(context);
  if (!heldKey) return fail('refused', 'the key store holds no key');
  const authorized = checkServiceAuthorization(request.authorization, {
    relayPublicKey: services.relayPublicKey, pileId: services.pileId, pilePublicKey: heldKey, scope: 'set-clock', challenge: context.challenge.current, crypto: context.crypto,
  });
  if (!authorized.ok) return authorized;
  const running = sessionRunning(context);
  if (running) return running;
  const { clock } = context.hal;
  const previousMs = clock.nowMs();
  clock.setNowMs(request.atS * 1000);
  context.clockSet(previousMs, request.atS * 1000);
  context.challenge.renew();
  const previousAtS = Math.max(0, Math.floor(previousMs / 1000));
  context.log.record('info', `clock set from ${previousAtS} to ${request.atS}`);
  return ok({ previousAtS, atS: request.atS });
});

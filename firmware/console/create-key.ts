// CreateKey (open while the key store holds no key): the pile's key pair is generated inside the
// key store; a key is never replaced (README.md "Messages").
import { fail, ok } from '../../contracts-offline/result.ts';
import { answerNow } from './context.ts';

export const createKey = answerNow<'CreateKey'>((context) => {
  const { keyStore } = context.hal;
  if (keyStore.hasKey()) return fail('refused', 'the key store holds a key already; a key is never replaced');
  const pilePublicKey = keyStore.createKey();
  context.log.record('info', 'pile key created in the key store');
  return ok({ pilePublicKey });
});

// ACK: a relay-signed Ack (1 verification) marks the covered records acknowledged so compaction may
// prune them; answers how many records are still unacknowledged. Ranges over unknown sequences are ignored.
import { SW, encodeAckAnswer } from '../../contracts-offline/apdu.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import { type Answer, type TapContext, done, refusalAnswer, refused } from './answer.ts';
import { openSigned } from '../../contracts-offline/signed.ts';

export function ack(context: TapContext, data: Uint8Array): Answer {
  const { services, crypto } = context;
  const opened = openSigned(data, { publicKey: services.relayPublicKey, expectType: 'Ack', crypto });
  if (!opened.ok) return refusalAnswer(opened.code);
  const ack = opened.value.message;
  if (!equalBytes(ack.pileId, services.pileId)) return refused(SW.referenceNotUsable);
  const outcome = services.acknowledge(ack.ranges);
  return outcome.ok ? done(encodeAckAnswer(outcome.value)) : refusalAnswer(outcome.code);
}

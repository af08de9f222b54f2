// OUTBOX: the next signed contracts and receipts not yet acknowledged, oldest first; changes nothing.
import { OUTBOX_MAX_RECORDS, SW, encodeOutboxAnswer, parseOutboxRequest } from '../../contracts-offline/apdu.ts';
import { type Answer, type TapContext, done, refused } from './answer.ts';

export function outbox(context: TapContext, data: Uint8Array): Answer {
  const afterSeq = parseOutboxRequest(data);
  if (!afterSeq.ok) return refused(SW.wrongLength);
  const { records, remaining } = context.services.outbox(afterSeq.value, OUTBOX_MAX_RECORDS);
  return done(encodeOutboxAnswer({ records: records.map((record) => record.bytes), remaining }));
}
